/**
 * Call-setup time per browser pairing: how long from the start of a call until ICE is connected,
 * and until the first remote video frame is decoded on both sides, for chromium↔chromium and
 * chromium↔firefox (and firefox offering to chromium). Prints one JSON document; not a test.
 *
 * Mode `raw`: bare RTCPeerConnections, the benchmark process relays signals between the pages
 * (polling every 2 ms), so this is what the two engines cost, without Parley.
 *
 * Run: `node --import tsx bench/interop/pairings.ts [runs]` (default 5 runs per pairing).
 * Each run uses two fresh pages; the browsers stay up between runs, camera and microphone are
 * opened before the clock starts, and milestones are stamped inside the pages with Date.now()
 * (one clock for every process on the machine).
 */

import { availableParallelism, loadavg } from 'node:os';
import { initRawPeer, relayUntil, startRawSite, type Timeline } from '../../test/e2e/interop/raw-harness.ts';
import { BrowserSet, type Pairing, pairingName } from '../../test/helpers/browsers.ts';

interface Summary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
}

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianMs: median, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, samplesMs: samples };
}

/** Pairings measured; the first browser named makes the offer. */
const PAIRINGS: readonly Pairing[] = [
  ['chromium', 'chromium'],
  ['chromium', 'firefox'],
  ['firefox', 'chromium'],
];

async function rawRun(
  browsers: BrowserSet,
  pageUrl: string,
  pairing: Pairing,
): Promise<{ iceMs: number; frameMs: number }> {
  const [a, b] = await browsers.pair(pairing, pageUrl);
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
    const start = ta.offerAt!;
    return {
      iceMs: Math.max(ta.iceConnectedAt!, tb.iceConnectedAt!) - start,
      frameMs: Math.max(ta.firstFrameAt!, tb.firstFrameAt!) - start,
    };
  } finally {
    await browsers.closePages();
  }
}

async function main(): Promise<void> {
  const runs = Math.max(1, Math.min(50, Number(process.argv[2] ?? 5) || 5));
  const browsers = new BrowserSet();
  const site = await startRawSite();
  try {
    await browsers.warmUp(['chromium', 'firefox']);
    const results: Record<string, unknown> = {};
    for (const pairing of PAIRINGS) {
      // One unmeasured call first: the first call in a fresh browser pays for codec and
      // network-stack initialisation that later calls do not.
      await rawRun(browsers, site.pageUrl, pairing);
      const ice: number[] = [];
      const frame: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await rawRun(browsers, site.pageUrl, pairing);
        ice.push(r.iceMs);
        frame.push(r.frameMs);
      }
      results[pairingName(pairing)] = {
        offerer: pairing[0],
        offerToIceConnected: summarize(ice),
        offerToFirstFrameDecoded: summarize(frame),
      };
    }
    const report = {
      bench: 'interop/pairings',
      mode: 'raw',
      date: new Date().toISOString(),
      runsPerPairing: runs,
      machine: {
        cpus: availableParallelism(),
        loadavg1m: Number(loadavg()[0]!.toFixed(2)),
        node: process.version,
      },
      browsers: { chromium: await browsers.version('chromium'), firefox: await browsers.version('firefox') },
      note: 'start = offerer begins createOffer; ICE/first frame = the later of the two sides; signals relayed by this process every 2 ms',
      pairings: results,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await browsers.close();
    await site.close();
  }
}

await main();
