/**
 * The server's layers, enforced: every file of packages/server/src belongs to a layer (by its
 * folder, or by name for the top-level files), and an import may only reach its own layer or one
 * below. Type-only imports count too: a reader going bottom-up should never need a file from
 * further up to understand the one in front of them. Besides, no import cycle between files, nor
 * between folders.
 *
 * `SERVER_LAYERS` is the table docs/ARCHITECTURE.md quotes; a new folder must be added to it (the
 * test fails on a file without a layer).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { type LayerTable, layerIndex, relativeImports, sourceFiles } from '../../helpers/import-layers.ts';

/** Bottom-up: each layer may import its own and the ones listed before it. */
export const SERVER_LAYERS: LayerTable = [
  // Frame building, the root logger, the Prometheus registry: the protocol and npm libraries only.
  { layer: 'foundation', holds: ['wire/', 'log.ts', 'log-format.ts', 'metrics.ts'] },
  // Pure access policies (tokens, origins, client addresses, per-address limits) and the
  // `Authorizer` seam; no state of the server.
  { layer: 'auth', holds: ['auth/'] },
  // Sockets and HTTP: the WebSocket endpoint and `Connection`, the HTTP handler, TLS files.
  { layer: 'transport', holds: ['transport/', 'http/', 'tls/'] },
  // The session entity: Session, registry, queue, rate limits, relation cache.
  { layer: 'session', holds: ['session/'] },
  // What sessions do: routing, rooms, calls, presence, SFU, ICE/TURN, STUN, the directory.
  {
    layer: 'services',
    holds: [
      'directory/',
      'cluster/',
      'relay/',
      'calls/',
      'rooms/',
      'presence/',
      'sfu/',
      'turn/',
      'stun/',
      'recording/',
    ],
  },
  // The variable table and its validation (which reuses the parsers of the layers below).
  { layer: 'config', holds: ['config/'] },
  // Connection handling, the session lifecycle and the composition root.
  { layer: 'node', holds: ['node/'] },
  // The process entry point and the package's faces (index.ts, and tools.ts for scripts).
  { layer: 'entry', holds: ['main.ts', 'index.ts', 'tools.ts'] },
];

const ROOT = resolve(import.meta.dirname, '../../../packages/server/src');

const layerOf = (file: string) => layerIndex(ROOT, SERVER_LAYERS, file);

const files = sourceFiles(ROOT);
const graph = new Map(files.map((f) => [f, relativeImports(f)]));
const name = (f: string) => relative(ROOT, f);

describe('server layers', () => {
  it('every server file has a layer', () => {
    assert.deepEqual(files.filter((f) => layerOf(f) < 0).map(name), [], 'add the folder to SERVER_LAYERS');
  });

  it('no import runs up a layer', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        if (layerOf(target) > layerOf(file)) {
          const [from, to] = [SERVER_LAYERS[layerOf(file)]?.layer, SERVER_LAYERS[layerOf(target)]?.layer];
          upward.push(`${name(file)} (${from}) → ${name(target)} (${to})`);
        }
      }
    }
    assert.deepEqual(upward, []);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, imports]) =>
      imports.filter((t) => !graph.has(t) && !t.endsWith('.d.ts')).map((t) => `${name(file)} → ${name(t)}`),
    );
    assert.deepEqual(missing, []);
  });

  it('no file-level import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].map(name).join(' → '));
        else if (!state.has(t) && graph.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    assert.deepEqual(cycles, []);
  });

  it('no folder-level import cycle (services of one layer lean on each other one way)', () => {
    const folderOf = (f: string) => (name(f).includes('/') ? `${name(f).split('/')[0]}/` : name(f));
    const edges = new Map<string, Set<string>>();
    for (const [file, imports] of graph) {
      for (const t of imports) {
        const [a, b] = [folderOf(file), folderOf(t)];
        if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
      }
    }
    /** Whether `to` reaches `from` again. */
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
      if (from === to) return true;
      seen.add(from);
      return [...(edges.get(from) ?? [])].some((n) => !seen.has(n) && reaches(n, to, seen));
    };
    const loops = [...edges].flatMap(([a, targets]) =>
      [...targets].filter((b) => reaches(b, a)).map((b) => `${a} → ${b}`),
    );
    assert.deepEqual(loops, []);
  });

  it('scripts/ and bench/ import the server through its package faces, never a file inside', () => {
    const repo = resolve(ROOT, '../../..');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? e.name === 'results' || e.name === 'node_modules'
            ? []
            : walk(join(dir, e.name))
          : /\.(ts|mjs|js)$/.test(e.name)
            ? [join(dir, e.name)]
            : [],
      );
    const deep = [...walk(join(repo, 'scripts')), ...walk(join(repo, 'bench'))].filter((f) =>
      /(?:from\s*|import\(\s*)['"`][^'"`]*packages\/server\/src\//.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      deep.map((f) => relative(repo, f)),
      [],
    );
  });

  it('the layer check sees type-only imports and re-exports', () => {
    const index = join(ROOT, 'index.ts');
    assert.ok(graph.get(index)!.length > 5, 'index.ts re-exports are read');
  });
});
