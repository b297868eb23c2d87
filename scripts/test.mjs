#!/usr/bin/env node
// The one test command: lint, type check, then every test suite, summed into one closing line
// `N passed, N failed[, N skipped]`. An end-to-end file that fails is run once more on its own;
// if it passes then, its second result counts and it is listed as FLAKY (never silently). `npm test -- unit integration` runs only the named suites;
// `npm test -- --grep TEXT` only the tests whose name contains TEXT.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

const SUITES = [
  { name: 'unit', dir: 'test/unit', concurrency: 2, timeoutMs: 60_000 },
  { name: 'integration', dir: 'test/integration', concurrency: 1, timeoutMs: 120_000 },
  { name: 'e2e', dir: 'test/e2e', concurrency: 1, timeoutMs: 300_000, retryFailedFiles: true },
];
const CHECKS = [
  { name: 'lint', cmd: ['npx', '--no-install', 'biome', 'check', '.'] },
  { name: 'typecheck', cmd: ['npx', '--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'] },
];

const args = process.argv.slice(2);
const grepAt = args.indexOf('--grep');
const grep = grepAt >= 0 ? args.splice(grepAt, 2)[1] : undefined;
const wanted = new Set(args);
const runAll = wanted.size === 0;

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries.sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (/\.test\.(ts|mjs|js)$/.test(entry)) out.push(p);
  }
  return out;
}

const total = { passed: 0, failed: 0, skipped: 0 };
const flaky = [];

/** Runs test files in one node:test process; returns the reporter's counts (per file too). */
function runFiles(suite, files, countFile) {
  const nodeArgs = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${suite.concurrency}`,
    `--test-timeout=${suite.timeoutMs}`,
    '--test-reporter=./scripts/count-reporter.mjs',
    '--test-reporter-destination=stdout',
  ];
  if (grep) nodeArgs.push(`--test-name-pattern=${grep}`);
  const r = spawnSync(process.execPath, [...nodeArgs, ...files], {
    stdio: 'inherit',
    env: { ...process.env, PARLEY_COUNT_FILE: countFile, PARLEY_SUITE: suite.name },
  });
  let counts = { passed: 0, failed: 0, skipped: 0, files: {} };
  try {
    counts = JSON.parse(readFileSync(countFile, 'utf8'));
  } catch {
    counts.failed = 1; // the runner died before reporting: count the run as one failure
  }
  if (r.status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

/** Totals from per-file counts, plus failures the reporter could not tie to a file. */
function sumFiles(files, unattributed) {
  const sum = { passed: 0, failed: Math.max(0, unattributed), skipped: 0, files };
  for (const c of Object.values(files)) for (const k of ['passed', 'failed', 'skipped']) sum[k] += c[k];
  return sum;
}
const lines = [];
const tmp = mkdtempSync(join(tmpdir(), 'parley-test-'));

for (const check of CHECKS) {
  if (!runAll && !wanted.has(check.name)) continue;
  const started = Date.now();
  const r = spawnSync(check.cmd[0], check.cmd.slice(1), { stdio: 'inherit' });
  const ok = r.status === 0;
  total[ok ? 'passed' : 'failed']++;
  lines.push(`${check.name} — ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

for (const suite of SUITES) {
  if (!runAll && !wanted.has(suite.name)) continue;
  const files = findTests(suite.dir);
  if (files.length === 0) continue;
  console.log(`\n== ${suite.name} (${files.length} files)`);
  const started = Date.now();
  let counts = runFiles(suite, files, join(tmp, `${suite.name}.json`));
  if (suite.retryFailedFiles && counts.failed > 0) {
    const failing = Object.entries(counts.files)
      .filter(([, c]) => c.failed > 0)
      .map(([f]) => f);
    if (failing.length > 0 && failing.length <= 3 && !failing.includes('(unknown)')) {
      console.log(
        `\n== ${suite.name}: running ${failing.length} failed file(s) once more: ${failing.join(', ')}`,
      );
      const unattributed = counts.failed - Object.values(counts.files).reduce((n, c) => n + c.failed, 0);
      const again = runFiles(suite, failing, join(tmp, `${suite.name}-retry.json`));
      for (const f of failing) {
        const second = again.files[f] ?? { passed: 0, failed: 1, skipped: 0 };
        if (second.failed === 0) flaky.push(`${f} (failed, then passed on its own)`);
        counts.files[f] = second;
      }
      counts = sumFiles(counts.files, unattributed);
    }
  }
  for (const k of ['passed', 'failed', 'skipped']) total[k] += counts[k];
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  lines.push(
    `${suite.name} — ${counts.passed} ok / ${counts.failed} failing / ${counts.skipped} skipped (${secs} s)`,
  );
}
rmSync(tmp, { recursive: true, force: true });

console.log('\n' + lines.join('\n'));
if (flaky.length > 0) console.log(`FLAKY (passed only on a second run): ${flaky.join('; ')}`);
const skipped = total.skipped ? `, ${total.skipped} skipped` : '';
console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(total.failed === 0 ? 0 : 1);
