// Brotli and gzip copies of a built web app's text files (`app.js` → `app.js.br`, `app.js.gz`),
// which the server sends by content negotiation (packages/server/src/http/static-files.ts).
// Brotli at quality 11 and gzip at level 9: slow to make, once per build, and the smallest for
// every visitor. Source maps are left out (not served by default; compressed in memory when
// PARLEY_SERVE_SOURCE_MAPS=on), and so are files under 256 bytes and copies that would not be at
// least 5 % smaller. Used by the web app's Vite config (a build plugin) and by scripts/build.mjs
// for the SDK script written after Vite. node:zlib only, no dependency.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const TEXT = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.webmanifest',
  '.svg',
  '.txt',
  '.wasm',
  '.ico',
]);
const MIN_BYTES = 256;

/** Every file under `dir`, recursively. */
function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Writes the copies for the text files under `dir`; returns the totals
 * `{ files, raw, br, gzip }` in bytes (of the files that got copies).
 */
export function precompressDir(dir) {
  const totals = { files: 0, raw: 0, br: 0, gzip: 0 };
  for (const path of walk(dir)) {
    if (!TEXT.has(extname(path).toLowerCase())) continue;
    const raw = readFileSync(path);
    for (const stale of ['.br', '.gz']) rmSync(`${path}${stale}`, { force: true });
    if (raw.length < MIN_BYTES) continue;
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    const worth = (copy) => copy.length < raw.length * 0.95;
    if (worth(br)) writeFileSync(`${path}.br`, br);
    if (worth(gz)) writeFileSync(`${path}.gz`, gz);
    if (!worth(br) && !worth(gz)) continue;
    totals.files++;
    totals.raw += raw.length;
    totals.br += worth(br) ? br.length : raw.length;
    totals.gzip += worth(gz) ? gz.length : raw.length;
  }
  return totals;
}
