// @needs openssl, ffmpeg, janus-tools
// `npm test`'s prerequisite step (scripts/prerequisites.mjs): with a tool missing it installs it
// where it may (root + apt-get) and otherwise stops before any test with one line naming the
// command to run. apt-get here is a fake on a temporary PATH, so nothing is installed for real.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensurePrerequisites, npmProblem, which } from '../../../scripts/prerequisites.mjs';

const ROOT = join(import.meta.dirname, '../../..');

let dir: string;
let bin: string;
let aptLog: string;

/**
 * A PATH of its own: openssl, ffmpeg and janus-pp-rec linked in (integration files need them),
 * redis-server absent, and an apt-get that logs its calls.
 */
function fakeApt(script: string): void {
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\nPATH=/usr/bin:/bin\necho "$@" >> ${aptLog}\n${script}\n`);
  chmodSync(join(bin, 'apt-get'), 0o755);
}

/** `node scripts/test.mjs …` with the given PATH, out of any node:test context. */
function runTests(args: string[], env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PARLEY_TEST_ARTIFACTS: join(dir, 'artifacts'),
    ...env,
  };
  delete childEnv.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['scripts/test.mjs', ...args], {
    cwd: ROOT,
    env: childEnv,
    encoding: 'utf8',
  });
  return { status: r.status, lines: r.stdout.trim().split('\n').filter(Boolean), stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-prereq-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  aptLog = join(dir, 'apt.log');
  const openssl = which('openssl');
  assert.ok(openssl, 'openssl is needed on this machine for the TLS tests anyway');
  symlinkSync(openssl, join(bin, 'openssl'));
  // Tools the integration suite needs that are found on PATH only (recording files).
  for (const tool of ['ffmpeg', 'janus-pp-rec']) {
    const path = which(tool);
    assert.ok(path, `${tool} is needed on this machine for the recording tests anyway`);
    symlinkSync(path, join(bin, tool));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('npm test with a tool missing from PATH', () => {
  it('stops before any test with one line naming the apt-get command, exit 1, when it cannot install', () => {
    rmSync(join(bin, 'apt-get'), { force: true });
    const r = runTests(['integration'], { PATH: bin });
    assert.equal(r.status, 1);
    assert.deepEqual(r.lines, [
      'npm test: missing redis-server (no apt-get here); run: apt-get update && apt-get install -y redis-server (or skip the tests that need it: npm test -- --skip-missing)',
    ]);
  });

  it('as non-root: one line with sudo, and apt-get is never called', () => {
    rmSync(aptLog, { force: true });
    fakeApt('exit 0');
    const r = runTests(['integration'], { PATH: bin, PARLEY_TEST_NOT_ROOT: '1' });
    assert.equal(r.status, 1);
    assert.deepEqual(r.lines, [
      'npm test: missing redis-server (not root, so not installing); run: sudo apt-get update && sudo apt-get install -y redis-server (or skip the tests that need it: npm test -- --skip-missing)',
    ]);
    assert.throws(() => readFileSync(aptLog), { code: 'ENOENT' });
  });

  it('--no-install and PARLEY_TEST_NO_INSTALL=1 turn the install into that one line', () => {
    rmSync(aptLog, { force: true });
    fakeApt('exit 0');
    for (const [args, env] of [
      [['integration', '--no-install'], {}],
      [['integration'], { PARLEY_TEST_NO_INSTALL: '1' }],
    ] as const) {
      const r = runTests([...args], { PATH: bin, ...env });
      assert.equal(r.status, 1);
      assert.equal(r.lines.length, 1, r.lines.join('\n'));
      assert.match(
        r.lines[0] ?? '',
        /^npm test: missing redis-server \(not installing: --no-install\); run: (sudo )?apt-get update && (sudo )?apt-get install -y redis-server/,
      );
    }
    assert.throws(() => readFileSync(aptLog), { code: 'ENOENT' });
  });

  it('--skip-missing runs the rest and counts the files needing the tool as skipped, naming it', () => {
    const tests = join(dir, 'tests');
    mkdirSync(join(tests, 'unit'), { recursive: true });
    writeFileSync(
      join(tests, 'unit', 'needs-redis.test.mjs'),
      "// @needs redis-server\nimport { it } from 'node:test';\nit('one', () => {});\nit('two', () => {});\n",
    );
    writeFileSync(
      join(tests, 'unit', 'plain.test.mjs'),
      "import { it } from 'node:test';\nit('plain', () => {});\n",
    );
    rmSync(join(bin, 'apt-get'), { force: true });
    const r = runTests(['unit', '--skip-missing'], { PATH: `${bin}`, PARLEY_TEST_DIR: tests });
    assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
    assert.ok(
      r.lines.includes(`skipped (redis-server missing): ${join(tests, 'unit', 'needs-redis.test.mjs')}`),
    );
    assert.equal(r.lines.at(-1), '1 passed, 0 failed, 2 skipped');
  });
});

describe('ensurePrerequisites as root with apt-get', () => {
  const needs = new Map([['redis-server', ['test/integration/redis/cluster.test.ts']]]);

  it('runs one apt-get update and one apt-get install -y of what is missing, saying what and why', () => {
    rmSync(aptLog, { force: true });
    // The fake "installs" redis-server by putting one on the PATH.
    fakeApt(
      `case "$1" in install) printf '#!/bin/sh\\n' > ${bin}/redis-server; chmod +x ${bin}/redis-server;; esac`,
    );
    const said: string[] = [];
    const r = ensurePrerequisites({
      root: ROOT,
      needs,
      env: { PATH: bin },
      isRoot: true,
      log: (l) => said.push(l),
    });
    rmSync(join(bin, 'redis-server'));
    assert.deepEqual(r, { ok: true, missing: [] });
    assert.deepEqual(readFileSync(aptLog, 'utf8').trim().split('\n'), [
      'update -qq',
      'install -y -qq redis-server',
    ]);
    assert.deepEqual(said, [
      'npm test: installing Debian packages redis-server (redis-server: cluster tests run redis-server, 1 test file)',
    ]);
  });

  it('a failed install is one line with the command and exit code', () => {
    fakeApt('[ "$1" = install ] && exit 100; exit 0');
    const r = ensurePrerequisites({ root: ROOT, needs, env: { PATH: bin }, isRoot: true, log: () => {} });
    assert.deepEqual(r, {
      ok: false,
      line: 'npm test: missing redis-server (apt-get install failed with exit 100); run: apt-get update && apt-get install -y redis-server (or skip the tests that need it: npm test -- --skip-missing)',
    });
  });

  it('a tool the helpers find by absolute path counts as missing when that path is absent', () => {
    const r = ensurePrerequisites({
      root: ROOT,
      needs: new Map([['chromium', ['test/e2e/browser-smoke.test.ts']]]),
      env: { PATH: bin, PARLEY_CHROMIUM: join(dir, 'no-chromium') },
      install: false,
    });
    assert.equal(r.ok, false);
    assert.match(
      (r as { line: string }).line,
      /^npm test: missing chromium \(not installing: --no-install, PARLEY_CHROMIUM=\/.+\/no-chromium is not an executable\); run: /,
    );
  });
});

describe('npm packages', () => {
  it('names the first package that does not match the lock, and the command', () => {
    const root = join(dir, 'repo');
    mkdirSync(join(root, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(
      join(root, 'package-lock.json'),
      JSON.stringify({
        packages: {
          '': {},
          'node_modules/left-pad': { version: '1.3.0' },
          'node_modules/@biomejs/cli-android-arm64': { version: '2.6.8', optional: true },
          'node_modules/tsx': { version: '4.0.0' },
        },
      }),
    );
    writeFileSync(join(root, 'node_modules', 'left-pad', 'package.json'), '{"version":"1.2.0"}');
    assert.equal(npmProblem(root), 'node_modules/left-pad is 1.2.0, the lock file wants 1.3.0');
    writeFileSync(join(root, 'node_modules', 'left-pad', 'package.json'), '{"version":"1.3.0"}');
    assert.equal(npmProblem(root), 'node_modules/tsx is missing');
    const r = ensurePrerequisites({ root, needs: new Map(), install: false });
    assert.deepEqual(r, {
      ok: false,
      line: 'npm test: npm packages not installed (node_modules/tsx is missing); run: npm install',
    });
    rmSync(join(root, 'node_modules'), { recursive: true });
    assert.equal(npmProblem(root), 'node_modules is missing');
  });

  it('this checkout matches its lock', () => {
    assert.equal(npmProblem(ROOT), undefined);
  });
});
