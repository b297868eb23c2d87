/**
 * The measured window: the server's CPU time (from /proc), the load generator's own CPU and the
 * whole host's busy share are sampled at its start and end, on the load generator's event loop,
 * the same loop that counts the frames, so frames and CPU are counted over the same interval.
 */
import os from 'node:os';
import { hostBusyPercent, hostCpuTicks, involuntarySwitches, processCpuMs } from './proc.ts';
import { round3 } from './stats.ts';

export interface WindowMark {
  atMs: number;
  serverCpuMs: number;
  serverSwitches: number;
  loadgenCpu: NodeJS.CpuUsage;
  host: { busy: number; total: number };
}

export interface WindowFigures {
  wallMs: number;
  serverCpuMs: number;
  /** Server CPU as a share of one core over the window. */
  serverCpuPercent: number;
  loadgenCpuPercent: number;
  /** All cores, all processes (including other people's work on a shared machine). */
  hostBusyPercent: number;
  /** How often the server was preempted while runnable: contention from other processes. */
  serverPreemptionsPerS: number;
  /** The machine's 1-minute load average at the end of the window. */
  loadAverage1m: number;
}

export function markWindow(serverPid: number): WindowMark {
  return {
    atMs: performance.now(),
    serverCpuMs: processCpuMs(serverPid),
    serverSwitches: involuntarySwitches(serverPid),
    loadgenCpu: process.cpuUsage(),
    host: hostCpuTicks(),
  };
}

export function windowFigures(start: WindowMark, end: WindowMark): WindowFigures {
  const wallMs = end.atMs - start.atMs;
  const loadgen = process.cpuUsage(start.loadgenCpu);
  const serverCpuMs = end.serverCpuMs - start.serverCpuMs;
  return {
    wallMs: round3(wallMs),
    serverCpuMs: round3(serverCpuMs),
    serverCpuPercent: round3((100 * serverCpuMs) / wallMs),
    loadgenCpuPercent: round3((100 * (loadgen.user + loadgen.system)) / 1000 / wallMs),
    hostBusyPercent: round3(hostBusyPercent(start.host, end.host)),
    serverPreemptionsPerS: Math.round(((end.serverSwitches - start.serverSwitches) * 1000) / wallMs),
    loadAverage1m: round3(os.loadavg()[0] ?? Number.NaN),
  };
}

/**
 * Warm-up before a measured window, bounded in work as well as time: at least `warmupMs`, and on
 * until `warmupMessages` frames have been delivered (V8 optimizes code after enough calls, not
 * after enough time, and a server starved of CPU by other processes needs longer to get there),
 * but never past `warmupMaxMs`. Returns what the warm-up took.
 */
export async function warmUp(
  timing: { warmupMs: number; warmupMessages: number; warmupMaxMs: number },
  delivered: () => number,
): Promise<{ warmupMs: number; warmupMessages: number }> {
  const started = performance.now();
  await sleep(timing.warmupMs);
  await waitUntil(
    () => delivered() >= timing.warmupMessages,
    Math.max(0, timing.warmupMaxMs - timing.warmupMs),
  );
  return { warmupMs: Math.round(performance.now() - started), warmupMessages: delivered() };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `done` every 20 ms until it is true or `timeoutMs` has passed; returns whether it was. */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Microseconds on the load generator's monotonic clock (senders and receivers share it). */
export const nowMicros = () => Math.round(performance.now() * 1000);

/** Counts frames that are not bench payloads (errors, acks, pongs) by their `type`. */
export function countOther(counts: Record<string, number>, frame: Buffer): void {
  let type = 'unparsable';
  try {
    const v: unknown = JSON.parse(String(frame));
    if (typeof v === 'object' && v !== null && 'type' in v) {
      type = String(v.type);
      if ('code' in v) type += `:${String(v.code)}`;
    }
  } catch {
    // Counted as unparsable.
  }
  counts[type] = (counts[type] ?? 0) + 1;
}
