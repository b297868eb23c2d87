/**
 * Renders a bench:signaling JSON report as the Markdown tables used in docs/BENCHMARKS.md, so the
 * document quotes a real run verbatim:
 *
 *   npm run -s bench:signaling -- --out result.json >/dev/null
 *   npx tsx bench/signaling/to-markdown.ts result.json
 *
 * Ratios are taken only between cells of one run (interleaved rep by rep, each on a fresh
 * server, under the same background load): given several reports, it refuses unless they are
 * copies of the same run (same `runId`), rather than put figures of different sessions side by side.
 */
import { readFileSync } from 'node:fs';
import type { GoalReport, ScenarioReport } from './report.ts';
import { TARGET_NAMES, type TargetName } from './targets.ts';

interface Report {
  runId?: string;
  startedAt: string;
  wallS: number;
  argv: string[];
  machine: { cpuModel: string; cores: number; memTotalMiB: number; node: string; kernel: string };
  method: { rounds: number; timing: { warmupMs: number; measureMs: number } };
  scenarios: ScenarioReport[];
  goals: GoalReport[];
}

const files = process.argv.slice(2);
const file = files[0];
if (!file) {
  process.stderr.write('usage: npx tsx bench/signaling/to-markdown.ts REPORT.json\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
for (const other of files.slice(1)) {
  const r = JSON.parse(readFileSync(other, 'utf8')) as Report;
  if (r.runId === undefined || r.runId !== report.runId) {
    process.stderr.write(
      `to-markdown: ${other} is not the same run as ${file} (runId ${r.runId ?? 'none'} vs ${report.runId ?? 'none'}): ` +
        'figures of different runs are not compared; run the targets together with --compare\n',
    );
    process.exit(2);
  }
}
// The fixed targets first, then any parley@<ref> baselines in the order the run named them.
const targets: TargetName[] = [
  ...TARGET_NAMES,
  ...new Set(report.scenarios.flatMap((s) => Object.keys(s.results) as TargetName[])),
].filter((t, i, all) => all.indexOf(t) === i && report.scenarios.some((s) => s.results[t]));
const others = targets.filter((t) => t !== 'parley');
const lines: string[] = [];
const out = (s = '') => lines.push(s);

const num = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const fig = (s: ScenarioReport, t: TargetName, k: string) => {
  const r = s.results[t];
  return r?.ok ? r.figures[k] : undefined;
};
const ratio = (s: ScenarioReport, other: TargetName, k: string) => s.ratios[`parley/${other}`]?.[k];
/** The median ratio and, over several rounds, its same-round range: `1.02 (0.95–1.10)`. */
const ratioCell = (s: ScenarioReport, other: TargetName, k: string) => {
  const range = s.ratioRanges?.[`parley/${other}`]?.[k];
  const median = num(ratio(s, other, k), 2);
  return range && range[0] !== range[1] ? `${median} (${num(range[0], 2)}–${num(range[1], 2)})` : median;
};

function table(
  title: string,
  scenarios: ScenarioReport[],
  cell: (s: ScenarioReport, t: TargetName) => string,
  ratioKey?: string,
) {
  if (scenarios.length === 0) return;
  out(`**${title}**`);
  out();
  const ratioCols = ratioKey && targets.includes('parley') ? others.map((o) => `parley/${o}`) : [];
  out(`| scenario | ${[...targets, ...ratioCols].join(' | ')} |`);
  out(`| --- | ${[...targets, ...ratioCols].map(() => '---:').join(' | ')} |`);
  for (const s of scenarios) {
    const cells = targets.map((t) => {
      const r = s.results[t];
      if (!r) return '';
      return r.ok ? cell(s, t) : 'failed';
    });
    if (ratioKey && ratioCols.length) cells.push(...others.map((o) => ratioCell(s, o, ratioKey)));
    out(`| ${s.id} | ${cells.join(' | ')} |`);
  }
  out();
}

const relayLike = report.scenarios.filter((s) => s.kind === 'relay' || s.kind === 'paced');
const calls = report.scenarios.filter((s) => s.kind === 'call');
const idle = report.scenarios.filter((s) => s.kind === 'idle');
const m = report.machine;
out(
  `Run of ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${report.wallS} s, \`${['bench:signaling', ...report.argv].join(' ')}\`: ` +
    `${m.cores} × ${m.cpuModel}, ${Math.round(m.memTotalMiB / 1024)} GiB, Node ${m.node}, Linux ${m.kernel}; ` +
    `${report.method.rounds} round(s), ${report.method.timing.warmupMs} ms warm-up + ${report.method.timing.measureMs} ms measured per cell.`,
);
out();
table(
  'Server CPU per 1,000 relayed messages (ms, lower is better)',
  [...relayLike, ...calls],
  (s, t) => num(fig(s, t, 'cpuMsPer1kMsgs')),
  'cpuMsPer1kMsgs',
);
table(
  'Throughput (messages delivered per second)',
  [...relayLike, ...calls],
  (s, t) => num(fig(s, t, 'msgsPerS'), 0),
  'msgsPerS',
);
table(
  'One-way latency p50 / p99 (ms)',
  relayLike,
  (s, t) => `${num(fig(s, t, 'latencyP50Ms'), 2)} / ${num(fig(s, t, 'latencyP99Ms'), 2)}`,
  'latencyP99Ms',
);
table(
  'Call exchanges per second; exchange time p50 / p99 (ms)',
  calls,
  (s, t) =>
    `${num(fig(s, t, 'exchangesPerS'), 0)}; ${num(fig(s, t, 'exchangeP50Ms'))} / ${num(fig(s, t, 'exchangeP99Ms'))}`,
  'exchangesPerS',
);
table(
  'Connect storm: server CPU per 1,000 connections opened and logged in (ms)',
  idle,
  (s, t) => num(fig(s, t, 'cpuMsPer1kConnects'), 0),
  'cpuMsPer1kConnects',
);
table(
  'Idle connections: server RSS per connection (KiB)',
  idle,
  (s, t) => num(fig(s, t, 'rssKiBPerConn'), 2),
  'rssKiBPerConn',
);
table(
  'Idle connections: RSS before → after (MiB); logins per second; idle CPU (ms/s)',
  idle,
  (s, t) =>
    `${num(fig(s, t, 'rssBeforeMiB'), 0)} → ${num(fig(s, t, 'rssAfterMiB'), 0)}; ${num(fig(s, t, 'connectsPerS'), 0)}; ${num(fig(s, t, 'idleCpuMsPerS'))}`,
);
const lost = report.scenarios.flatMap((s) =>
  targets.flatMap((t) => {
    const n = fig(s, t, 'lost');
    return n ? [`${s.id} ${t}: ${n}`] : [];
  }),
);
const windows = report.scenarios.flatMap((s) =>
  targets.map(
    (t) => s.results[t]?.detail.window as { hostBusyPercent: number; loadAverage1m: number } | undefined,
  ),
);
const loads = windows.flatMap((w) => (w ? [w.loadAverage1m] : [])).sort((a, b) => a - b);
const busy = windows.flatMap((w) => (w ? [w.hostBusyPercent] : [])).sort((a, b) => a - b);
if (loads.length)
  out(
    `Machine during the measured windows (first round): 1-minute load average ${num(loads[0])}–${num(loads.at(-1))}, ` +
      `all-core busy ${num(busy[0], 0)}–${num(busy.at(-1), 0)} %.`,
  );
out();
out(lost.length ? `Lost messages: ${lost.join(', ')}.` : 'No message was lost in any cell.');
out();
out('**Goals**');
out();
out('| goal | checks (parley vs other = ratio) | met |');
out('| --- | --- | :---: |');
for (const g of report.goals) {
  const checks = g.checks
    .map((c) =>
      c.ratio !== undefined
        ? `${c.scenario}: ${c.parley} vs ${c.other} = ${c.ratio}`
        : `${c.scenario}: ${c.parley}`,
    )
    .join('; ');
  out(
    `| ${g.description} | ${checks || '—'}${g.note ? ` (${g.note})` : ''} | ${g.met === null ? 'n/a' : g.met ? 'yes' : '**no**'} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
