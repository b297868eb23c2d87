import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { initRawPeer, relayUntil, startRawSite, type Timeline } from '../../test/e2e/interop/raw-harness.ts';
import { type CallTimeline, connectSdkPeer, startSdkSite } from '../../test/e2e/interop/sdk-harness.ts';
import { startSdkEnv } from '../../test/e2e/sdk/harness.ts';
import { BrowserSet } from '../../test/helpers/browsers.ts';
import { parentPids, processCpuMs, withDescendants } from '../signaling/proc.ts';
import { runFileTransferBench } from './file-transfer.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    'size-mib': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    'mesh-s': { type: 'string', default: '10' },
  },
});
const CALLS = Math.max(2, Number(values.calls));
const MESH_WINDOW_S = Math.max(2, Number(values['mesh-s']));

/** Targets from issue 3. */
const TARGETS = { setupRatioMax: 1.2, fileVsRawMinPct: 90 };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return Math.round(s[lo]! + (s[hi]! - s[lo]!) * (pos - lo));
}
const summary = (xs: number[]) => ({ n: xs.length, medianMs: quantile(xs, 0.5), p90Ms: quantile(xs, 0.9) });
const loads = () => loadavg().map((x) => Number(x.toFixed(2)));

// ---------------------------------------------------------------------------------------------
// 1. Call setup

async function rawCall(browsers: BrowserSet, pageUrl: string): Promise<number> {
  const [a, b] = await browsers.pair(['chromium', 'chromium'], pageUrl);
  try {
    await Promise.all([initRawPeer(a), initRawPeer(b)]);
    await Promise.all([
      a.evaluate(() => window.rawPeer.addCamera()),
      b.evaluate(() => window.rawPeer.addCamera()),
    ]);
    await a.evaluate(() => window.rawPeer.offer());
    const timelines = async (): Promise<[Timeline, Timeline]> => [
      await a.evaluate(() => window.rawPeer.timeline()),
      await b.evaluate(() => window.rawPeer.timeline()),
    ];
    await relayUntil(
      a,
      b,
      async () => {
        const [ta, tb] = await timelines();
        return ta.firstFrameAt !== null && tb.firstFrameAt !== null;
      },
      { intervalMs: 2, timeoutMs: 20_000, what: 'first frame decoded on both sides' },
    );
    const [ta, tb] = await timelines();
    return Math.max(ta.firstFrameAt!, tb.firstFrameAt!) - ta.offerAt!;
  } finally {
    await browsers.closePages();
  }
}

let seq = 0;
async function sdkCall(
  browsers: BrowserSet,
  site: { pageUrl: string; wsUrl: string },
  callerPolite: boolean,
): Promise<{ acceptedToFrame: number; callToFrame: number }> {
  const [a, b] = await browsers.pair(['chromium', 'chromium'], site.pageUrl);
  try {
    const n = ++seq;
    // The side whose name sorts first is polite.
    const [caller, callee] = callerPolite ? [`a${n}`, `b${n}`] : [`b${n}`, `a${n}`];
    await Promise.all([connectSdkPeer(a, site.wsUrl, caller), connectSdkPeer(b, site.wsUrl, callee)]);
    await a.evaluate((name) => window.sdkPeer.call(name), callee);
    const framed = (p: typeof a) =>
      p.waitFor(
        () => {
          const t = window.sdkPeer.timeline();
          return t.firstFrameAt !== null ? t : null;
        },
        { intervalMs: 20, timeoutMs: 15_000, what: 'first frame decoded' },
      );
    const [ta, tb]: CallTimeline[] = await Promise.all([framed(a), framed(b)]);
    const frameAt = Math.max(ta!.firstFrameAt!, tb!.firstFrameAt!);
    return { acceptedToFrame: frameAt - ta!.acceptedAt!, callToFrame: frameAt - ta!.callAt! };
  } finally {
    await Promise.allSettled([
      a.evaluate(() => window.sdkPeer.close()),
      b.evaluate(() => window.sdkPeer.close()),
    ]);
    await browsers.closePages();
  }
}

