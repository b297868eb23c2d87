#!/usr/bin/env node
// The `parley-server` command: runs the compiled server (dist/main.js) with plain Node, configured
// by the same PARLEY_* environment variables as `npm start` (docs/DEPLOY.md lists them).
// `--version` prints the version and exits; every other argument goes to the server (`--https`).
// Installed from npm (no src/ beside dist/), the web app packed into web/ is served unless
// PARLEY_WEB_DIR names another folder; in a clone the server's default, packages/web/dist, stays.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === '--version') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`parley-server ${pkg.version} (node ${process.versions.node})\n`);
  process.exit(0);
}
const packedWeb = fileURLToPath(new URL('../web/', import.meta.url));
if (!existsSync(new URL('../src/', import.meta.url)) && existsSync(`${packedWeb}index.html`)) {
  process.env.PARLEY_WEB_DIR ??= packedWeb;
}
await import('../dist/main.js');
