/**
 * E2EE cost in Chromium: two pages of one headless Chromium in a mesh room, each sending its
 * fake camera (fixed at `WIDTH`x`HEIGHT`, `FPS` frames a second) and microphone to the other and
 * receiving the other's. Three arms, rotated in order every round so load drifts fall on all of
 * them: `plain` (no transform), `passthrough` (the encoded transform with a worker that passes
 * frames on unchanged: the cost of the plumbing) and `e2ee` (the real worker). Each round
 * measures the CPU time of the whole browser (every process descended from this one, from
 * /proc) over `WINDOW_S` seconds once video flows, and the frames encoded and decoded in that
 * window (getStats), so the cost is reported per second and per video frame. Prints JSON with
 * each round and, per arm, the median and spread; ratios are of medians.
 *
 *   node --import tsx bench/e2ee/cpu.ts          (ROUNDS=4 WINDOW_S=10 WIDTH=640 HEIGHT=360 FPS=15)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { launchChromium, newMediaContext, servePages } from '../../test/helpers/browser.ts';
import { startServer } from '../../test/helpers/server.ts';

const WINDOW_S = Number(process.env.WINDOW_S ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const WIDTH = Number(process.env.WIDTH ?? 640);
const HEIGHT = Number(process.env.HEIGHT ?? 360);
const FPS = Number(process.env.FPS ?? 15);
const TICKS = 100; // USER_HZ on Linux
type Arm = 'plain' | 'passthrough' | 'e2ee';
const ARMS: Arm[] = ['plain', 'passthrough', 'e2ee'];

/** CPU seconds (user + system) of every process descended from this one. */
function treeCpuSeconds(): number {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / TICKS);
    } catch {}
  }
  let total = 0;
  for (const [pid, seconds] of cpu) {
    let p: number | undefined = parent.get(pid);
    while (p !== undefined && p > 1 && p !== process.pid) p = parent.get(p);
    if (p === process.pid) total += seconds;
  }
  return total;
}

const site = await servePages(
  {
    'e2ee-page': fileURLToPath(new URL('../../test/e2e/e2ee/e2ee-page.ts', import.meta.url)),
    'e2ee-worker': fileURLToPath(
      new URL('../../packages/client/src/features/e2ee/frame-worker.ts', import.meta.url),
    ),
    'passthrough-worker': fileURLToPath(new URL('./passthrough-worker.ts', import.meta.url)),
  },
  (dir) => startServer({ PARLEY_WEB_DIR: dir }),
);
const browser = await launchChromium();
interface Round {
  arm: Arm;
  cpuPerSecond: number;
  /** Video frames decoded per second, summed over both pages. */
  decodedPerSecond: number;
  encodedPerSecond: number;
  /** CPU seconds per decoded video frame (each frame was also encoded once). */
  cpuPerFrameMs: number;
  firstDecryptMs: number | null;
  load1: number;
}
const results: Round[] = [];
let n = 0;
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = ARMS.map((_, i) => ARMS[(i + round) % ARMS.length]!);
    for (const arm of order) {
      n++;
      const context = await newMediaContext(browser, site.server.url);
      const pages = await Promise.all([context.newPage(), context.newPage()]);
      for (const [i, page] of pages.entries()) {
        await page.goto(site.page('e2ee-page'));
        await page.waitForFunction(() => typeof window.e2ee === 'object');
        await page.evaluate(([url, name]) => window.e2ee.connect(url, name), [
          site.server.wsUrl,
          `m${n}x${i}`,
        ] as const);
      }
      const video = { width: { exact: WIDTH }, height: { exact: HEIGHT }, frameRate: { exact: FPS } };
      for (const page of pages)
        await page.evaluate(([room, s, opts]) => window.e2ee.join(room, s, null, opts), [
          `bench-${n}`,
          arm === 'plain' ? null : 'bench secret',
          { video, ...(arm === 'passthrough' ? { worker: '/passthrough-worker.js' } : {}) },
        ] as const);
      const counts = () => Promise.all(pages.map((p) => p.evaluate(() => window.e2ee.videoFrames())));
      await pages[0]!.waitForFunction(
        async () => (Object.values(await window.e2ee.decoded())[0]?.framesDecoded ?? 0) > 2 * 15,
        null,
        { timeout: 30_000, polling: 200 },
      );
      const firstDecryptMs =
        arm === 'e2ee' ? await pages[0]!.evaluate(() => window.e2ee.firstDecryptMs()) : null;
      const f0 = await counts();
      const c0 = treeCpuSeconds();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
      const c1 = treeCpuSeconds();
      const f1 = await counts();
      const elapsed = (performance.now() - t0) / 1000;
      const sum = (k: 'encoded' | 'decoded') => f1[0]![k] - f0[0]![k] + f1[1]![k] - f0[1]![k];
      results.push({
        arm,
        cpuPerSecond: round3((c1 - c0) / elapsed),
        decodedPerSecond: round3(sum('decoded') / elapsed),
        encodedPerSecond: round3(sum('encoded') / elapsed),
        cpuPerFrameMs: round3(((c1 - c0) / Math.max(1, sum('decoded'))) * 1000),
        firstDecryptMs,
        load1: round3(loadavg()[0]!),
      });
      await context.close();
    }
  }
} finally {
  await browser.close();
  await site.close();
}

function round3(x: number): number {
  return Number(x.toFixed(3));
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function summary(arm: Arm, key: 'cpuPerSecond' | 'cpuPerFrameMs' | 'decodedPerSecond') {
  const xs = results.filter((r) => r.arm === arm).map((r) => r[key]);
  return { median: round3(median(xs)), min: Math.min(...xs), max: Math.max(...xs) };
}
const arms = Object.fromEntries(
  ARMS.map((arm) => [
    arm,
    {
      cpuPerSecond: summary(arm, 'cpuPerSecond'),
      cpuPerFrameMs: summary(arm, 'cpuPerFrameMs'),
      decodedPerSecond: summary(arm, 'decodedPerSecond'),
    },
  ]),
) as unknown as Record<
  Arm,
  Record<'cpuPerSecond' | 'cpuPerFrameMs' | 'decodedPerSecond', { median: number }>
>;
const ratio = (a: Arm, key: 'cpuPerSecond' | 'cpuPerFrameMs') =>
  round3(arms[a][key].median / arms.plain[key].median);
console.log(
  JSON.stringify(
    {
      windowS: WINDOW_S,
      rounds: ROUNDS,
      video: `${WIDTH}x${HEIGHT}@${FPS}`,
      results,
      arms,
      ratios: {
        e2eeOverPlainPerSecond: ratio('e2ee', 'cpuPerSecond'),
        e2eeOverPlainPerFrame: ratio('e2ee', 'cpuPerFrameMs'),
        passthroughOverPlainPerSecond: ratio('passthrough', 'cpuPerSecond'),
        passthroughOverPlainPerFrame: ratio('passthrough', 'cpuPerFrameMs'),
      },
    },
    null,
    2,
  ),
);
