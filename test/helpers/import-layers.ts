/**
 * Reads a package's import graph (relative imports, type-only and re-exports included) and
 * places each file in a layer, so a test can assert that no import runs up a layer. Used by the
 * layer tests of the server (which also forbids cycles), the client and the web app.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Bottom-up: a file may import its own layer and the ones listed before it. */
export type LayerTable = readonly { layer: string; holds: readonly string[] }[];

/** The `.ts` files under `dir` (declaration files left out). */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The files `file` imports or re-exports by relative path, resolved to absolute paths. */
export function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'|(?:^|\n)\s*import\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g;
  return [...text.matchAll(re)]
    .map((m) => m[1] ?? m[2] ?? m[3])
    .filter((spec): spec is string => spec?.startsWith('.') === true)
    .map((spec) => resolve(dirname(file), spec));
}

/** Where each file of `root` sits in `table` (-1: in no layer). */
export function layerIndex(root: string, table: LayerTable, file: string): number {
  const rel = relative(root, file);
  return table.findIndex(({ holds }) => holds.some((h) => (h.endsWith('/') ? rel.startsWith(h) : rel === h)));
}

/** What breaks the table: files without a layer, and imports that run up a layer. */
export function layerViolations(root: string, table: LayerTable): { unplaced: string[]; upward: string[] } {
  const files = sourceFiles(root);
  const at = (f: string) => layerIndex(root, table, f);
  const name = (f: string) => relative(root, f);
  const unplaced = files.filter((f) => at(f) < 0).map(name);
  const upward = files.flatMap((f) =>
    relativeImports(f)
      .filter((t) => at(t) > at(f))
      .map((t) => `${name(f)} (${table[at(f)]?.layer}) → ${name(t)} (${table[at(t)]?.layer})`),
  );
  return { unplaced, upward };
}
