/**
 * CPU time of the Chromium process trees this process launched (browser, renderers, GPU and
 * utility processes), from /proc. Only subtrees whose root command line names chromium count,
 * so Janus, the Parley servers and esbuild's service (also our children) are left out.
 */
import { readFileSync } from 'node:fs';
import { parentPids, processCpuMs, withDescendants } from '../signaling/proc.ts';

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The pids of every Chromium process under this one. */
export function chromiumPids(): number[] {
  const parent = parentPids();
  const roots: number[] = [];
  for (const [pid, ppid] of parent) {
    if (ppid === process.pid && /chrom/i.test(commandLine(pid))) roots.push(pid);
  }
  return [...withDescendants(roots, parent)];
}

/** CPU ms (user + system, all threads) used so far by each of `pids` that still runs. */
export function cpuMsByPid(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, processCpuMs(pid));
    } catch {
      // Ended meanwhile.
    }
  }
  return out;
}

/**
 * CPU ms the Chromium trees used between two readings: the sum over processes present in both
 * (a process that started or ended inside the window is reported, not guessed at).
 */
export function chromiumCpuBetween(
  before: Map<number, number>,
  after: Map<number, number>,
): { ms: number; processes: number; startedOrEnded: number } {
  let ms = 0;
  let both = 0;
  for (const [pid, t1] of after) {
    const t0 = before.get(pid);
    if (t0 === undefined) continue;
    ms += t1 - t0;
    both++;
  }
  const startedOrEnded = before.size + after.size - 2 * both;
  return { ms, processes: both, startedOrEnded };
}
