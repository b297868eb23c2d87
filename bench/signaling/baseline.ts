/**
 * Parley as of another commit, to measure before and after a change in one run: the commit is
 * exported with `git archive` into /tmp/parley-baseline-<commit> (once; later runs reuse it) and
 * gets its own `npm install` from that commit's lockfile, so its server runs with the code and
 * the dependencies of that commit, from that folder, with the same environment as the current
 * tree's server. Nothing in the repository (no worktree, no branch) is touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ROOT } from './targets.ts';

export interface Baseline {
  /** The ref as given (e.g. `605c0fd`, `main~3`). */
  ref: string;
  /** The full commit id it resolved to. */
  commit: string;
  /** The folder holding that commit's tree and its node_modules. */
  dir: string;
}

const READY = '.bench-baseline-ready';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The full commit id of `ref` in the current repository; throws on an unknown ref. */
export function resolveCommit(ref: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error(`unknown git ref "${ref}"`);
  }
}

/**
 * Materialises `ref` (see the file comment) and returns where. The export goes to a temporary
 * folder first and is renamed into place only when complete, and a marker file is written only
 * after `npm install` succeeded, so an interrupted run leaves nothing a later run would trust.
 */
export function materialise(ref: string): Baseline {
  const commit = resolveCommit(ref);
  const dir = `/tmp/parley-baseline-${commit.slice(0, 12)}`;
  if (existsSync(`${dir}/${READY}`)) return { ref, commit, dir };
  if (!existsSync(dir)) {
    log(`baseline ${ref}: exporting ${commit.slice(0, 12)} to ${dir}…`);
    const tmp = mkdtempSync(`${dir}.partial-`);
    try {
      // git archive writes a tar stream of the commit's tree; tar unpacks it into tmp.
      const r = spawnSync('sh', ['-c', `git archive --format=tar "$0" | tar -x -C "$1"`, commit, tmp], {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (r.status !== 0) throw new Error(`git archive ${commit} failed (exit ${r.status})`);
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }
  log(`baseline ${ref}: npm install in ${dir} (from its own lockfile; offline when the cache has it)…`);
  // --ignore-scripts: the server runs from TypeScript sources through tsx and needs no build step;
  // install scripts would only fetch or build native helpers the server does not use.
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], {
    cwd: dir,
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  if (r.status !== 0) throw new Error(`npm install in ${dir} failed (exit ${r.status})`);
  if (!existsSync(`${dir}/packages/server/src/main.ts`)) {
    throw new Error(`${ref} (${commit.slice(0, 12)}) has no packages/server/src/main.ts`);
  }
  writeFileSync(`${dir}/${READY}`, `${commit}\n`);
  return { ref, commit, dir };
}

/** The version of an installed package in `root`'s node_modules, for the report. */
export function installedVersion(root: string, pkg: string): string | null {
  try {
    const file = `${root.endsWith('/') ? root : `${root}/`}node_modules/${pkg}/package.json`;
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}