async function setupSection(): Promise<Record<string, unknown>> {
  const browsers = new BrowserSet();
  const [raw, sdk] = await Promise.all([startRawSite(), startSdkSite()]);
  const failures: string[] = [];
  const acc: number[] = [];
  const call: number[] = [];
  const accPolite: number[] = [];
  const accImpolite: number[] = [];
  const bare: number[] = [];
  try {
    await browsers.warmUp(['chromium']);
    // Warm-up calls, not measured.
    await sdkCall(browsers, sdk, true).catch(() => {});
    await rawCall(browsers, raw.pageUrl).catch(() => {});
    // Interleaved, so load swings hit both alike.
    for (let i = 0; i < CALLS; i++) {
      try {
        const r = await sdkCall(browsers, sdk, i % 2 === 0);
        acc.push(r.acceptedToFrame);
        call.push(r.callToFrame);
        (i % 2 === 0 ? accPolite : accImpolite).push(r.acceptedToFrame);
      } catch (error) {
        failures.push(`sdk: ${error instanceof Error ? error.message : String(error)}`);
      }
      try {
        bare.push(await rawCall(browsers, raw.pageUrl));
      } catch (error) {
        failures.push(`bare: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await browsers.close();
    await Promise.allSettled([raw.close(), sdk.close()]);
  }
  const sdkMedian = quantile(acc, 0.5);
  const bareMedian = quantile(bare, 0.5);
  return {
    chromium: 'Debian chromium (headless), two tabs of one context',
    sdk: {
      acceptedToFirstFrame: summary(acc),
      callToFirstFrame: summary(call),
      acceptedToFirstFrameCallerPolite: summary(accPolite),
      acceptedToFirstFrameCallerImpolite: summary(accImpolite),
    },
    bare: { offerToFirstFrame: summary(bare) },
    ratioMedian: Number((sdkMedian / bareMedian).toFixed(2)),
    ratioP90: Number((quantile(acc, 0.9) / quantile(bare, 0.9)).toFixed(2)),
    target: `SDK within ${TARGETS.setupRatioMax}x of bare (median)`,
    meetsTarget: sdkMedian / bareMedian <= TARGETS.setupRatioMax,
    failures,
    samplesMs: { sdkAcceptedToFrame: acc, sdkCallToFrame: call, bare },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Mesh CPU

/** CPU ms used so far by every descendant of this process (the browsers we launched). */
function descendantsCpuMs(): { ms: number; processes: number } {
  const ours = withDescendants([process.pid], parentPids());
  ours.delete(process.pid);
  let ms = 0;
  for (const pid of ours) {
    try {
      ms += processCpuMs(pid);
    } catch {
      // Ended meanwhile.
    }
  }
  return { ms, processes: ours.size };
}

/** Bare mesh page code: one RTCPeerConnection per other page; signals queued in `bare.out`. */
const BARE_MESH = `
window.bare = {
  pcs: {}, out: [], stream: null,
  async init() { this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true }); },
  pc(peer) {
    if (this.pcs[peer]) return this.pcs[peer];
    const pc = new RTCPeerConnection();
    for (const t of this.stream.getTracks()) pc.addTrack(t, this.stream);
    pc.onicecandidate = (e) => { if (e.candidate) this.out.push({ to: peer, candidate: e.candidate.toJSON() }); };
    this.pcs[peer] = pc;
    return pc;
  },
  async offer(peer) {
    const pc = this.pc(peer);
    await pc.setLocalDescription(await pc.createOffer());
    this.out.push({ to: peer, description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
  },
  async receive(from, m) {
    const pc = this.pc(from);
    if (m.description) {
      await pc.setRemoteDescription(m.description);
      if (m.description.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        this.out.push({ to: from, description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
      }
    } else if (m.candidate) await pc.addIceCandidate(m.candidate);
  },
  drain() { const o = this.out; this.out = []; return o; },
  async decodingFrom() {
    let n = 0;
    for (const pc of Object.values(this.pcs)) {
      const r = await pc.getStats();
      let f = 0;
      r.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') f += s.framesDecoded || 0; });
      if (f > 0) n++;
    }
    return n;
  },
  close() { for (const pc of Object.values(this.pcs)) pc.close(); for (const t of this.stream.getTracks()) t.stop(); },
};
window.bareOf = () => window.bare;`;

type Bare = {
  init(): Promise<void>;
  offer(peer: number): Promise<void>;
  receive(from: number, m: unknown): Promise<void>;
  drain(): { to: number }[];
  decodingFrom(): Promise<number>;
  close(): void;
};
/** Typing only: the page script defines a global \`bareOf\` with this shape (evaluate runs in the page). */
const bareOf = () => (window as unknown as { bare: Bare }).bare;

async function measureCpu(): Promise<{ cpuPercentOfOneCore: number; processes: number }> {
  await new Promise((r) => setTimeout(r, 3_000)); // settle: encoders ramp up
  const t0 = performance.now();
  const c0 = descendantsCpuMs();
  await new Promise((r) => setTimeout(r, MESH_WINDOW_S * 1000));
  const c1 = descendantsCpuMs();
  const wall = performance.now() - t0;
  return {
    cpuPercentOfOneCore: Number((((c1.ms - c0.ms) / wall) * 100).toFixed(1)),
    processes: c1.processes,
  };
}

async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function meshSection(): Promise<Record<string, unknown>> {
  const env = await startSdkEnv();
  try {
    // SDK: three members join one room (mesh), camera + microphone each.
    const names = ['ann', 'ben', 'cat'];
    const pages: Page[] = [];
    for (const name of names) {
      const p = await env.page(name);
      await p.evaluate((n) => window.T.connect(n), name);
      await p.evaluate(() => window.T.join('bench'));
      pages.push(p);
    }
    await waitUntil('every SDK member decodes both others', async () => {
      for (const [i, p] of pages.entries()) {
        const others = names.filter((_, j) => j !== i);
        for (const o of others)
          if ((await p.evaluate((n) => window.T.inbound(n), o)).videoFrames === 0) return false;
      }
      return true;
    });
    const sdk = await measureCpu();
    for (const p of pages) await p.close();
    await new Promise((r) => setTimeout(r, 2_000)); // let the closed tabs' processes go

    // Bare: the same three-way mesh by hand.
    const bare: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await env.page(`bare${i}`);
      await p.addScriptTag({ content: BARE_MESH });
      await p.evaluate(() => bareOf().init());
      bare.push(p);
    }
    for (const [i, j] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      await bare[i]!.evaluate((peer) => bareOf().offer(peer), j);
    }
    await waitUntil('every bare page decodes both others', async () => {
      for (const [i, p] of bare.entries()) {
        for (const m of await p.evaluate(() => bareOf().drain())) {
          await bare[m.to]!.evaluate(([from, msg]) => bareOf().receive(from as number, msg), [i, m] as const);
        }
      }
      for (const p of bare) if ((await p.evaluate(() => bareOf().decodingFrom())) < 2) return false;
      return true;
    });
    const raw = await measureCpu();
    for (const p of bare) await p.evaluate(() => bareOf().close());
    return {
      windowS: MESH_WINDOW_S,
      note: 'CPU of the whole headless Chromium process tree (browser, renderers, GPU/utility), from /proc utime+stime; 100 = one core',
      sdkMesh: sdk,
      bareMesh: raw,
      sdkVsBare: Number((sdk.cpuPercentOfOneCore / raw.cpuPercentOfOneCore).toFixed(2)),
    };
  } finally {
    await env.close();
  }
}

// ---------------------------------------------------------------------------------------------

const started = new Date().toISOString();
const loadBefore = loads();
const setup = await setupSection();
const loadAfterSetup = loads();
const files = await runFileTransferBench({
  sizeMiB: Number(values['size-mib']),
  rounds: Number(values.rounds),
  chunkKiBs: [256],
});
const loadAfterFiles = loads();
const mesh = await meshSection();
const pct = (files.fileVsRawPct as Record<string, number>).file256 as number;
const report = {
  bench: 'client',
  date: started,
  machine: {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadavg: { before: loadBefore, afterSetup: loadAfterSetup, afterFiles: loadAfterFiles, end: loads() },
  },
  targets: TARGETS,
  setup,
  fileTransfer: {
    ...files,
    fileVsRawPct256: pct,
    target: `Parley file transfer >= ${TARGETS.fileVsRawMinPct}% of the raw channel`,
    meetsTarget: pct >= TARGETS.fileVsRawMinPct,
  },
  mesh3: mesh,
};
console.log(JSON.stringify(report, null, 2));
