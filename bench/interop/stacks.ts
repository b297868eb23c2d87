/**
 * Connection setup time and file throughput between every pair of Parley's stacks — Chromium,
 * Firefox and the Node peer (the SDK on the CLI's node-datachannel adapter) — through a real
 * Parley server, in one run. Prints one JSON document; not a test.
 *
 * Pairings: chromium↔chromium, chromium↔firefox, firefox↔node, chromium↔node, node↔node.
 * Each run is a fresh two-member room, data only on both sides (the Node peer has no media, so
 * no pairing carries any and all five compare alike; media call setup between browsers is
 * measured by pairings.ts):
 *
 * - setup: the first member is in the room; the clock starts when the second one starts
 *   connecting to the server (its `connect()` + `join()`), and stops when the chat channel is
 *   open on both sides (the later of the two `open` events). Stamped with Date.now() inside each
 *   page / this process (one clock on the machine).
 * - file: the first member sends `fileMiB` MiB to the second through the SDK's file transfer,
 *   then the second sends as much back (one at a time); each from `files.send()` until the sender's `finished` (which waits for the receiver's
 *   `received`, after its SHA-256 check), on the sender's clock. The receiver's SHA-256 must
 *   match or the run counts as failed.
 *
 * Run: `node --import tsx bench/interop/stacks.ts [runs] [fileMiB]` (default 5 runs per pairing
 * after one unmeasured warm-up, 8 MiB).
 */

import { availableParallelism, loadavg } from 'node:os';
import { NodePeer, type PageFile, startRoomSite } from '../../test/e2e/interop/node-peer-harness.ts';
import { BrowserSet, type TestPage } from '../../test/helpers/browsers.ts';
import { until } from '../../test/helpers/wait.ts';

type Stack = 'chromium' | 'firefox' | 'node';
const PAIRINGS: readonly (readonly [Stack, Stack])[] = [
  ['chromium', 'chromium'],
  ['chromium', 'firefox'],
  ['firefox', 'node'],
  ['chromium', 'node'],
  ['node', 'node'],
];

/** One room member on any stack, with the few operations the benchmark needs. */
interface Member {
  readonly name: string;
  /** Connects and joins; resolves with Date.now() taken just before connecting. */
  join(room: string): Promise<number>;
  /** Date.now() when the chat channel with `other` opened, or null. */
  openedAt(other: string): Promise<number | null>;
  sendFile(to: string, bytes: number, seed: number): Promise<PageFile>;
  received(): Promise<PageFile[]>;
  close(): Promise<void>;
}

function pageMember(page: TestPage, wsUrl: string, name: string): Member {
  return {
    name,
    async join(room) {
      await page.waitFor(() => typeof window.roomPeer === 'object', { timeoutMs: 10_000, what: 'roomPeer' });
      return page.evaluate(
        async ([url, n, r]) => {
          const at = Date.now();
          await window.roomPeer.join(url, n, r, false);
          return at;
        },
        [wsUrl, name, room] as const,
      );
    },
    openedAt: async (other) => (await page.evaluate(() => window.roomPeer.openedAt()))[other] ?? null,
    sendFile: (to, bytes, seed) =>
      page.evaluate(([t, b, s]) => window.roomPeer.sendFile(t, b, s), [to, bytes, seed] as const),
    received: () => page.evaluate(() => window.roomPeer.receivedFiles()),
    async close() {
      await page.evaluate(() => window.roomPeer.close()).catch(() => {});
      await page.close();
    },
  };
}

function nodeMember(wsUrl: string, name: string): Member {
  let node: NodePeer | null = null;
  return {
    name,
    async join(room) {
      const at = Date.now();
      node = await NodePeer.connect(wsUrl, name);
      await node.join(room);
      return at;
    },
    openedAt: async (other) => node?.openedAt.get(other) ?? null,
    sendFile: (to, bytes, seed) => {
      if (!node) throw new Error('not joined');
      return node.sendFile(to, bytes, seed);
    },
    received: async () => [...(node?.received ?? [])],
    async close() {
      node?.close();
    },
  };
}

interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

function summarize(samples: number[]): Summary | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples };
}

let seq = 0;

