#!/usr/bin/env node
// `npm start`: on a fresh clone, installs the npm packages and builds (scripts/build.mjs) if
// anything is missing or older than its sources, then runs the compiled server with plain Node,
// no TypeScript loader (packages/server/bin/parley-server.mjs, in-memory, port 8080 by default).
// Arguments after `--` go to the server (e.g. `npm start -- --https`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Newest modification time of the files under `path` (0 when absent). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** A build output older than the sources (or package.json, tsconfig) it comes from. */
const stale = (output, inputs) => !existsSync(output) || Math.max(...inputs.map(newest)) > newest(output);

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('parley: installing npm packages (first run)…');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}
const packages = ['protocol', 'client', 'server', 'cli'].map((p) => `packages/${p}`);
const web = 'packages/web';
if (
  packages.some((p) => stale(`${p}/dist`, [`${p}/src`, `${p}/package.json`, 'tsconfig.json'])) ||
  stale(`${web}/dist/index.html`, [`${web}/src`, `${web}/index.html`, ...packages.map((p) => `${p}/src`)])
) {
  console.log('parley: building (first run, or the sources changed)…');
  run(process.execPath, ['scripts/build.mjs']);
}
const r = spawnSync(process.execPath, ['packages/server/bin/parley-server.mjs', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 0);
