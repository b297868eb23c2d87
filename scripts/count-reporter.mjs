// A node:test reporter that prints one line per test (and the failure's detail), never a
// summary of its own: scripts/test.mjs sums every suite into the one closing line CI reads.
// Counts go to the file named by PARLEY_COUNT_FILE as JSON, per file too, with the full names
// (`suite › test`) of the tests that failed, so the runner can name a flaky test.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const isLeaf = (data) => data.details?.type !== 'suite';

export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, files: {} };
  const fileOf = (data) => (data.file ? relative(process.cwd(), data.file) : '(unknown)');
  const inFile = (data, key) => {
    const file = fileOf(data);
    counts.files[file] ??= { passed: 0, failed: 0, skipped: 0, failedNames: [] };
    counts.files[file][key]++;
  };
  // The names of the suites a test sits in, per file: test:start comes in declaration order.
  const stacks = new Map();
  const fullName = (data) =>
    [...(stacks.get(fileOf(data)) ?? []).slice(0, data.nesting), data.name].join(' › ');
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      const stack = stacks.get(fileOf(data)) ?? [];
      stack.length = data.nesting;
      stack.push(data.name);
      stacks.set(fileOf(data), stack);
    } else if (type === 'test:pass' && isLeaf(data)) {
      if (data.skip || data.todo) {
        counts.skipped++;
        inFile(data, 'skipped');
        yield `  - ${data.name} (skipped)\n`;
      } else {
        counts.passed++;
        inFile(data, 'passed');
        yield `  ✔ ${data.name} (${Math.round(data.details?.duration_ms ?? 0)} ms)\n`;
      }
    } else if (type === 'test:fail' && isLeaf(data) && data.todo) {
      // A todo test is a known, named problem, run and reported: as in node's own exit code, its
      // failure does not fail the suite. It counts as skipped and says why, with the first line.
      counts.skipped++;
      inFile(data, 'skipped');
      const err = data.details?.error;
      const first = String(err?.cause?.message ?? err?.message ?? err).split('\n')[0];
      yield `  - ${data.name} (todo: ${data.todo === true ? 'known problem' : data.todo}; failed as known: ${first})\n`;
    } else if (type === 'test:fail') {
      const err = data.details?.error;
      // A failing hook or file-level error is reported as a failed suite: count it too.
      if (!isLeaf(data) && err?.failureType !== 'hookFailed' && err?.failureType !== 'testCodeFailure')
        continue;
      if (!isLeaf(data) && err?.failureType === 'subtestsFailed') continue;
      counts.failed++;
      inFile(data, 'failed');
      counts.files[fileOf(data)].failedNames.push(fullName(data));
      const where = data.file ? ` [${relative(process.cwd(), data.file)}]` : '';
      const cause = err?.cause ?? err;
      const text = String(cause?.stack ?? cause?.message ?? cause)
        .split('\n')
        .slice(0, 12)
        .join('\n      ');
      yield `  ✖ ${data.name}${where}\n      ${text}\n`;
    } else if (
      type === 'test:diagnostic' &&
      /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(data.message)
    ) {
      // Node's own summary diagnostics: dropped, the runner sums instead.
    } else if (type === 'test:stderr' || type === 'test:stdout') {
      if (process.env.PARLEY_TEST_VERBOSE) yield data.message;
    }
  }
  if (process.env.PARLEY_COUNT_FILE) writeFileSync(process.env.PARLEY_COUNT_FILE, JSON.stringify(counts));
}

/**
 * A failed file's retry decides: passed now → its first failures count as flaky (named in
 * `flaky`); no test passed or failed (all skipped) → still failed; else the retry's counts.
 */
export function judgeRetry(file, first, second, flaky) {
  if (!second) return { ...first, failed: Math.max(1, first.failed) };
  if (second.failed === 0 && second.passed === 0) {
    flaky.notes.push(`${file}: its retry ran no test (all skipped), so it counts as failed`);
    return { ...first, failed: Math.max(1, first.failed) };
  }
  if (second.failed > 0) return second;
  const names = first.failedNames?.length ? first.failedNames : ['(the file failed outside a test)'];
  flaky.files.push({ file, names });
  return { ...second, passed: Math.max(0, second.passed - first.failed), flaky: first.failed };
}
