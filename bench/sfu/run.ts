/**
 * `npm run bench:sfu`: large rooms, mesh against the SFU (Janus), for 4, 6 and 8 participants in
 * one run on this machine. Prints one JSON document on stdout (progress on stderr); not a test.
 *
 * Every participant is an SDK client publishing the same small fake camera (320x240 at 15 fps,
 * no audio) and receiving everyone else. Per cell (mode × size), in a fresh headless Chromium:
 * join-to-first-frame of every newcomer, then, once everyone decodes everyone, CPU over a fixed
 * window of the Chromium process trees (the clients), of the Parley server process and of Janus,
 * and frames decoded per second per stream (so a machine that cannot keep up shows as lower
 * rates, not as hidden failures). See bench/sfu/room-cell.ts for one cell, docs/BENCHMARKS.md,
 * "Large rooms: mesh vs SFU", for a run's figures.
 *
 * Two Parley servers run as child processes for the whole run (so /proc charges each, and only
 * it): one without Janus (every room mesh), one with a real Janus (test/helpers/janus.ts) and
 * SFU rooms created by the first joiner with `mode: 'sfu'` (`client.join(room, { mode: 'sfu' })`),
 * so every newcomer joins a room that already carries its media through Janus.
 *
 *   npm run -s bench:sfu [-- --sizes 4,6,8 --window-s 15 --settle-s 4 --out result.json]
 *   npm run -s bench:sfu -- --quick      # 4 participants only, 2 s settle + 5 s window (about 30 s)
 *   npm run -s bench:sfu -- --sizes 8 --modes sfu --join-gap-s 1.5   # one mode, 1.5 s between joins
 *   npm run -s bench:sfu -- --sizes 6 --modes sfu --e2ee   # every participant end-to-end encrypted
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { bundlePages, removeDir } from '../../test/helpers/browser.ts';
import { startJanus, type TestJanus } from '../../test/helpers/janus.ts';
import { freePort, type RunningServer, startServer } from '../signaling/server-process.ts';
import { ROOT } from '../signaling/targets.ts';
import { round } from './figures.ts';
import { type CellEntry, compare, type SfuBenchReport } from './report.ts';
import { loads, type Mode, runCell } from './room-cell.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    'window-s': { type: 'string' },
    'settle-s': { type: 'string' },
    'deadline-s': { type: 'string', default: '900' },
    modes: { type: 'string', default: 'mesh,sfu' },
    'join-gap-s': { type: 'string', default: '0' },
    e2ee: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write(
    'usage: npm run -s bench:sfu [-- --quick] [--sizes 4,6,8] [--window-s 15] [--settle-s 4] [--modes mesh,sfu] [--join-gap-s 0] [--e2ee] [--deadline-s 900] [--out file.json]\n',
  );
  process.exit(0);
}
const QUICK = values.quick;
const SIZES = (values.sizes ?? (QUICK ? '4' : '4,6,8')).split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 3 || n > 16) throw new Error(`--sizes: ${s} is not 3..16`);
  return n;
});
const WINDOW_S = Number(values['window-s'] ?? (QUICK ? 5 : 15));
const SETTLE_S = Number(values['settle-s'] ?? (QUICK ? 2 : 4));
const DEADLINE_MS = Number(values['deadline-s']) * 1000;
const MODES = values.modes.split(',').map((m) => {
  if (m !== 'mesh' && m !== 'sfu') throw new Error(`--modes: ${m} is not mesh or sfu`);
  return m as Mode;
});
/** Pause between joins (after a newcomer's first frames), to space keyframe requests out. */
const JOIN_GAP_MS = Math.max(0, Number(values['join-gap-s']) * 1000);
const CORES = availableParallelism();
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A Parley server as a child process (`node --import tsx packages/server/src/main.ts`). */
async function startParley(
  env: Record<string, string>,
): Promise<RunningServer & { url: string; wsUrl: string }> {
  const port = await freePort();
  const server = await startServer(
    {
      args: ['--import', 'tsx', `${ROOT}packages/server/src/main.ts`],
      env: {
        PARLEY_HOST: '127.0.0.1',
        PARLEY_PORT: String(port),
        PARLEY_STUN_PORT: 'off',
        PARLEY_LOG_LEVEL: 'warn',
        ...env,
      },
    },
    port,
    4096,
  );
  return { ...server, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` };
}

/** Waits until the server's /healthz says its Janus link is up. */
async function sfuReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/healthz`);
      last = await res.text();
      if ((JSON.parse(last) as { sfu?: string }).sfu === 'ok') return;
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`Parley's SFU link not up after ${timeoutMs} ms: ${last}`);
}

