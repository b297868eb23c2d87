/**
 * Renders a `bench:sfu` JSON report as the Markdown tables of docs/BENCHMARKS.md ("Large rooms:
 * mesh vs SFU"), so the document quotes a run verbatim:
 *
 *   npm run -s bench:sfu -- --out result.json >/dev/null
 *   npx tsx bench/sfu/to-markdown.ts result.json
 */
import { readFileSync } from 'node:fs';
import { type CellEntry, measured, type SfuBenchReport } from './report.ts';
import type { CellReport, Mode } from './room-cell.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npx tsx bench/sfu/to-markdown.ts REPORT.json\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8')) as SfuBenchReport;
const lines: string[] = [];
const out = (s = '') => lines.push(s);

const num = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (v: number | null | undefined) => num(v, 0);

function table(head: string[], rows: string[][], rightFrom = 2): void {
  out(`| ${head.join(' | ')} |`);
  out(`| ${head.map((_, i) => (i >= rightFrom ? '---:' : '---')).join(' | ')} |`);
  for (const r of rows) out(`| ${r.join(' | ')} |`);
  out();
}

const cell = (mode: Mode, n: number): CellEntry | undefined =>
  report.cells.find((c) => c.mode === mode && c.participants === n);
const rowsOf = (fn: (c: CellReport) => string[]): string[][] => {
  const rows: string[][] = [];
  for (const n of report.method.sizes) {
    for (const mode of ['mesh', 'sfu'] as const) {
      const c = cell(mode, n);
      if (measured(c)) rows.push([String(n), mode, ...fn(c)]);
      else {
        const why = (c?.error ?? c?.skipped ?? 'missing').split('\n', 1)[0]!.replaceAll('|', '\\|');
        rows.push([String(n), mode, `not measured: ${why}`]);
      }
    }
  }
  return rows;
};

const m = report.machine;
out(
  `Run of ${report.date.slice(0, 16).replace('T', ' ')} UTC, ${report.durationS} s, \`${report.command}\`, ` +
    `commit \`${report.git.commit.slice(0, 7)}\`` +
    (report.git.uncommittedInPackages.length > 0
      ? ` plus ${report.git.uncommittedInPackages.length} uncommitted file(s) under packages/`
      : '') +
    `: ${m.nproc} × ${m.cpuModel}, ${m.memTotalGiB} GiB, Node ${m.node}; load average ` +
    `${m.loadavg.start.join(' / ')} at the start, ${m.loadavg.end.join(' / ')} at the end; ` +
    `${report.method.settleS} s settle + ${report.method.windowS} s measured per cell.`,
);
out();

out('**CPU over the window (percent of one core; the machine has 200)**');
out();
table(
  [
    'participants',
    'mode',
    'Chromium (all clients)',
    'per participant',
    'Parley',
    'Janus',
    'total',
    'whole machine',
    'others on the machine',
  ],
  rowsOf((c) => [
    num(c.cpu.chromium),
    num(c.cpu.chromiumPerParticipant),
    num(c.cpu.parley),
    c.mode === 'sfu' ? num(c.cpu.janus) : `(${num(c.cpu.janus)} idle)`,
    num(c.cpu.total),
    num(c.cpu.machine),
    num(c.cpu.otherOnMachine),
  ]),
);

out('**Per stream (percent of one core)**');
out();
table(
  [
    'participants',
    'mode',
    'streams (publishers × subscribers)',
    'client per decoded stream',
    'Janus per forwarded stream',
    'Parley + Janus per forwarded stream',
  ],
  rowsOf((c) => [
    String(c.decodedStreams),
    num(c.cpu.chromiumPerDecodedStream, 2),
    c.mode === 'sfu' ? num(c.cpu.janusPerForwardedStream, 3) : '—',
    c.mode === 'sfu' ? num(c.cpu.parleyAndJanusPerForwardedStream, 3) : '—',
  ]),
);

out('**Video and network (median, min–max over streams or participants)**');
out();
const spreadOf = (s: { median: number | null; min: number | null; max: number | null }, d = 1) =>
  `${num(s.median, d)} (${num(s.min, d)}–${num(s.max, d)})`;
table(
  [
    'participants',
    'mode',
    'decoded fps per stream',
    'encoded fps per outgoing stream',
    'outgoing streams',
    'uplink kbit/s per participant',
    'downlink kbit/s per participant',
  ],
  rowsOf((c) => [
    spreadOf(c.video.decodedFpsPerStream),
    spreadOf(c.video.encodedFpsPerOutgoingStream),
    String(c.video.outgoingStreams),
    spreadOf(c.network.uplinkKbps, 0),
    spreadOf(c.network.downlinkKbps, 0),
  ]),
);

out('**Join to first frame (ms; every newcomer after the first, from its client.join() call)**');
out();
table(
  [
    'participants',
    'mode',
    'median, all publishers',
    'median, each publisher',
    'median, media connected',
    'last newcomer, all publishers',
  ],
  rowsOf((c) => [
    ms(c.joinToFirstFrame.medianAllMs),
    ms(c.joinToFirstFrame.medianEachMs),
    ms(c.joinToFirstFrame.medianConnectedMs),
    ms(c.joinToFirstFrame.lastNewcomerAllMs),
  ]),
);

out('**SFU / mesh**');
out();
table(
  [
    'participants',
    'client CPU per participant',
    'total CPU (clients + servers)',
    'uplink per participant',
    'decoded fps per stream',
    'join to all first frames',
  ],
  report.comparisons.map((c) => [
    String(c.participants),
    num(c.sfuVsMesh.clientCpuPerParticipant, 2),
    num(c.sfuVsMesh.totalCpu, 2),
    num(c.sfuVsMesh.uplinkPerParticipantMedian, 2),
    num(c.sfuVsMesh.decodedFpsPerStreamMedian, 2),
    num(c.sfuVsMesh.joinToAllFirstFramesMedian, 2),
  ]),
  1,
);

const failures = report.cells.flatMap((c) =>
  measured(c) ? c.failures.map((f) => `${c.mode} ${c.participants}: ${f}`) : [],
);
if (failures.length > 0) {
  out('Failures reported by the run:');
  out();
  for (const f of failures) out(`- ${f}`);
  out();
}

process.stdout.write(lines.join('\n'));
