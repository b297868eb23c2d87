/**
 * Starts the Parley server under attack: the current tree, or a commit materialised by
 * bench/signaling/baseline.ts, each in its own process (so /proc charges it alone) with
 * `--expose-gc` and the gc-on-signal preload, and reads its RSS and /metrics.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '../signaling/measure-window.ts';
import { processMemoryKiB } from '../signaling/proc.ts';
import { freePort, type RunningServer, startServer } from '../signaling/server-process.ts';
import { median, round3 } from '../signaling/stats.ts';
import { ROOT } from '../signaling/targets.ts';

/** A tree to attack: the current one (`parley`) or one at a ref (`parley@<ref>`). */
export interface Tree {
  target: string;
  /** Repository root of the tree, with a trailing slash. */
  root: string;
}

const GC_PRELOAD = `${ROOT}bench/attack/gc-on-signal.ts`;

/** Files a server under attack may need open: a few hundred sockets, and room to spare. */
const FILES = 4096;

export async function startParley(tree: Tree, env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  return startServer(
    {
      args: [
        '--expose-gc',
        '--import',
        'tsx',
        '--import',
        GC_PRELOAD,
        `${tree.root}packages/server/src/main.ts`,
      ],
      env: { ...env, PARLEY_HOST: '127.0.0.1', PARLEY_PORT: String(port), PARLEY_STUN_PORT: 'off' },
      cwd: tree.root,
    },
    port,
    FILES,
  );
}

export const mib = (kib: number) => round3(kib / 1024);

/**
 * RSS after a forced settle: two full collections in the server (SIGUSR2, see gc-on-signal.ts),
 * a pause for the allocator to hand pages back, then the median of three readings, in KiB.
 */
export async function settledRssKiB(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await sleep(1000);
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(250);
    readings.push(processMemoryKiB(pid).rssKiB);
  }
  return median(readings);
}

/** The peak RSS the process reached (VmHWM), in KiB. */
export const peakRssKiB = (pid: number) => processMemoryKiB(pid).hwmKiB;

/** True while the process exists (it may have been killed by the kernel under memory pressure). */
export function alive(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

export interface MetricsScrape {
  /** HTTP status of GET /metrics (null when the request failed). */
  status: number | null;
  /** Every parley_* metric (histogram buckets left out), summed over its label sets. */
  values: Record<string, number>;
}

/**
 * Reads /metrics on loopback. Metric names are taken as the server reports them, so counters a
 * newer server adds (queued bytes, say) show up without the benchmark knowing their names.
 */
export async function scrapeMetrics(port: number): Promise<MetricsScrape> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    const values: Record<string, number> = {};
    if (res.ok) {
      for (const line of text.split('\n')) {
        const m = /^(parley_[a-z0-9_]+)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
        if (!m || m[1]!.endsWith('_bucket')) continue;
        const v = Number(m[2]);
        if (Number.isFinite(v)) values[m[1]!] = round3((values[m[1]!] ?? 0) + v);
      }
    }
    return { status: res.status, values };
  } catch {
    return { status: null, values: {} };
  }
}
