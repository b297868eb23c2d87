import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { offlineLock } from '../../e2e/packaging/offline-install.ts';

// A repository lock in miniature: two workspaces, a hoisted dependency, one nested under a
// workspace, a dev-only package, an optional platform package and a link entry.
const repo = {
  packages: {
    '': { name: 'root', workspaces: ['packages/a', 'packages/b'] },
    'node_modules/@x/a': { resolved: 'packages/a', link: true },
    'packages/a': { version: '1.0.0', dependencies: { dep: '^2.0.0' }, bin: { a: 'bin/a.mjs' } },
    'packages/b': {
      version: '1.0.0',
      dependencies: { '@x/a': '1.0.0', dep: '^1.0.0', native: '^1.0.0' },
    },
    'node_modules/dep': {
      version: '2.1.0',
      resolved: 'https://registry.example/dep-2.1.0.tgz',
      integrity: 'sha512-dep2',
      dependencies: { leaf: '^1.0.0' },
    },
    'packages/b/node_modules/dep': {
      version: '1.5.0',
      resolved: 'https://registry.example/dep-1.5.0.tgz',
      integrity: 'sha512-dep1',
    },
    'node_modules/leaf': { version: '1.0.0', resolved: 'r/leaf', integrity: 'sha512-leaf', dev: true },
    'node_modules/native': {
      version: '1.0.0',
      resolved: 'r/native',
      integrity: 'sha512-native',
      optionalDependencies: { 'native-linux': '1.0.0' },
    },
    'node_modules/native-linux': {
      version: '1.0.0',
      resolved: 'r/nl',
      integrity: 'sha512-nl',
      os: ['linux'],
    },
    'node_modules/devonly': { version: '9.0.0', resolved: 'r/devonly', dev: true },
  },
};
const packed = [
  { name: '@x/a', tarball: 't/a.tgz', folder: 'packages/a' },
  { name: '@x/b', tarball: 't/b.tgz', folder: 'packages/b' },
];

describe('packaging › offlineLock (the installed project lock from the repository lock)', () => {
  const lock = offlineLock(repo, packed, (t) => `sha512-of-${t}`);

  it('depends on the tarballs and locks them with their integrity, bins and dependencies', () => {
    assert.deepEqual(lock.packages['']?.dependencies, { '@x/a': 'file:t/a.tgz', '@x/b': 'file:t/b.tgz' });
    assert.deepEqual(lock.packages['node_modules/@x/a'], {
      version: '1.0.0',
      resolved: 'file:t/a.tgz',
      integrity: 'sha512-of-t/a.tgz',
      dependencies: { dep: '^2.0.0' },
      bin: { a: 'bin/a.mjs' },
    });
  });

  it("follows Node's lookup: nested copies stay under their package, hoisted ones at the top", () => {
    assert.equal(lock.packages['node_modules/dep']?.version, '2.1.0');
    assert.equal(lock.packages['node_modules/@x/b/node_modules/dep']?.version, '1.5.0');
    assert.equal(lock.packages['node_modules/leaf']?.version, '1.0.0', 'transitive');
    assert.equal(lock.packages['node_modules/leaf']?.dev, undefined, 'dev flag dropped');
  });

  it('keeps optional platform packages as optional, and leaves out what nothing needs', () => {
    assert.equal(lock.packages['node_modules/native-linux']?.optional, true);
    assert.deepEqual(lock.packages['node_modules/native-linux']?.os, ['linux']);
    assert.equal(lock.packages['node_modules/devonly'], undefined);
  });

  it('says which dependency the repository lock lacks', () => {
    const broken = {
      packages: { ...repo.packages, 'node_modules/leaf': undefined },
    } as unknown as typeof repo;
    assert.throws(() => offlineLock(broken, packed, () => ''), /package-lock\.json has no leaf/);
  });
});
