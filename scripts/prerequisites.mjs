// What `npm test` needs before any test starts, and how it gets it: the npm packages of the lock
// file, and the Debian tools that test files declare with a header line such as
// `// @needs chromium, coturn`. Where it can (root, apt-get present), it installs what is missing
// and says what and why; where it cannot, it returns one line naming the exact command to run.
// Only Node's own modules are used here: this runs before `npm install` on a fresh clone.
// `node scripts/prerequisites.mjs` checks every tool in TOOLS and the npm packages (what .ci/run does).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The tools a test file may declare, keyed by the name used in `@needs` (the Debian package).
 * `file` is the absolute path the test helpers run (with the variable that overrides it); `bin`
 * is looked up on PATH instead, as the helpers spawn it by name. A new tool (ffmpeg, …): add it
 * here, and a rule for what starts it in test/unit/scripts/detect-needs.ts.
 */
export const TOOLS = {
  chromium: {
    why: 'end-to-end tests drive headless Chromium',
    file: ['PARLEY_CHROMIUM', '/usr/bin/chromium'],
  },
  'firefox-esr': { why: 'interop tests drive Firefox ESR', file: ['PARLEY_FIREFOX', '/usr/bin/firefox-esr'] },
  coturn: { why: 'TURN tests run turnserver', file: ['PARLEY_TURNSERVER', '/usr/bin/turnserver'] },
  'redis-server': { why: 'cluster tests run redis-server', bin: ['redis-server'] },
  janus: { why: 'SFU tests run the Janus gateway', file: ['PARLEY_JANUS', '/usr/bin/janus'] },
  nginx: {
    why: 'a hardening test runs nginx in front of the server',
    bin: ['nginx'],
    also: ['/usr/sbin/nginx'],
  },
  openssl: { why: 'TLS tests make self-signed certificates', bin: ['openssl'], binVar: 'PARLEY_OPENSSL' },
  'janus-tools': {
    why: 'recording tests turn Janus dumps into WebM/Opus with janus-pp-rec',
    bin: ['janus-pp-rec'],
  },
  ffmpeg: { why: 'recording tests compose and probe recordings (ffmpeg, ffprobe)', bin: ['ffmpeg'] },
  iptables: {
    why: 'a NAT test masquerades a network namespace',
    bin: ['iptables'],
    also: ['/usr/sbin/iptables'],
  },
  nftables: {
    why: 'a packet-loss test drops UDP at random in a network namespace (nft)',
    bin: ['nft'],
    also: ['/usr/sbin/nft'],
  },
};

const NEEDS_LINE = /^\s*\/\/\s*@needs\s+(.+)$/m;

/** The tools a test file declares on its `// @needs a, b` line (in its first 40 lines). */
export function declaredNeeds(source) {
  const head = source.split('\n', 40).join('\n');
  const m = NEEDS_LINE.exec(head);
  if (!m) return [];
  return m[1]
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where `name` is on `env.PATH` (or an absolute path that is executable), else undefined. */
export function which(name, env = process.env) {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Whether one tool of TOOLS is present the way the test helpers will look for it. */
export function hasTool(name, env = process.env) {
  const tool = TOOLS[name];
  if (!tool)
    throw new Error(`unknown tool "${name}" in a @needs line (known: ${Object.keys(TOOLS).join(', ')})`);
  if (tool.file) return isExecutable(env[tool.file[0]] || tool.file[1]);
  const bin = (tool.binVar && env[tool.binVar]) || tool.bin[0];
  return Boolean(which(bin, env)) || (tool.also ?? []).some(isExecutable);
}

/**
 * Why node_modules does not match package-lock.json (first difference), or undefined when it
 * does: every package the lock names is installed at the locked version (optional ones, such as
 * other platforms' binaries, may be absent).
 */
export function npmProblem(root) {
  let lock;
  try {
    lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  } catch {
    return existsSync(join(root, 'node_modules')) ? undefined : 'node_modules is missing';
  }
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path.includes('node_modules/')) continue;
    const optional = entry.optional || entry.devOptional || entry.inBundle || entry.peer;
    const dir = join(root, path);
    if (entry.link) {
      if (!existsSync(dir)) return `${path} is missing`;
      continue;
    }
    let installed;
    try {
      installed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    } catch {
      if (optional) continue;
      return `${path} is missing`;
    }
    if (entry.version && installed !== entry.version)
      return `${path} is ${installed}, the lock file wants ${entry.version}`;
  }
  return undefined;
}

