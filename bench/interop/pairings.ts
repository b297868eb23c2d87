/**
 * Call-setup time per browser pairing: how long from the start of a call until ICE is connected,
 * and until the first remote video frame is decoded, on both sides, for chromium↔chromium and
 * chromium↔firefox (and firefox↔chromium: the first browser named starts the call). Prints one
 * JSON document; not a test.
 *
 * - `sdk`: the Parley client SDK through a real Parley server (in this process). The clock
 *   starts when the caller calls `client.call(name)` (both clients are already logged in), so it
 *   includes both sides' getUserMedia, the ring, the accept and the negotiation.
 * - `raw`: bare RTCPeerConnections; this process relays signals between the pages (polling
 *   every 2 ms) and camera and microphone are open before the clock starts at createOffer: what
 *   the two engines cost, without Parley.
 *
 * Run: `node --import tsx bench/interop/pairings.ts [runs]` (default 5 measured runs per
 * pairing and mode, after one unmeasured warm-up call). Each run uses two fresh pages in the
 * same two browsers; milestones are stamped inside the pages with Date.now() (one clock for
 * every process on the machine).
 */

import { availableParallelism, loadavg } from 'node:os';
import { initRawPeer, relayUntil, startRawSite, type Timeline } from '../../test/e2e/interop/raw-harness.ts';
import { type CallTimeline, connectSdkPeer, startSdkSite } from '../../test/e2e/interop/sdk-harness.ts';
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

interface Sample {
  iceMs: number;
  frameMs: number;
}

async function rawRun(browsers: BrowserSet, pageUrl: string, pairing: Pairing): Promise<Sample> {
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

let callSeq = 0;

async function sdkRun(
  browsers: BrowserSet,
  site: { pageUrl: string; wsUrl: string },
  pairing: Pairing,
): Promise<Sample> {
  const [a, b] = await browsers.pair(pairing, site.pageUrl);
  try {
    const n = ++callSeq;
    const callee = `bench-b${n}`;
    await Promise.all([connectSdkPeer(a, site.wsUrl, `bench-a${n}`), connectSdkPeer(b, site.wsUrl, callee)]);
    await a.evaluate((name) => window.sdkPeer.call(name), callee);
    const bothFramed = async (p: typeof a) =>
      p.waitFor(
        () => {
          const t = window.sdkPeer.timeline();
          return t.firstFrameAt !== null && t.iceConnectedAt !== null ? t : null;
        },
        { intervalMs: 20, timeoutMs: 10_000, what: 'ICE connected and first frame decoded' },
      );
    const [ta, tb]: CallTimeline[] = await Promise.all([bothFramed(a), bothFramed(b)]);
    const start = ta!.callAt!;
    return {
      iceMs: Math.max(ta!.iceConnectedAt!, tb!.iceConnectedAt!) - start,
      frameMs: Math.max(ta!.firstFrameAt!, tb!.firstFrameAt!) - start,
    };
  } finally {
    await Promise.allSettled([
      a.evaluate(() => window.sdkPeer.close()),
      b.evaluate(() => window.sdkPeer.close()),
    ]);
    await browsers.closePages();
  }
}

interface Measured {
  ice: Summary | null;
  frame: Summary | null;
  /** Calls that did not reach a decoded frame on both sides in time (with the error text). */
  failures: string[];
}

/**
 * One warm-up call, then `runs` measured ones. A call that does not come up in time is counted
 * as a failure (and reported) rather than ending the benchmark: a setup failure rate is a
 * result too.
 */
async function measure(runs: number, run: () => Promise<Sample>): Promise<Measured> {
  const failures: string[] = [];
  const attempt = async (): Promise<Sample | null> => {
    try {
      return await run();
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
      return null;
    }
  };
  await attempt();
  const ice: number[] = [];
  const frame: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await attempt();
    if (!r) continue;
    ice.push(r.iceMs);
    frame.push(r.frameMs);
  }
  return {
    ice: ice.length ? summarize(ice) : null,
    frame: frame.length ? summarize(frame) : null,
    failures,
  };
}

async function main(): Promise<void> {
  const runs = Math.max(1, Math.min(50, Number(process.argv[2] ?? 5) || 5));
  const browsers = new BrowserSet();
  const [raw, sdk] = await Promise.all([startRawSite(), startSdkSite()]);
  try {
    await browsers.warmUp(['chromium', 'firefox']);
    const sdkResults: Record<string, unknown> = {};
    const rawResults: Record<string, unknown> = {};
    for (const pairing of PAIRINGS) {
      const viaSdk = await measure(runs, () => sdkRun(browsers, sdk, pairing));
      sdkResults[pairingName(pairing)] = {
        caller: pairing[0],
        callToIceConnected: viaSdk.ice,
        callToFirstFrameDecoded: viaSdk.frame,
        failedCalls: viaSdk.failures,
      };
      const bare = await measure(runs, () => rawRun(browsers, raw.pageUrl, pairing));
      rawResults[pairingName(pairing)] = {
        offerer: pairing[0],
        offerToIceConnected: bare.ice,
        offerToFirstFrameDecoded: bare.frame,
        failedCalls: bare.failures,
      };
    }
    const report = {
      bench: 'interop/pairings',
      date: new Date().toISOString(),
      runsPerPairing: runs,
      machine: {
        cpus: availableParallelism(),
        loadavg1m: Number(loadavg()[0]!.toFixed(2)),
        node: process.version,
      },
      browsers: { chromium: await browsers.version('chromium'), firefox: await browsers.version('firefox') },
      notes: {
        sdk: 'start = caller invokes client.call(); includes both getUserMedia calls, ring, accept, negotiation through the Parley server; ICE/first frame = the later of the two sides',
        raw: 'start = offerer begins createOffer (media already open); signals relayed by this process every 2 ms; ICE/first frame = the later of the two sides',
      },
      sdk: sdkResults,
      raw: rawResults,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await browsers.close();
    await Promise.allSettled([raw.close(), sdk.close()]);
  }
}

await main();
