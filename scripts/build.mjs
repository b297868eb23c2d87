#!/usr/bin/env node
// `npm run build`: compiles every publishable package (protocol, client, server, cli) from its
// src/ to dist/ (ESM JavaScript, .d.ts types, source maps) with `tsc -b` over each package's
// tsconfig.build.json (project references give the order: protocol first), then the web app
// (Vite). The dist/ folders are emptied first, so a file moved or deleted in src/ leaves nothing
// stale behind.
// tsc alone, not esbuild + tsc: the .d.ts files need tsc's full type check anyway, and the same
// pass writes the JavaScript (docs/BENCHMARKS.md, "Build").
// Last, the script-tag build of the SDK into the web app's dist (scripts/sdk-bundle.mjs), served
// at /sdk/parley.js; after Vite, which empties that folder, and then its brotli and gzip copies
// (scripts/precompress.mjs; the Vite build writes the app's own).
// The whiteboard example (examples/whiteboard/, a fixed list of files) is copied into that dist
// too, so every Parley server serves it at /examples/whiteboard/ with the SDK beside it.
// `--packages` builds the four packages only and leaves the web app as it is.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { precompressDir } from './precompress.mjs';
import { buildSdkScript } from './sdk-bundle.mjs';

/** The files of examples/whiteboard/ served at /examples/whiteboard/ (a fixed list, nothing else). */
const WHITEBOARD_FILES = ['index.html', 'whiteboard.js', 'whiteboard.css'];

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const packagesOnly = process.argv.includes('--packages');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed`);
    process.exit(r.status ?? 1);
  }
}

const workspaces = JSON.parse(readFileSync('package.json', 'utf8')).workspaces;
const projects = workspaces.filter((dir) => existsSync(join(dir, 'tsconfig.build.json')));
for (const dir of projects) rmSync(join(dir, 'dist'), { recursive: true, force: true });
const started = Date.now();
run(process.execPath, [
  'node_modules/typescript/bin/tsc',
  '-b',
  ...projects.map((dir) => join(dir, 'tsconfig.build.json')),
]);
console.log(`build: ${projects.join(', ')} compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (!packagesOnly) {
  run('npm', ['run', 'build', '-w', '@parley/web']);
  const script = await buildSdkScript(join(root, 'packages/web/dist'));
  precompressDir(dirname(script));
  console.log(`build: SDK script ${script.slice(root.length)} (with .br and .gz copies)`);
  const example = 'examples/whiteboard';
  mkdirSync(join('packages/web/dist', example), { recursive: true });
  for (const file of WHITEBOARD_FILES)
    copyFileSync(join(example, file), join('packages/web/dist', example, file));
  console.log(`build: ${example}/ copied into packages/web/dist`);
}
