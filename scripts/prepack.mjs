#!/usr/bin/env node
// `prepack` / `postpack` of every published package (npm runs them in the package's folder around
// `npm pack` and `npm publish`). prepack refuses to pack a package that was not built (`npm run
// build` first) and copies in what lives elsewhere in the repository: the LICENSE (npm packs only
// a license in the package's own folder) and, for @parley/server, the built web app into web/,
// which `parley-server` serves when installed. `postpack` removes the web/ copy again, so that a
// clone keeps serving packages/web/dist. The copies are git-ignored.
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const webCopy = pkg.name === '@parley/server' ? 'web' : undefined;
if (process.argv[2] === 'post') {
  if (webCopy) rmSync(webCopy, { recursive: true, force: true });
  process.exit(0);
}
const missing = [pkg.exports['.'].default, ...(webCopy ? ['../web/dist/index.html'] : [])].filter(
  (f) => !existsSync(f),
);
if (missing.length > 0) {
  console.error(
    `${pkg.name}: ${missing.join(', ')} missing; run \`npm run build\` at the repository root first`,
  );
  process.exit(1);
}
copyFileSync('../../LICENSE', 'LICENSE');
if (webCopy) {
  rmSync(webCopy, { recursive: true, force: true });
  cpSync('../web/dist', webCopy, { recursive: true });
}
