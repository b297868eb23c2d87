/**
 * E2EE cost in Chromium: two pages of one headless Chromium in a mesh room (each sends its fake
 * camera and microphone to the other and receives the other's), once without and once with
 * end-to-end encryption, alternately `ROUNDS` times. Measures the CPU time of the whole browser
 * (every process descended from this one, from /proc) over `WINDOW_S` seconds once video flows,
 * and the time from `join()` to the first decrypted frame. Prints JSON; the ratio is what
 * docs/BENCHMARKS.md quotes.
 *
 *   node --import tsx bench/e2ee/cpu.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium, newMediaContext, servePages } from '../../test/helpers/browser.ts';
import { startServer } from '../../test/helpers/server.ts';

const WINDOW_S = Number(process.env.WINDOW_S ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const TICKS = 100; // USER_HZ on Linux

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
  },
  (dir) => startServer({ PARLEY_WEB_DIR: dir }),
);
const browser = await launchChromium();
const results: {
  e2ee: boolean;
  cpuPerSecond: number;
  framesPerSecond: number;
  firstDecryptMs: number | null;
}[] = [];
let n = 0;
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const e2ee of [false, true]) {
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
      for (const page of pages)
        await page.evaluate(([room, s]) => window.e2ee.join(room, s), [
          `bench-${n}`,
          e2ee ? 'bench secret' : null,
        ] as const);
      const frames = () =>
        Promise.all(
          pages.map((p) =>
            p.evaluate(async () => Object.values(await window.e2ee.decoded())[0]?.framesDecoded ?? 0),
          ),
        );
      await pages[0]!.waitForFunction(
        async () => (Object.values(await window.e2ee.decoded())[0]?.framesDecoded ?? 0) > 20,
        null,
        { timeout: 30_000, polling: 200 },
      );
      const firstDecryptMs = e2ee ? await pages[0]!.evaluate(() => window.e2ee.firstDecryptMs()) : null;
      const f0 = await frames();
      const c0 = treeCpuSeconds();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
      const c1 = treeCpuSeconds();
      const f1 = await frames();
      const elapsed = (performance.now() - t0) / 1000;
      results.push({
        e2ee,
        // Two streams each way per page pair: video + audio out of and into each page.
        cpuPerSecond: Number(((c1 - c0) / elapsed).toFixed(3)),
        framesPerSecond: Number(((f1[0]! - f0[0]! + f1[1]! - f0[1]!) / 2 / elapsed).toFixed(1)),
        firstDecryptMs,
      });
      await context.close();
    }
  }
} finally {
  await browser.close();
  await site.close();
}
const mean = (e: boolean) => {
  const r = results.filter((x) => x.e2ee === e);
  return r.reduce((s, x) => s + x.cpuPerSecond, 0) / r.length;
};
console.log(
  JSON.stringify(
    {
      windowS: WINDOW_S,
      rounds: ROUNDS,
      results,
      cpuRatioE2eeOverPlain: Number((mean(true) / mean(false)).toFixed(3)),
    },
    null,
    2,
  ),
);