function aptCommand(packages, isRoot) {
  const sudo = isRoot ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

/**
 * Makes sure the npm packages and the given tools are there, installing them where allowed.
 * Returns `{ ok: true, missing }` (missing: tools still absent, only with `skipMissing`) or
 * `{ ok: false, line }`: the one line to print before exiting non-zero.
 *
 * @param {object} o
 * @param {string} o.root         the repository root
 * @param {Map<string, string[]>} o.needs  tool → the test files that need it
 * @param {boolean} [o.install]   false: never install (the `--no-install` opt-out)
 * @param {boolean} [o.skipMissing]  tools that cannot be had are returned in `missing` instead of failing
 * @param {NodeJS.ProcessEnv} [o.env]
 * @param {boolean} [o.isRoot]
 * @param {(line: string) => void} [o.log]
 */
export function ensurePrerequisites({
  root,
  needs,
  install = true,
  skipMissing = false,
  env = process.env,
  isRoot = process.getuid?.() === 0 && !env.PARLEY_TEST_NOT_ROOT,
  log = (line) => console.log(line),
}) {
  const run = (cmd, args, extraEnv = {}) =>
    spawnSync(cmd, args, {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, ...extraEnv },
    });

  const npm = npmProblem(root);
  if (npm) {
    if (!install)
      return { ok: false, line: `npm test: npm packages not installed (${npm}); run: npm install` };
    // `npm install`, not `npm ci`: the registry reachable here lacks some optional platform
    // packages (e.g. Biome's Android builds), which `npm ci` counts as a lock mismatch; `npm
    // install` honours the lock and skips them.
    log(`npm test: installing npm packages (${npm})…`);
    const r = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
    const still = r.status === 0 ? npmProblem(root) : `exit ${r.status ?? r.error?.code}`;
    if (still) return { ok: false, line: `npm test: npm install failed (${still}); run: npm install` };
  }

  const absent = [...needs.keys()].filter((name) => !hasTool(name, env)).sort();
  if (absent.length === 0) return { ok: true, missing: [] };
  const why = absent.map(
    (name) => `${name}: ${TOOLS[name].why}, ${count(needs.get(name).length, 'test file')}`,
  );
  const optOut = skipMissing ? '' : ' (or skip the tests that need it: npm test -- --skip-missing)';

  let failure;
  if (!install) failure = 'not installing: --no-install';
  else if (!isRoot) failure = 'not root, so not installing';
  else if (!which('apt-get', env)) failure = 'no apt-get here';
  if (!failure) {
    log(`npm test: installing Debian packages ${absent.join(' ')} (${why.join('; ')})`);
    const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
    const update = run('apt-get', ['update', '-qq'], aptEnv);
    const inst = update.status === 0 ? run('apt-get', ['install', '-y', '-qq', ...absent], aptEnv) : update;
    const left = absent.filter((name) => !hasTool(name, env));
    if (inst.status === 0 && left.length === 0) return { ok: true, missing: [] };
    failure =
      inst.status === 0
        ? `apt-get installed them, yet ${left.join(', ')} is still not where the tests look`
        : `apt-get ${update.status === 0 ? 'install' : 'update'} failed with exit ${inst.status ?? inst.error?.code}`;
  }
  if (skipMissing) {
    log(`npm test: ${absent.join(', ')} missing (${failure}): skipping the test files that need it`);
    return { ok: true, missing: absent };
  }
  // A path set by the helpers' override variable is the user's choice: name it, apt-get will not fix it.
  const overridden = absent.flatMap((n) => {
    const v = TOOLS[n].file?.[0];
    return v && env[v] ? [`, ${v}=${env[v]} is not an executable`] : [];
  });
  return {
    ok: false,
    line: `npm test: missing ${absent.join(', ')} (${failure}${overridden.join('')}); run: ${aptCommand(absent, isRoot)}${optOut}`,
  };
}

export function count(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Every `*.test.{ts,mjs,js}` file under `dir`, sorted. */
export function findTests(dir) {
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

/** tool → files that declare it, over the given test files. */
export function needsOf(files, read = (f) => readFileSync(f, 'utf8')) {
  const needs = new Map();
  for (const file of files) {
    for (const name of declaredNeeds(read(file))) {
      if (!TOOLS[name]) throw new Error(`${file}: unknown tool "${name}" in its @needs line`);
      if (!needs.has(name)) needs.set(name, []);
      needs.get(name).push(file);
    }
  }
  return needs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // CI's step (.ci/run): every known tool, declared by a test file yet or not, so a fresh machine
  // has all of them before the first test; then `npm test` finds nothing left to do.
  const root = new URL('..', import.meta.url).pathname;
  process.chdir(root);
  const args = process.argv.slice(2);
  const needs = needsOf(['test/unit', 'test/integration', 'test/e2e'].flatMap(findTests));
  for (const name of Object.keys(TOOLS)) if (!needs.has(name)) needs.set(name, []);
  const result = ensurePrerequisites({
    root,
    needs,
    install: !args.includes('--no-install') && !process.env.PARLEY_TEST_NO_INSTALL,
  });
  if (!result.ok) {
    console.log(result.line);
    process.exit(1);
  }
}
