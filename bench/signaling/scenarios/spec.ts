/**
 * The benchmark's scenarios, their parameters, and the shape of one measured cell
 * (one scenario against one target). Figures are flat, named with their unit, so ratios
 * between targets can be taken figure by figure.
 */
import type { TargetName } from '../targets.ts';

/** Saturating relay: every pair keeps `window` messages in flight in each direction. */
export interface RelaySpec {
  kind: 'relay';
  id: string;
  description: string;
  pairs: number;
  frameBytes: number;
  windowPerDirection: number;
}

/** Open-loop relay at a fixed total rate, the same for every target. */
export interface PacedSpec {
  kind: 'paced';
  id: string;
  description: string;
  pairs: number;
  frameBytes: number;
  ratePerS: number;
}

/** Back-to-back call set-ups: offer, answer, and trickled candidates both ways. */
export interface CallSpec {
  kind: 'call';
  id: string;
  description: string;
  pairs: number;
  offerBytes: number;
  answerBytes: number;
  candidatesEachWay: number;
}

/** Many logged-in connections doing nothing: memory per connection and idle CPU. */
export interface IdleSpec {
  kind: 'idle';
  id: string;
  description: string;
  connections: number;
}

export type ScenarioSpec = RelaySpec | PacedSpec | CallSpec | IdleSpec;

/** Durations and bounds shared by every scenario of a run. */
export interface Timing {
  /** Warm-up lasts at least warmupMs and until warmupMessages were delivered, at most warmupMaxMs. */
  warmupMs: number;
  warmupMessages: number;
  warmupMaxMs: number;
  measureMs: number;
  /** Bound on waiting for in-flight frames after the measured window. */
  drainMs: number;
  connectConcurrency: number;
  loginTimeoutMs: number;
  /** Idle scenario: wait after the last login before reading RSS, and idle CPU window. */
  settleMs: number;
  idleWindowMs: number;
}

export const FULL_TIMING: Timing = {
  warmupMs: 750,
  warmupMessages: 20_000,
  warmupMaxMs: 6000,
  measureMs: 2500,
  drainMs: 5000,
  connectConcurrency: 200,
  loginTimeoutMs: 15000,
  settleMs: 2000,
  idleWindowMs: 3000,
};

export const QUICK_TIMING: Timing = {
  ...FULL_TIMING,
  warmupMs: 500,
  warmupMessages: 10_000,
  warmupMaxMs: 3000,
  measureMs: 1500,
  drainMs: 3000,
  settleMs: 1000,
  idleWindowMs: 1000,
};

const relay = (pairs: number, kb: number, window: number): RelaySpec => ({
  kind: 'relay',
  id: `relay-${kb}k-${pairs}p`,
  description: `${pairs} pairs, ~${kb} KB frames, ${window} in flight per direction per pair (saturating)`,
  pairs,
  frameBytes: kb * 1024,
  windowPerDirection: window,
});

/** Every scenario, in run order. `idleConnections` sets the idle scenario's size. */
export function allScenarios(idleConnections: number): ScenarioSpec[] {
  return [
    relay(50, 1, 8),
    relay(50, 4, 8),
    relay(500, 1, 1),
    relay(500, 4, 1),
    {
      kind: 'relay',
      id: 'light-1k-50p',
      description: '50 pairs, ~1 KB frames, 2 in flight per pair (one each way): latency under light load',
      pairs: 50,
      frameBytes: 1024,
      windowPerDirection: 1,
    },
    {
      kind: 'paced',
      id: 'paced-1k-50p',
      description: '50 pairs, ~1 KB frames, open loop at 5,000 frames/s in total: same work for every target',
      pairs: 50,
      frameBytes: 1024,
      ratePerS: 5000,
    },
    {
      kind: 'call',
      id: 'call-50p',
      description:
        '50 pairs doing back-to-back exchanges: ~3.5 KB offer, ~3 KB answer, 10 candidates each way',
      pairs: 50,
      offerBytes: 3584,
      answerBytes: 3072,
      candidatesEachWay: 10,
    },
    {
      kind: 'call',
      id: 'call-200p',
      description:
        '200 pairs doing back-to-back exchanges (200 call set-ups in flight): ~3.5 KB offer, ~3 KB answer, 10 candidates each way',
      pairs: 200,
      offerBytes: 3584,
      answerBytes: 3072,
      candidatesEachWay: 10,
    },
    {
      kind: 'idle',
      id: `idle-${idleConnections >= 1000 ? `${idleConnections / 1000}k` : idleConnections}`,
      description: `${idleConnections} logged-in idle connections: RSS per connection, idle CPU`,
      connections: idleConnections,
    },
  ];
}

/** One scenario measured against one target. */
export interface CellResult {
  scenario: string;
  target: TargetName;
  /** Round of the run this cell belongs to (set by the orchestrator). */
  round?: number;
  ok: boolean;
  error?: string;
  /** Named figures, unit in the name (e.g. cpuMsPer1kMsgs, latencyP99Ms). */
  figures: Record<string, number>;
  /** Everything else worth keeping: counts, health, frame sizes, window CPU use. */
  detail: Record<string, unknown>;
}

/** What the orchestrator sends the load generator for one cell. */
export interface LoadgenJob {
  target: TargetName;
  port: number;
  serverPid: number;
  scenario: ScenarioSpec;
  timing: Timing;
}
