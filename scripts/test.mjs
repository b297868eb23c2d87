#!/usr/bin/env node
// The one test command: prerequisites, lint, type check, then every test suite, summed into one
// closing line `N passed, N failed[, N skipped]`.
// - Before any test starts it makes sure of what the chosen test files need (scripts/
//   prerequisites.mjs): the npm packages, and the Debian tools each file names on its
//   `// @needs …` line; as root it installs what is missing, else it stops with one line naming
//   the command to run. `--no-install` (or PARLEY_TEST_NO_INSTALL=1) never installs;
//   `--skip-missing` (or PARLEY_TEST_SKIP_MISSING=1) skips the files whose tools are missing and
//   counts their tests as skipped, naming the tool.
// - `npm test -- unit integration` runs only the named suites (and `lint`, `typecheck`).
// - `npm test -- --grep TEXT` runs only the files whose test titles can match TEXT
//   (scripts/test-titles.mjs), and in them the tests whose name matches; lint and the type check
//   run then only when named.
// - An end-to-end file that fails is run once more on its own. If it passes then, its tests that
//   failed first are counted as flaky, not passed: the line `N flaky …` before the closing line
//   says so, and test-artifacts/flaky.txt names the file and those tests. A retry in which no test
//   passed or failed (all skipped) counts as a failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeRetry } from './count-reporter.mjs';
import { count, ensurePrerequisites, findTests, needsOf } from './prerequisites.mjs';
import { countTests, fileCanMatch, patternOf } from './test-titles.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

// PARLEY_TEST_DIR points the suites at another folder (the runner's own tests use it).
const testDir = process.env.PARLEY_TEST_DIR ?? 'test';
const SUITES = [
  { name: 'unit', dir: join(testDir, 'unit'), concurrency: 2, timeoutMs: 60_000 },
  { name: 'integration', dir: join(testDir, 'integration'), concurrency: 1, timeoutMs: 120_000 },
  { name: 'e2e', dir: join(testDir, 'e2e'), concurrency: 1, timeoutMs: 300_000, retryFailedFiles: true },
];
const CHECKS = [
  { name: 'lint', cmd: ['npx', '--no-install', 'biome', 'check', '.'] },
  { name: 'typecheck', cmd: ['npx', '--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'] },
];
const ARTIFACTS = process.env.PARLEY_TEST_ARTIFACTS ?? 'test-artifacts';
const FLAKY_FILE = join(ARTIFACTS, 'flaky.txt');

const args = process.argv.slice(2);
const flag = (name, envName) => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0 || Boolean(process.env[envName]);
};
const noInstall = flag('--no-install', 'PARLEY_TEST_NO_INSTALL');
const skipMissing = flag('--skip-missing', 'PARLEY_TEST_SKIP_MISSING');
const grepAt = args.findIndex((a) => a === '--grep' || a.startsWith('--grep='));
const grep =
  grepAt < 0
    ? undefined
    : args[grepAt].startsWith('--grep=')
      ? args.splice(grepAt, 1)[0].slice(7)
      : args.splice(grepAt, 2)[1];
if (grepAt >= 0 && !grep) {
  console.log('npm test: --grep needs a pattern, e.g. npm test -- e2e --grep phone-sized');
  process.exit(2);
}
const wanted = new Set(args);
for (const name of wanted) {
  if (![...SUITES, ...CHECKS].some((s) => s.name === name)) {
    console.log(
      `npm test: unknown suite "${name}" (known: ${[...CHECKS, ...SUITES].map((s) => s.name).join(', ')})`,
    );
    process.exit(2);
  }
}
const runAll = wanted.size === 0;
const chosen = (s) => wanted.has(s.name) || (runAll && !(grep && CHECKS.includes(s)));