async function run(
  browsers: BrowserSet,
  site: { pageUrl: string; wsUrl: string },
  pairing: readonly [Stack, Stack],
  fileBytes: number,
): Promise<{ setupMs: number; forwardMiBPerS: number; backMiBPerS: number }> {
  const n = ++seq;
  const room = `bench-${n}`;
  const make = async (stack: Stack, name: string): Promise<Member> =>
    stack === 'node'
      ? nodeMember(site.wsUrl, name)
      : pageMember(await browsers.openPage(stack, site.pageUrl), site.wsUrl, name);
  const a = await make(pairing[0], `a${n}-${pairing[0]}`);
  const b = await make(pairing[1], `b${n}-${pairing[1]}`);
  try {
    await a.join(room);
    const start = await b.join(room);
    const opened = await until(
      async () => {
        const [x, y] = [await a.openedAt(b.name), await b.openedAt(a.name)];
        return x !== null && y !== null ? Math.max(x, y) : null;
      },
      { intervalMs: 10, timeoutMs: 15_000, what: 'chat channel open on both sides' },
    );
    /** One file `from` → `to`, one at a time; MiB/s on the sender's clock. */
    const transfer = async (from: Member, to: Member, seed: number): Promise<number> => {
      const sent = await from.sendFile(to.name, fileBytes, seed);
      const got = await until(async () => (await to.received()).find((f) => f.name === sent.name), {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: `file received by ${to.name}`,
      });
      if (sent.state !== 'completed' || got.state !== 'completed' || got.pageSha256 !== sent.pageSha256) {
        throw new Error(
          `${from.name}→${to.name}: sent ${sent.state}, received ${got.state}, SHA-256 ${got.pageSha256 === sent.pageSha256 ? 'matches' : 'differs'}`,
        );
      }
      return fileBytes / 1024 / 1024 / ((sent.endedAt - sent.startedAt) / 1000);
    };
    const forwardMiBPerS = await transfer(a, b, 2 * n);
    const backMiBPerS = await transfer(b, a, 2 * n + 1);
    return { setupMs: opened - start, forwardMiBPerS, backMiBPerS };
  } finally {
    await Promise.allSettled([a.close(), b.close()]);
  }
}

async function main(): Promise<void> {
  const runs = Math.max(1, Math.min(50, Number(process.argv[2] ?? 5) || 5));
  const fileMiB = Math.max(1, Math.min(256, Number(process.argv[3] ?? 8) || 8));
  const browsers = new BrowserSet();
  const site = await startRoomSite();
  const load1mAtStart = loadavg()[0]!;
  try {
    await browsers.warmUp(['chromium', 'firefox']);
    const results: Record<string, unknown> = {};
    for (const pairing of PAIRINGS) {
      const failures: string[] = [];
      const setup: number[] = [];
      const forward: number[] = [];
      const back: number[] = [];
      for (let i = 0; i <= runs; i++) {
        try {
          const r = await run(browsers, site, pairing, fileMiB * 1024 * 1024);
          // The first run warms up (bundles, JIT, the server's first room): not measured.
          if (i === 0) continue;
          setup.push(r.setupMs);
          forward.push(Number(r.forwardMiBPerS.toFixed(1)));
          back.push(Number(r.backMiBPerS.toFixed(1)));
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        } finally {
          await browsers.closePages();
        }
      }
      results[`${pairing[0]}↔${pairing[1]}`] = {
        firstJoined: pairing[0],
        joinToChatOpenMs: summarize(setup),
        fileFirstToSecondMiBPerS: summarize(forward),
        fileSecondToFirstMiBPerS: summarize(back),
        failedRuns: failures,
      };
    }
    const report = {
      bench: 'interop/stacks',
      date: new Date().toISOString(),
      runsPerPairing: runs,
      fileMiB,
      machine: {
        cpus: availableParallelism(),
        loadavg1mAtStart: Number(load1mAtStart.toFixed(2)),
        loadavg1mAtEnd: Number(loadavg()[0]!.toFixed(2)),
        node: process.version,
      },
      browsers: { chromium: await browsers.version('chromium'), firefox: await browsers.version('firefox') },
      notes: {
        setup:
          'data-only 2-member room through the Parley server; start = the second member starts connect()+join(); end = chat channel open on both sides (later of the two)',
        file: 'one file each way in turn (first member to second, then back) via the SDK file transfer; send() until the sender sees the receiver confirm (SHA-256 checked); MiB/s on the sender clock',
      },
      pairings: results,
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await browsers.close();
    await site.close();
  }
}

await main();
