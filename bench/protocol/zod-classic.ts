/**
 * The protocol package as it was on zod classic (commit 9d4c308, the last before zod/mini),
 * extracted once with `git archive` into node_modules/.cache, for the decode benchmarks to compare
 * against.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

export const CLASSIC_COMMIT = '9d4c308';
const ROOT = new URL('../..', import.meta.url).pathname;

/** The entry point of the zod-classic protocol sources (extracting them on first use). */
export function classicProtocolEntry(): string {
  const dir = `${ROOT}node_modules/.cache/parley-bench/zod-classic-${CLASSIC_COMMIT}`;
  const entry = `${dir}/packages/protocol/src/index.ts`;
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['-C', ROOT, 'archive', CLASSIC_COMMIT, 'packages/protocol/src']);
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return entry;
}