// Which files run: the chosen suites, narrowed by --grep to files that can hold a match.
const plan = SUITES.filter(chosen).map((suite) => ({ suite, files: findTests(suite.dir) }));
if (grep) {
  const re = patternOf(grep);
  const found = [];
  for (const p of plan) {
    const all = p.files.length;
    p.files = p.files.filter((f) => fileCanMatch(readFileSync(f, 'utf8'), re));
    found.push(`${p.suite.name} ${p.files.length}/${all}`);
  }
  console.log(`--grep ${grep}: files whose test titles can match: ${found.join(', ')}`);
  if (plan.every((p) => p.files.length === 0) && !CHECKS.some(chosen)) {
    console.log(`npm test: no test title in the chosen suites can match --grep ${grep}`);
    process.exit(1);
  }
}

const prereq = ensurePrerequisites({
  root,
  needs: needsOf(plan.flatMap((p) => p.files)),
  install: !noInstall,
  skipMissing,
});
if (!prereq.ok) {
  console.log(prereq.line);
  process.exit(1);
}

const total = { passed: 0, failed: 0, skipped: 0, flaky: 0 };
const skippedFor = new Map(); // missing tool → files skipped for it
if (prereq.missing.length > 0) {
  for (const p of plan) {
    p.files = p.files.filter((f) => {
      const needs = needsOf([f]);
      const tool = prereq.missing.find((t) => needs.has(t));
      if (!tool) return true;
      total.skipped += countTests(readFileSync(f, 'utf8'));
      if (!skippedFor.has(tool)) skippedFor.set(tool, []);
      skippedFor.get(tool).push(f);
      return false;
    });
  }
}

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
  const sum = { passed: 0, failed: Math.max(0, unattributed), skipped: 0, flaky: 0, files };
  for (const c of Object.values(files))
    for (const k of ['passed', 'failed', 'skipped', 'flaky']) sum[k] += c[k] ?? 0;
  return sum;
}

const lines = [];
const flaky = { files: [], notes: [] };
const tmp = mkdtempSync(join(tmpdir(), 'parley-test-'));
rmSync(FLAKY_FILE, { force: true });

for (const check of CHECKS) {
  if (!chosen(check)) continue;
  const started = Date.now();
  const r = spawnSync(check.cmd[0], check.cmd.slice(1), { stdio: 'inherit' });
  const ok = r.status === 0;
  total[ok ? 'passed' : 'failed']++;
  lines.push(`${check.name} — ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

for (const { suite, files } of plan) {
  if (files.length === 0) continue;
  console.log(`\n== ${suite.name} (${count(files.length, 'file')})`);
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
      for (const f of failing) counts.files[f] = judgeRetry(f, counts.files[f], again.files[f], flaky);
      counts = sumFiles(counts.files, unattributed);
    }
  }
  for (const k of ['passed', 'failed', 'skipped', 'flaky']) total[k] += counts[k] ?? 0;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const flakyPart = counts.flaky ? ` / ${counts.flaky} flaky` : '';
  lines.push(
    `${suite.name} — ${counts.passed} ok / ${counts.failed} failing / ${counts.skipped} skipped${flakyPart} (${secs} s)`,
  );
}
rmSync(tmp, { recursive: true, force: true });

if (lines.length > 0) console.log(`\n${lines.join('\n')}`);
for (const note of flaky.notes) console.log(note);
if (flaky.files.length > 0) {
  const text = flaky.files.map(
    ({ file, names }) => `${file}: passed only on a retry; failed first: ${names.join('; ')}`,
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(FLAKY_FILE, `${text.join('\n')}\n`);
  for (const t of text) console.log(`FLAKY ${t}`);
}
for (const [tool, files] of skippedFor) {
  console.log(`skipped (${tool} missing): ${files.join(', ')}`);
}
// CI reads the last line, which must stay `N passed, N failed[, N skipped]`: flaky tests (in
// neither count) get the line just before it.
if (total.flaky > 0)
  console.log(
    `${total.flaky} flaky (failed, then passed on a retry; named in ${FLAKY_FILE}), not counted as passed`,
  );
const skipped = total.skipped ? `, ${total.skipped} skipped` : '';
console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
process.exit(total.failed === 0 ? 0 : 1);
