// A node:test reporter that prints one line per test (and the failure's detail), never a
// summary of its own: scripts/test.mjs sums every suite into the one closing line CI reads.
// Counts go to the file named by PARLEY_COUNT_FILE as JSON.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const isLeaf = (data) => data.details?.type !== 'suite';

export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, files: {} };
  const inFile = (data, key) => {
    const file = data.file ? relative(process.cwd(), data.file) : '(unknown)';
    counts.files[file] ??= { passed: 0, failed: 0, skipped: 0 };
    counts.files[file][key]++;
  };
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:pass' && isLeaf(data)) {
      if (data.skip || data.todo) {
        counts.skipped++;
        inFile(data, 'skipped');
        yield `  - ${data.name} (skipped)\n`;
      } else {
        counts.passed++;
        inFile(data, 'passed');
        yield `  ✔ ${data.name} (${Math.round(data.details?.duration_ms ?? 0)} ms)\n`;
      }
    } else if (type === 'test:fail') {
      const err = data.details?.error;
      // A failing hook or file-level error is reported as a failed suite: count it too.
      if (!isLeaf(data) && err?.failureType !== 'hookFailed' && err?.failureType !== 'testCodeFailure')
        continue;
      if (!isLeaf(data) && err?.failureType === 'subtestsFailed') continue;
      counts.failed++;
      inFile(data, 'failed');
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
