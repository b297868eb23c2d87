/**
 * Installs packed Parley tarballs into an empty project offline, with dev dependencies left out,
 * as an app developer's `npm install @parley/client` would, but from the local npm cache: the
 * machine that runs the tests reaches no registry. `npm install <tarball>` would still ask the
 * registry for every dependency's metadata (the cache holds the tarballs `npm ci` fetched, not
 * that metadata), so this writes the project's package-lock.json from the repository's: each
 * runtime dependency the tarballs need, transitively, with the version, tarball URL and integrity
 * the repository locked. `npm ci --offline` then takes every tarball from the cache.
 * Imports nothing from the packages under test.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}
interface Lock {
  packages: Record<string, LockEntry>;
}

/** A packed workspace package: its name, its tarball, and the folder it comes from. */
export interface Packed {
  name: string;
  tarball: string;
  /** Its folder in the repository lock (e.g. `packages/server`). */
  folder: string;
}

const runtimeDeps = (e: LockEntry): string[] => [
  ...Object.keys(e.dependencies ?? {}),
  ...Object.keys(e.optionalDependencies ?? {}),
  ...Object.keys(e.peerDependencies ?? {}).filter((n) => !e.peerDependenciesMeta?.[n]?.optional),
];

/**
 * The package-lock.json of a project whose dependencies are `packed`, built from the repository
 * lock `repo`: Node's lookup (nearest node_modules folder up the tree) run over the lock's keys.
 */
export function offlineLock(repo: Lock, packed: readonly Packed[], integrityOf: (tarball: string) => string) {
  const byName = new Map(packed.map((p) => [p.name, p]));
  const out: Record<string, LockEntry> = {};
  const root: LockEntry = { dependencies: {} };
  for (const p of packed) root.dependencies![p.name] = `file:${p.tarball}`;
  out[''] = root;
  // Where each repository entry lands in the new project.
  const place = (key: string): string => {
    const ws = packed.find((p) => key.startsWith(`${p.folder}/`));
    return ws ? `node_modules/${ws.name}/${key.slice(ws.folder.length + 1)}` : key;
  };
  const visit = (fromKey: string, name: string, optional: boolean) => {
    if (byName.has(name)) return; // another packed package, placed at the top
    let dir = fromKey;
    for (;;) {
      const key = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      const entry = repo.packages[key];
      if (entry && !entry.link) {
        const target = place(key);
        if (out[target]) return;
        const { dev: _dev, peer: _peer, devOptional: _devOptional, ...kept } = entry;
        out[target] = optional ? { ...kept, optional: true } : kept;
        for (const dep of runtimeDeps(entry))
          visit(key, dep, optional || dep in (entry.optionalDependencies ?? {}));
        return;
      }
      if (dir === '') throw new Error(`package-lock.json has no ${name} for ${fromKey || 'the root'}`);
      const up = dir.lastIndexOf('/node_modules/');
      dir = up >= 0 ? dir.slice(0, up) : '';
    }
  };
  for (const p of packed) {
    const entry = repo.packages[p.folder];
    if (!entry) throw new Error(`package-lock.json has no ${p.folder}`);
    out[`node_modules/${p.name}`] = {
      version: entry.version,
      resolved: `file:${p.tarball}`,
      integrity: integrityOf(p.tarball),
      ...(entry.dependencies ? { dependencies: entry.dependencies } : {}),
      ...(entry.optionalDependencies ? { optionalDependencies: entry.optionalDependencies } : {}),
      ...(entry.bin ? { bin: entry.bin } : {}),
      ...(entry.engines ? { engines: entry.engines } : {}),
    };
    for (const dep of runtimeDeps(entry)) visit(p.folder, dep, dep in (entry.optionalDependencies ?? {}));
  }
  return { name: 'parley-installed', lockfileVersion: 3, requires: true, packages: out };
}

/** sha512 integrity of a file, as npm writes it. */
export function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * Makes `project` an app depending on `packed` (tarball paths relative to `project`) and installs
 * it with `npm ci --offline --omit=dev`.
 */
export function installOffline(project: string, repoRoot: string, packed: readonly Packed[]): void {
  const repo = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as Lock;
  const lock = offlineLock(repo, packed, (t) => integrityOf(join(project, t)));
  const pkg = {
    name: 'parley-installed',
    private: true,
    type: 'module',
    dependencies: lock.packages['']!.dependencies,
  };
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  execFileSync('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    stdio: 'pipe',
  });
}
