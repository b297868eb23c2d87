/**
 * One cell of `bench:sfu`: `n` participants in one room of one Parley server (mesh or SFU), in a
 * fresh headless Chromium (one page, one SDK client per participant). They join one after the
 * other, each newcomer clocking its first frame from every member already there; once everyone
 * decodes everyone, a settle pause, then the measuring window: CPU of the Chromium trees, of the
 * Parley server process and of Janus (from /proc), and frames decoded/encoded per stream (from
 * getStats at both ends of the window).
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { launchChromium, newMediaContext, tracePage } from '../../test/helpers/browser.ts';
import { hostCpuTicks, processCpuMs } from '../signaling/proc.ts';
import {
  decodedFps,
  encodedFps,
  median,
  type NewcomerJoin,
  newcomerJoin,
  participantKbps,
  ratio,
  round,
  spread,
} from './figures.ts';
import type { BenchPageApi, ParticipantSnapshot } from './page.ts';
import { chromiumCpuBetween, chromiumPids, cpuMsByPid } from './process-tree.ts';

declare global {
  interface Window {
    BENCH: BenchPageApi;
  }
}

export type Mode = 'mesh' | 'sfu';

export interface CellOptions {
  mode: Mode;
  participants: number;
  /** The Parley server for this mode: its origin (serving bench.html), WebSocket URL and pid. */
  server: { url: string; wsUrl: string; pid: number };
  /** Janus's pid (measured in both modes: idle in mesh). */
  janusPid: number | undefined;
  settleS: number;
  windowS: number;
  /** Longest wait for one newcomer's first frames. */
  joinTimeoutMs: number;
  /** Pause between one newcomer's last first frame and the next join (0: at once). */
  joinGapMs: number;
  /** Longest wait for everyone to decode everyone. */
  meshUpTimeoutMs: number;
  /** Every participant encrypts end to end (a shared secret; the room requires it). */
  e2ee: boolean;
  cores: number;
  log(line: string): void;
}

const pct = (ms: number, wallMs: number) => (100 * ms) / wallMs;

let roomSeq = 0;

