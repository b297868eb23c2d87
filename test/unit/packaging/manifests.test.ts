import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../..', import.meta.url).pathname;
const read = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
const PUBLISHED = ['protocol', 'client', 'server', 'cli'].map((p) => ({
  dir: `packages/${p}`,
  pkg: read(`packages/${p}`),
}));

describe('packaging › the published packages’ manifests', () => {
  it('versions move together: one version, and the @parley/* dependencies pinned to it', () => {
    const version = read('.').version;
    for (const { dir, pkg } of [...PUBLISHED, { dir: 'packages/web', pkg: read('packages/web') }]) {
      assert.equal(pkg.version, version, dir);
      for (const [name, range] of Object.entries(pkg.dependencies ?? {}))
        if (name.startsWith('@parley/')) assert.equal(range, version, `${dir} → ${name}`);
    }
  });

  it('each exports its compiled files with types, sources only under the @parley/source condition', () => {
    for (const { dir, pkg } of PUBLISHED) {
      for (const [path, target] of Object.entries(pkg.exports as Record<string, Record<string, string>>)) {
        assert.deepEqual(Object.keys(target), ['@parley/source', 'types', 'default'], `${dir} ${path}`);
        assert.match(target.types!, /^\.\/dist\/.*\.d\.ts$/, `${dir} ${path}`);
        assert.match(target.default!, /^\.\/dist\/.*\.js$/, `${dir} ${path}`);
        assert.match(target['@parley/source']!, /^\.\/src\/.*\.ts$/, `${dir} ${path}`);
      }
      assert.ok(existsSync(join(ROOT, dir, pkg.exports['.']['@parley/source'])), `${dir} source entry`);
      assert.ok(pkg.files.includes('dist') && !pkg.files.includes('src'), `${dir} files`);
      assert.equal(pkg.license, 'MIT', dir);
      assert.ok(existsSync(join(ROOT, dir, 'README.md')), `${dir} README`);
      assert.ok(existsSync(join(ROOT, dir, 'tsconfig.build.json')), `${dir} build config`);
    }
  });

  it('the two commands: parley (the CLI) and parley-server, both shipped', () => {
    const bins = Object.fromEntries(
      PUBLISHED.flatMap(({ dir, pkg }) =>
        Object.entries(pkg.bin ?? {}).map(([n, f]) => [n, join(dir, f as string)]),
      ),
    );
    assert.deepEqual(Object.keys(bins).sort(), ['parley', 'parley-server']);
    for (const file of Object.values(bins)) assert.ok(existsSync(join(ROOT, file)), file);
  });
});
