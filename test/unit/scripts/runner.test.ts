// scripts/test.mjs on small test trees of its own (PARLEY_TEST_DIR): a file that passes only on
// its retry is counted and named as flaky, a retry that skips everything is a failure, and
// --grep starts only the files whose titles can match.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../../..');
let dir: string;

function runTests(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PARLEY_TEST_DIR: dir,
    PARLEY_TEST_ARTIFACTS: join(dir, 'artifacts'),
    ...env,
  };
  delete childEnv.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['scripts/test.mjs', ...args], {
    cwd: ROOT,
    env: childEnv,
    encoding: 'utf8',
  });
  return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr };
}

function write(path: string, text: string): string {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
  return relative(ROOT, join(dir, path));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-runner-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('npm test todo tests', () => {
  it('counts a failing todo test as skipped with its reason, runs no retry, and exits 0', () => {
    const file = write(
      'todo-tree/e2e/known.test.mjs',
      "import { it } from 'node:test';\nit('fine', () => {});\nit('known', { todo: 'named bug' }, () => { throw new Error('still broken'); });\n",
    );
    const r = runTests(['e2e'], { PARLEY_TEST_DIR: join(dir, 'todo-tree') });
    assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
    assert.ok(
      r.lines.includes('  - known (todo: named bug; failed as known: still broken)'),
      r.lines.join('\n'),
    );
    assert.ok(!r.lines.some((l) => l.includes('once more')), `no retry of ${file}`);
    assert.equal(r.lines.at(-1), '1 passed, 0 failed, 1 skipped');
  });
});

describe('npm test retries', () => {
  it('counts a file that passed only on its retry as flaky, names it, and fails an all-skipped retry', () => {
    const head =
      "import { existsSync, writeFileSync } from 'node:fs';\nimport { describe, it } from 'node:test';\n";
    // Each fails the first time (no mark yet), then passes / skips.
    const flaky = write(
      'e2e/flaky.test.mjs',
      `${head}const mark = '${join(dir, 'mark-a')}';
describe('probe', () => {
  it('steady', () => {});
  it('wobbly', () => {
    if (!existsSync(mark)) { writeFileSync(mark, ''); throw new Error('first time'); }
  });
});
`,
    );
    const skipper = write(
      'e2e/skipper.test.mjs',
      `${head}const mark = '${join(dir, 'mark-b')}';
it('skips on its retry', (t) => {
  if (!existsSync(mark)) { writeFileSync(mark, ''); throw new Error('first time'); }
  t.skip('skipped now');
});
`,
    );
    const r = runTests(['e2e']);
    assert.equal(r.status, 1, r.lines.join('\n') + r.stderr);
    const flakyFile = join(dir, 'artifacts', 'flaky.txt');
    const named = `${flaky}: passed only on a retry; failed first: probe › wobbly`;
    assert.equal(readFileSync(flakyFile, 'utf8'), `${named}\n`);
    assert.ok(r.lines.includes(`FLAKY ${named}`), r.lines.join('\n'));
    assert.ok(r.lines.includes(`${skipper}: its retry ran no test (all skipped), so it counts as failed`));
    assert.ok(r.lines.some((l) => /^e2e — 1 ok \/ 1 failing \/ 0 skipped \/ 1 flaky \(/.test(l)));
    // The closing line stays in the form CI reads; flaky goes on the line before it.
    assert.deepEqual(r.lines.slice(-2), [
      `1 flaky (failed, then passed on a retry; named in ${flakyFile}), not counted as passed`,
      '1 passed, 1 failed',
    ]);
  });
});

describe('npm test -- --grep', () => {
  it('starts only the files whose titles can match', () => {
    write(
      'unit/alpha.test.mjs',
      "import { it } from 'node:test';\nit('alpha one', () => {});\nit('other', () => {});\n",
    );
    write(
      'unit/table.test.mjs',
      "import { it } from 'node:test';\nfor (const size of ['phone', 'desk']) it(`fits a $" +
        '{size} screen`, () => {});\n',
    );
    write(
      'unit/never.test.mjs',
      "import { it } from 'node:test';\nthrow new Error('started');\nit('gamma', () => {});\n",
    );
    let r = runTests(['unit', '--grep', 'alpha']);
    assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
    assert.equal(r.lines[0], '--grep alpha: files whose test titles can match: unit 1/3');
    assert.equal(r.lines.at(-1), '1 passed, 0 failed, 1 skipped');
    r = runTests(['unit', '--grep', 'a phone screen']);
    assert.equal(r.lines[0], '--grep a phone screen: files whose test titles can match: unit 1/3');
    assert.equal(r.lines.at(-1), '1 passed, 0 failed, 1 skipped');
    r = runTests(['unit', '--grep', 'nothing like it']);
    assert.equal(r.status, 1);
    assert.deepEqual(r.lines.slice(-1), [
      'npm test: no test title in the chosen suites can match --grep nothing like it',
    ]);
  });
});
