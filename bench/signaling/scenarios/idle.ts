/**
 * Idle scenario: many clients log in and then do nothing. The server's RSS is read before (after
 * a few warm-up connections have come and gone, so code paths are compiled) and after all are
 * logged in and things have settled; the difference over the count is the memory cost of an idle
 * session. The server's CPU while they sit idle shows what its liveness timers cost.
 */
import { connectAll } from '../connections.ts';
import { markWindow, sleep, windowFigures } from '../measure-window.ts';
import { processCpuMs, processMemoryKiB } from '../proc.ts';
import { median, round3 } from '../stats.ts';
import type { TargetSpec } from '../targets.ts';
import type { CellResult, IdleSpec, Timing } from './spec.ts';

const WARMUP_CONNECTIONS = 20;

/** Median of three RSS readings `gapMs` apart, to smooth allocator and GC moments. */
async function settledRssKiB(pid: number, gapMs: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(gapMs);
    readings.push(processMemoryKiB(pid).rssKiB);
  }
  return median(readings);
}

export async function runIdle(
  target: TargetSpec,
  port: number,
  serverPid: number,
  spec: IdleSpec,
  timing: Timing,
): Promise<CellResult> {
  const ignore = () => {};
  const warm = await connectAll(target, {
    port,
    names: Array.from({ length: WARMUP_CONNECTIONS }, (_, i) => `warm${i}`),
    concurrency: WARMUP_CONNECTIONS,
    loginTimeoutMs: timing.loginTimeoutMs,
    onFrame: ignore,
  });
  warm.terminateAll();
  await sleep(timing.settleMs / 2);
  const beforeKiB = await settledRssKiB(serverPid, 200);

  const cpuBeforeConnectMs = processCpuMs(serverPid);
  const set = await connectAll(target, {
    port,
    names: Array.from({ length: spec.connections }, (_, i) => `idle${i}`),
    concurrency: timing.connectConcurrency,
    loginTimeoutMs: timing.loginTimeoutMs,
    onFrame: ignore,
  });
  try {
    const connectCpuMs = processCpuMs(serverPid) - cpuBeforeConnectMs;
    await sleep(timing.settleMs);
    const afterKiB = await settledRssKiB(serverPid, 300);
    const start = markWindow(serverPid);
    await sleep(timing.idleWindowMs);
    const window = windowFigures(start, markWindow(serverPid));
    const mem = processMemoryKiB(serverPid);
    return {
      scenario: spec.id,
      target: target.name,
      ok: true,
      figures: {
        rssKiBPerConn: round3((afterKiB - beforeKiB) / spec.connections),
        rssBeforeMiB: round3(beforeKiB / 1024),
        rssAfterMiB: round3(afterKiB / 1024),
        connectsPerS: Math.round((spec.connections * 1000) / set.setupMs),
        serverCpuMsPerConnect: round3(connectCpuMs / spec.connections),
        cpuMsPer1kConnects: round3((connectCpuMs * 1000) / spec.connections),
        idleCpuMsPerS: round3((window.serverCpuMs * 1000) / window.wallMs),
      },
      detail: {
        connections: spec.connections,
        stillOpen: spec.connections - set.health.closedEarly,
        idleWindow: window,
        setupMs: round3(set.setupMs),
        health: set.health,
        serverHwmMiB: round3(mem.hwmKiB / 1024),
      },
    };
  } finally {
    set.terminateAll();
  }
}
