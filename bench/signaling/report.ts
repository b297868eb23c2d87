/**
 * Turns measured cells into the report: per-scenario figures for each target (the median over
 * rounds), ratios between Parley and the other two, and whether each goal was met.
 */
import type { CellResult, ScenarioSpec } from './scenarios/spec.ts';
import { median, round3 } from './stats.ts';
import type { TargetName } from './targets.ts';

export interface TargetOutcome {
  ok: boolean;
  errors?: string[];
  /** Median over the successful rounds of each figure. */
  figures: Record<string, number>;
  /** Each successful round's figures, when there was more than one round. */
  rounds?: Record<string, number>[];
  /** Lowest and highest value of each figure over the successful rounds. */
  ranges?: Record<string, [number, number]>;
  detail: Record<string, unknown>;
}

export interface ScenarioReport {
  id: string;
  kind: ScenarioSpec['kind'];
  description: string;
  params: ScenarioSpec;
  results: Partial<Record<TargetName, TargetOutcome>>;
  ratios: Record<string, Record<string, number>>;
  /** Lowest and highest same-round ratio behind each median in `ratios`. */
  ratioRanges?: Record<string, Record<string, [number, number]>>;
}

function rangesOf(cells: readonly CellResult[], keys: readonly string[]): Record<string, [number, number]> {
  return Object.fromEntries(
    keys.map((k) => {
      const v = cells.map((c) => c.figures[k]).filter((x): x is number => Number.isFinite(x));
      return [k, [round3(Math.min(...v)), round3(Math.max(...v))]];
    }),
  );
}

export function summarizeScenario(spec: ScenarioSpec, cells: readonly CellResult[]): ScenarioReport {
  const results: ScenarioReport['results'] = {};
  const byTarget = new Map<TargetName, CellResult[]>();
  for (const c of cells) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c]);
  for (const [target, list] of byTarget) {
    const good = list.filter((c) => c.ok);
    const errors = list.filter((c) => !c.ok).map((c) => c.error ?? 'unknown error');
    const keys = [...new Set(good.flatMap((c) => Object.keys(c.figures)))];
    const figures = Object.fromEntries(
      keys.map((k) => [k, round3(median(good.map((c) => c.figures[k] ?? Number.NaN)))]),
    );
    results[target] = {
      ok: good.length > 0,
      ...(errors.length ? { errors } : {}),
      figures,
      ...(good.length > 1 ? { rounds: good.map((c) => c.figures), ranges: rangesOf(good, keys) } : {}),
      detail: good[0]?.detail ?? {},
    };
  }
  // Ratios pair cells of the same round (run back to back, under the same background load) and
  // take the median over rounds: drift in the machine's load then cancels out of each ratio.
  const ratios: ScenarioReport['ratios'] = {};
  const ratioRanges: ScenarioReport['ratioRanges'] = {};
  const others = [...byTarget.keys()].filter((t) => t !== 'parley');
  for (const other of others) {
    const mine = (byTarget.get('parley') ?? []).filter((c) => c.ok);
    const theirs = (byTarget.get(other) ?? []).filter((c) => c.ok);
    const perKey = new Map<string, number[]>();
    for (const a of mine) {
      const b = theirs.find((c) => c.round === a.round);
      if (!b) continue;
      for (const [k, v] of Object.entries(a.figures)) {
        const w = b.figures[k];
        if (w === undefined || !Number.isFinite(v) || !Number.isFinite(w) || w === 0) continue;
        perKey.set(k, [...(perKey.get(k) ?? []), v / w]);
      }
    }
    if (perKey.size === 0) continue;
    ratios[`parley/${other}`] = Object.fromEntries([...perKey].map(([k, v]) => [k, round3(median(v))]));
    ratioRanges[`parley/${other}`] = Object.fromEntries(
      [...perKey].map(([k, v]) => [k, [round3(Math.min(...v)), round3(Math.max(...v))]]),
    );
  }
  return {
    id: spec.id,
    kind: spec.kind,
    description: spec.description,
    params: spec,
    results,
    ratios,
    ratioRanges,
  };
}

export interface GoalReport {
  id: string;
  description: string;
  /** null when the run did not measure what the goal needs. */
  met: boolean | null;
  checks: {
    scenario: string;
    parley?: number;
    other?: number;
    ratio?: number;
    limit: number;
    met: boolean;
  }[];
  note?: string;
}

const fig = (s: ScenarioReport, t: TargetName, k: string): number | undefined => {
  const r = s.results[t];
  return r?.ok ? r.figures[k] : undefined;
};