/** The commit measured, and files under packages/ that differ from it (others' work in progress). */
function gitState(): SfuBenchReport['git'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'packages');
    return { commit: git('rev-parse', 'HEAD'), uncommittedInPackages: dirty ? dirty.split('\n') : [] };
  } catch {
    return { commit: 'unknown', uncommittedInPackages: [] };
  }
}

const runStarted = Date.now();
const git = gitState();
const loadStart = loads();
const method = {
  sizes: SIZES,
  settleS: SETTLE_S,
  windowS: WINDOW_S,
  modes: MODES,
  joinGapS: JOIN_GAP_MS / 1000,
  e2ee: values.e2ee
    ? 'on: every participant joins with e2ee (one shared secret, AES-GCM per frame in the E2EE worker), the room requiring it'
    : 'off',
  clients:
    'one headless Chromium per cell (Debian /usr/bin/chromium), one page, one SDK ParleyClient per participant',
  camera: '320x240 @ 15 fps requested from the fake camera, no audio; every participant publishes',
  mesh: 'Parley server without Janus: one RTCPeerConnection per pair, each publisher encodes once per receiver',
  sfu: 'Parley server with a real Janus 1.1 VideoRoom (test/helpers/janus.ts), rooms created with join mode sfu: one publisher and one subscriber connection per participant',
  cpu: 'utime+stime from /proc over the window: Chromium = every process under the launched browser; Parley = its server process; Janus = its process (idle in mesh cells); percent of one core',
  order: 'per size, mesh and SFU back to back, the order alternating from size to size',
};
const cells: CellEntry[] = [];

let janus: TestJanus | undefined;
let mesh: Awaited<ReturnType<typeof startParley>> | undefined;
let sfu: Awaited<ReturnType<typeof startParley>> | undefined;
const dir = await bundlePages({
  bench: join(ROOT, 'bench/sfu/page.ts'),
  'e2ee-worker': join(ROOT, 'packages/client/src/features/e2ee/frame-worker.ts'),
});
try {
  janus = await startJanus({ rtpPorts: 200 });
  if (!janus.iceAddress) throw new Error('no non-loopback IPv4 address: Chromium cannot reach Janus');
  [mesh, sfu] = await Promise.all([
    startParley({ PARLEY_WEB_DIR: dir }),
    startParley({
      PARLEY_WEB_DIR: dir,
      PARLEY_JANUS_URL: janus.wsUrl,
      PARLEY_JANUS_API_SECRET: janus.apiSecret,
      PARLEY_JANUS_ADMIN_KEY: janus.adminKey,
    }),
  ]);
  await sfuReady(sfu.url, 20_000);
  log(`bench:sfu: sizes ${SIZES.join(',')}, window ${WINDOW_S} s, load ${loadavg()[0]?.toFixed(2)}`);

  for (const [i, n] of SIZES.entries()) {
    const order = (i % 2 === 0 ? (['mesh', 'sfu'] as const) : (['sfu', 'mesh'] as const)).filter((m) =>
      MODES.includes(m),
    );
    for (const mode of order) {
      if (Date.now() - runStarted > DEADLINE_MS) {
        cells.push({ mode, participants: n, skipped: `run deadline (${DEADLINE_MS / 1000} s) passed` });
        continue;
      }
      const server = mode === 'mesh' ? mesh : sfu;
      log(`cell ${mode} n=${n}`);
      try {
        cells.push(
          await runCell({
            mode,
            participants: n,
            server: { url: server.url, wsUrl: server.wsUrl, pid: server.pid },
            janusPid: janus.pid,
            settleS: SETTLE_S,
            windowS: WINDOW_S,
            joinTimeoutMs: 20_000,
            joinGapMs: JOIN_GAP_MS,
            meshUpTimeoutMs: 45_000,
            e2ee: values.e2ee,
            cores: CORES,
            log,
          }),
        );
      } catch (error) {
        cells.push({ mode, participants: n, error: error instanceof Error ? error.message : String(error) });
      }
      // Let Janus and the server drop the room's sessions before the next cell.
      await sleep(1500);
    }
  }
} finally {
  await Promise.allSettled([mesh?.stop(), sfu?.stop()]);
  await janus?.close();
  removeDir(dir);
}

const report: SfuBenchReport = {
  bench: 'sfu',
  date: new Date(runStarted).toISOString(),
  command: `bench:sfu ${process.argv.slice(2).join(' ')}`.trim(),
  git,
  machine: {
    nproc: CORES,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memTotalGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg: { start: loadStart, end: loads() },
  },
  method,
  cells,
  comparisons: compare(cells, SIZES),
  durationS: round((Date.now() - runStarted) / 1000, 0) ?? 0,
};

const text = JSON.stringify(report, null, 2);
if (values.out) writeFileSync(values.out, `${text}\n`);
process.stdout.write(`${text}\n`);
