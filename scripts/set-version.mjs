#!/usr/bin/env node
// `npm run set-version -- 0.2.0`: moves the versions of the repository and of every workspace
// package together, with the @parley/* dependencies between them pinned to that same version (the
// packages are released as one set; test/unit/packaging/manifests.test.ts checks it). Then run
// `npm install` to refresh package-lock.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const version = process.argv[2];
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) {
  console.error('usage: npm run set-version -- X.Y.Z');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const dir of ['.', ...rootPkg.workspaces]) {
  const file = join(root, dir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  pkg.version = version;
  for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.peerDependencies])
    for (const name of Object.keys(deps ?? {})) if (name.startsWith('@parley/')) deps[name] = version;
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  console.log(`${pkg.name}: ${version}`);
}