function ratioGoal(
  id: string,
  description: string,
  scenarios: readonly ScenarioReport[],
  other: TargetName,
  figure: string,
  limit: number,
  strict: boolean,
): GoalReport {
  const checks: GoalReport['checks'] = [];
  for (const s of scenarios) {
    const p = fig(s, 'parley', figure);
    const o = fig(s, other, figure);
    const ratio = s.ratios[`parley/${other}`]?.[figure];
    if (p === undefined || o === undefined || ratio === undefined) continue;
    checks.push({
      scenario: s.id,
      parley: p,
      other: o,
      ratio,
      limit,
      met: strict ? ratio < limit : ratio <= limit,
    });
  }
  return { id, description, met: checks.length ? checks.every((c) => c.met) : null, checks };
}

/** Evaluates the goals from the issue against what this run measured. */
export function evaluateGoals(
  scenarios: readonly ScenarioReport[],
  idleTargetConns: number,
  baselines: readonly TargetName[] = [],
): GoalReport[] {
  const relay = scenarios.filter((s) => s.kind === 'relay' && s.id.startsWith('relay-'));
  const light = scenarios.filter((s) => s.id.startsWith('light-'));
  const idle = scenarios.find((s) => s.kind === 'idle');
  const calls = scenarios.filter((s) => s.kind === 'call');
  const goals = [
    // Issue 17: against the raw forwarder, which never parses a payload (the ceiling for Node + ws).
    ratioGoal(
      'cpu-at-most-1x-raw',
      'Server CPU ms per 1,000 relayed messages at most 1.0x the raw forwarder, in every relay scenario',
      relay,
      'raw',
      'cpuMsPer1kMsgs',
      1,
      false,
    ),
    ratioGoal(
      'light-p50-within-1.2x-raw',
      'One-way p50 latency under light load at most 1.2x the raw forwarder',
      light,
      'raw',
      'latencyP50Ms',
      1.2,
      false,
    ),
    ratioGoal(
      'light-cpu-within-1.3x-raw',
      'Server CPU per 1,000 messages under light load at most 1.3x the raw forwarder',
      light,
      'raw',
      'cpuMsPer1kMsgs',
      1.3,
      false,
    ),
    ratioGoal(
      'call-cpu-within-1.1x-raw',
      'Server CPU per 1,000 messages of call set-ups at most 1.1x the raw forwarder',
      calls,
      'raw',
      'cpuMsPer1kMsgs',
      1.1,
      false,
    ),
    ratioGoal(
      'connect-cpu-within-1.3x-raw',
      'Server CPU per 1,000 connections (open + log in) at most 1.3x the raw forwarder',
      idle ? [idle] : [],
      'raw',
      'cpuMsPer1kConnects',
      1.3,
      false,
    ),
    ratioGoal(
      'idle-rss-within-1.1x-raw',
      'Server RSS per idle logged-in connection at most 1.1x the raw forwarder',
      idle ? [idle] : [],
      'raw',
      'rssKiBPerConn',
      1.1,
      false,
    ),
    ratioGoal(
      'cpu-below-peer',
      'Server CPU ms per 1,000 relayed messages below the PeerJS server, in every relay scenario',
      relay,
      'peer',
      'cpuMsPer1kMsgs',
      1,
      true,
    ),
    ratioGoal(
      'cpu-within-1.15x-bare',
      'Server CPU ms per 1,000 relayed messages within 1.15x of the bare ws forwarder, in every relay scenario',
      relay,
      'bare',
      'cpuMsPer1kMsgs',
      1.15,
      false,
    ),
    ratioGoal(
      'light-p99-within-1.2x-bare',
      'p99 one-way latency under light load (50 pairs, 2 in flight per pair) within 1.2x of the bare forwarder',
      light,
      'bare',
      'latencyP99Ms',
      1.2,
      false,
    ),
    // Issue 15: the hardening's checks (who may signal whom, byte budgets) against the commit
    // before them, run in the same run and paired round by round.
    ...baselines.map((b) =>
      ratioGoal(
        `cpu-within-1.05x-${b}`,
        `Server CPU ms per 1,000 relayed messages within 1.05x of ${b} (the cost of the newer checks), in every relay scenario`,
        relay,
        b,
        'cpuMsPer1kMsgs',
        1.05,
        false,
      ),
    ),
  ];
  const idleGoal: GoalReport = {
    id: 'idle-rss-10kib',
    description: 'At most 10 KiB of server RSS per idle logged-in connection, at 10,000 connections',
    met: null,
    checks: [],
  };
  const perConn = idle ? fig(idle, 'parley', 'rssKiBPerConn') : undefined;
  if (idle && perConn !== undefined) {
    const conns = idle.params.kind === 'idle' ? idle.params.connections : 0;
    idleGoal.checks.push({ scenario: idle.id, parley: perConn, limit: 10, met: perConn <= 10 });
    idleGoal.met = perConn <= 10;
    if (conns < idleTargetConns) {
      idleGoal.note = `measured at ${conns} connections, not ${idleTargetConns}: indicative only`;
      idleGoal.met = null;
    }
  }
  goals.push(idleGoal);
  return goals;
}