/** Runs one cell and returns its figures (failures are reported inside, not thrown, where possible). */
export async function runCell(o: CellOptions) {
  const n = o.participants;
  const cellNo = ++roomSeq;
  // Names are unique per cell: a server keeps a closed session's name through its resume grace.
  const names = Array.from({ length: n }, (_, i) => `c${cellNo}p${i}`);
  const room = `bench-${o.mode}-${n}-${cellNo}`;
  const failures: string[] = [];
  const startedAt = new Date().toISOString();
  const browser = await launchChromium();
  try {
    const context = await newMediaContext(browser, o.server.url);
    const page = await context.newPage();
    tracePage(page, `${o.mode}-${n}`);
    await page.goto(`${o.server.url}/bench.html`);
    await page.waitForFunction(() => typeof window.BENCH === 'object', undefined, { timeout: 15_000 });
    for (const name of names) {
      await page.evaluate(([u, nm]) => window.BENCH.connect(u, nm), [o.server.wsUrl, name] as const);
    }

    // Joins, one after the other; each newcomer waits for the first frame of everyone before it.
    const joins: NewcomerJoin[] = [];
    for (const [k, name] of names.entries()) {
      const expected = names.slice(0, k);
      const f = await page.evaluate(([nm, r, md, ex, t, s]) => window.BENCH.join(nm, r, md, ex, t, s), [
        name,
        room,
        o.mode,
        expected,
        o.joinTimeoutMs,
        o.e2ee ? 'bench e2ee secret' : null,
      ] as const);
      if (!f.complete) {
        const missing = expected.filter((m) => f.firstFrameMs[m] === undefined);
        failures.push(`${name}: no frame from ${missing.join(',')} within ${o.joinTimeoutMs} ms of joining`);
      }
      if (k > 0) joins.push(newcomerJoin(name, f));
      if (o.joinGapMs > 0) await sleep(o.joinGapMs);
      o.log(
        `  ${o.mode} n=${n}: ${name} joined (${expected.length} before it): ` +
          `all first frames ${f.complete ? `${Math.max(0, ...Object.values(f.firstFrameMs))} ms` : 'INCOMPLETE'}`,
      );
    }

    // Everyone decodes everyone (and, for the SFU, everyone is in sfu mode).
    const upDeadline = Date.now() + o.meshUpTimeoutMs;
    let snap: Record<string, ParticipantSnapshot> = {};
    const lacking = () => {
      const out: string[] = [];
      for (const name of names) {
        const s = snap[name];
        if (!s) out.push(`${name}: no snapshot`);
        else if (o.mode === 'sfu' && s.mode !== 'sfu') out.push(`${name}: mode ${s.mode}`);
        else for (const m of names) if (m !== name && !((s.decoded[m] ?? 0) > 0)) out.push(`${m}->${name}`);
      }
      return out;
    };
    for (;;) {
      snap = await page.evaluate(() => window.BENCH.snapshot());
      if (lacking().length === 0 || Date.now() > upDeadline) break;
      await sleep(300);
    }
    const missingStreams = lacking();
    if (missingStreams.length > 0) {
      failures.push(`not decoding after ${o.meshUpTimeoutMs} ms: ${missingStreams.join(' ')}`);
    }

    // Settle, then the measuring window. Snapshots (getStats in the page) sit outside the CPU
    // readings, so their own cost is not charged; frame rates use the snapshots' own clocks.
    await sleep(o.settleS * 1000);
    const loadBefore = loads();
    const s0 = await page.evaluate(() => window.BENCH.snapshot());
    const pids = chromiumPids();
    const c0 = cpuMsByPid(pids);
    const p0 = processCpuMs(o.server.pid);
    const j0 = o.janusPid !== undefined ? processCpuMs(o.janusPid) : Number.NaN;
    const h0 = hostCpuTicks();
    const t0 = performance.now();
    await sleep(o.windowS * 1000);
    const c1 = cpuMsByPid(chromiumPids());
    const p1 = processCpuMs(o.server.pid);
    const j1 = o.janusPid !== undefined ? processCpuMs(o.janusPid) : Number.NaN;
    const h1 = hostCpuTicks();
    const wallMs = performance.now() - t0;
    const s1 = await page.evaluate(() => window.BENCH.snapshot());

    const chromium = chromiumCpuBetween(c0, c1);
    const chromiumPct = pct(chromium.ms, wallMs);
    const parleyPct = pct(p1 - p0, wallMs);
    const janusPct = pct(j1 - j0, wallMs);
    // Whole machine, in percent of one core like the rest (100 × cores = every core busy).
    const hostTotal = h1.total - h0.total;
    const hostPct = hostTotal > 0 ? ((h1.busy - h0.busy) / hostTotal) * 100 * o.cores : Number.NaN;
    const ours = chromiumPct + parleyPct + (o.mode === 'sfu' ? janusPct : 0);
    const streams = n * (n - 1);
    const forwarded = o.mode === 'sfu' ? streams : 0;
    const dec = decodedFps(s0, s1).map((d) => d.fps);
    const enc = encodedFps(s0, s1);
    const kbps = participantKbps(s0, s1);
    const serverSidePct = parleyPct + (o.mode === 'sfu' ? janusPct : 0);

    // Every newcomer after the first joins a room already in its mode (SFU rooms are created with
    // `mode: 'sfu'`), and finds 1 … n−1 publishers there.
    const steady = joins;
    const allMs = steady.map((j) => j.allMs).filter((x): x is number => x !== null);
    const eachMs = steady.flatMap((j) => Object.values(j.perPublisherMs));
    const last = joins.at(-1);

    return {
      mode: o.mode,
      participants: n,
      room,
      startedAt,
      decodedStreams: streams,
      forwardedStreams: forwarded,
      cpu: {
        windowS: round(wallMs / 1000, 2),
        unit: 'percent of one core (100 = one core busy for the whole window)',
        chromium: round(chromiumPct),
        chromiumPerParticipant: round(chromiumPct / n),
        chromiumPerDecodedStream: round(chromiumPct / streams, 2),
        parley: round(parleyPct, 2),
        janus: round(janusPct, 2),
        serverSide: round(serverSidePct, 2),
        total: round(ours),
        janusPerForwardedStream: forwarded > 0 ? round(janusPct / forwarded, 3) : null,
        parleyAndJanusPerForwardedStream: forwarded > 0 ? round(serverSidePct / forwarded, 3) : null,
        machine: round(hostPct),
        otherOnMachine: round(hostPct - ours),
        chromiumProcesses: chromium.processes,
        chromiumProcessesStartedOrEnded: chromium.startedOrEnded,
      },
      video: {
        camera: '320x240 @ 15 fps requested (fake device), no audio',
        decodedFpsPerStream: spread(dec),
        encodedFpsPerOutgoingStream: spread(enc.fps),
        outgoingStreams: enc.fps.length,
        outgoingWidths: enc.widths,
        qualityLimitation: enc.limitations,
        decodedVsEncodedFps: ratio(median(dec), median(enc.fps)),
      },
      network: {
        note: 'per participant, all its transports (RTP, RTCP, data channels), from getStats transport stats',
        uplinkKbps: spread(kbps.sent),
        downlinkKbps: spread(kbps.received),
      },
      joinToFirstFrame: {
        pollIntervalMs: await page.evaluate(() => window.BENCH.pollIntervalMs),
        note: 'from the newcomer calling client.join() (getUserMedia included) to framesDecoded > 0 from each member already publishing; median over the newcomers p1 … p(n-1), who found 1 … n-1 publishers',
        medianAllMs: round(median(allMs), 0),
        medianEachMs: round(median(eachMs), 0),
        medianConnectedMs: round(
          median(steady.map((j) => j.connectedMs).filter((x): x is number => x !== null)),
          0,
        ),
        lastNewcomerAllMs: last?.allMs ?? null,
        newcomers: joins,
      },
      loadavg: { windowStart: loadBefore, windowEnd: loads() },
      failures,
    };
  } finally {
    const pages: Page[] = browser.contexts().flatMap((c) => c.pages());
    await Promise.allSettled(pages.map((p) => p.evaluate(() => window.BENCH.closeAll())));
    await browser.close().catch(() => {});
  }
}

/** What one cell reports (the JSON of `cells[]`). */
export type CellReport = Awaited<ReturnType<typeof runCell>>;

/** The 1, 5 and 15 minute load averages, rounded. */
export function loads(): number[] {
  return loadavg().map((x) => Number(x.toFixed(2)));
}
