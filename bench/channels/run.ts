/**
 * `npx tsx bench/channels/run.ts [--seconds=10] [--rate=50]`: the SDK's app channels against raw
 * RTCDataChannels in the same Chromium page (page.ts), through a real Parley server. Prints JSON
 * (docs/BENCHMARKS.md, "App data channels"):
 * - latency: timestamped updates at `--rate` per second for `--seconds` on a reliable and a
 *   lossy (`ordered: false, maxRetransmits: 0`) channel, app and raw at once, at 0 %, 2 % and
 *   10 % UDP loss (p50/p99/max in ms, and how many arrived). The loss is random drop with
 *   nftables in a network namespace (test/e2e/channels/lossy-net.ts; this kernel has no netem),
 *   with no added delay; it needs root, and without it only the 0 % row is measured.
 * - throughput: messages/s and MB/s for 64 B and 16 KiB binary messages on the reliable
 *   channels without loss, each sender waiting while more than 1 MiB is buffered; the best of
 *   two runs each (raw, app, app, raw), and app/raw.
 * Imports the test helpers only.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { createLossyNet, type LossyNet, lossyNetSkipReason } from '../../test/e2e/channels/lossy-net.ts';
import { launchChromium, servePages } from '../../test/helpers/browser.ts';
import { startServer } from '../../test/helpers/server.ts';
import type { ChannelBenchApi } from './page.ts';

const arg = (name: string, fallback: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = hit ? Number(hit.slice(name.length + 3)) : fallback;
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 50);
const LOSSES = [0, 2, 10];
const SIZES = [
  { size: 64, count: 20_000 },
  { size: 16 * 1024, count: 2_000 },
];
const PAGE = { 'channel-bench': fileURLToPath(new URL('./page.ts', import.meta.url)) };

const skip = lossyNetSkipReason();
let net: LossyNet | undefined;
let closeSite: () => Promise<void>;
let site: { page: string; wsUrl: string };
let browser: Browser | undefined;
if (skip) {
  const s = await servePages(PAGE, (dir) => startServer({ PARLEY_WEB_DIR: dir }));
  site = { page: s.page('channel-bench'), wsUrl: s.server.wsUrl };
  closeSite = s.close;
} else {
  const lossy = createLossyNet();
  net = lossy;
  const s = await lossy.startSite(PAGE);
  site = { page: s.page('channel-bench'), wsUrl: s.wsUrl };
  closeSite = () => lossy.close();
}
try {
  browser = net ? await net.launchChromium() : await launchChromium();
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(site.page);
  await page.waitForFunction(() => typeof window.channelBench === 'object');
  await page.evaluate((u) => window.channelBench.setup(u), site.wsUrl);
  const bench = {
    latency: (n: number, ms: number) =>
      page.evaluate(([a, b]) => window.channelBench.latency(a, b), [n, ms] as const),
    throughput: (...a: Parameters<ChannelBenchApi['throughput']>) =>
      page.evaluate(([k, s, c]) => window.channelBench.throughput(k, s, c), a),
  };

  const latency = [];
  for (const lossPercent of net ? LOSSES : [0]) {
    net?.setLoss(lossPercent);
    const result = await bench.latency(Math.round(SECONDS * RATE), 1000 / RATE);
    latency.push({ lossPercent, udp: net?.udpCounts(), ...result });
  }
  net?.setLoss(0);

  const throughput = [];
  for (const { size, count } of SIZES) {
    // raw, app, app, raw: the best of two runs each, in an order that favours neither.
    const best = (a: { msgsPerS: number; MBps: number }, b: typeof a) => (a.msgsPerS >= b.msgsPerS ? a : b);
    const raw1 = await bench.throughput('raw', size, count);
    const app1 = await bench.throughput('app', size, count);
    const app = best(app1, await bench.throughput('app', size, count));
    const raw = best(raw1, await bench.throughput('raw', size, count));
    throughput.push({ size, count, raw, app, ratio: +(app.msgsPerS / raw.msgsPerS).toFixed(2) });
  }
  console.log(
    JSON.stringify(
      {
        bench: 'channels',
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        loadavg: loadavg().map((x) => +x.toFixed(2)),
        network: skip
          ? `loopback, no loss (${skip})`
          : 'network namespace, random UDP drop with nftables (no added delay)',
        updates: { seconds: SECONDS, perSecond: RATE },
        latency,
        throughput,
      },
      null,
      2,
    ),
  );
} finally {
  await browser?.close();
  await closeSite();
}
