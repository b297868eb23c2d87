#!/usr/bin/env node
// `npm start`: on a fresh clone, installs the npm packages and builds the web app if they are
// missing, then runs the Parley server with its embedded defaults (in-memory, port 8080).
// Arguments after `--` go to the server (e.g. `npm start -- --https`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('parley: installing npm packages (first run)…');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}
if (existsSync('packages/web/vite.config.ts') && !existsSync('packages/web/dist/index.html')) {
  console.log('parley: building the web app (first run)…');
  run('npm', ['run', 'build', '-w', '@parley/web']);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'packages/server/src/main.ts', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 0);
