/**
 * Brotli and gzip copies of the web app's static files. The build writes them beside each file
 * (`app.js.br`, `app.js.gz`: scripts/precompress.mjs); a copy is used only when it is at least as
 * new as the file, so a file edited by hand after the build (an operator's index.html) never
 * gets its stale copy served. Without a usable copy on disk (the app built without the
 * precompress step, the SDK script of an old build, a hand-edited file) the file is compressed
 * once, off the event loop (zlib's thread pool), and kept in memory: LRU, at most
 * `maxCacheBytes` in all, files over `maxFileBytes` are sent as they are. Concurrent requests
 * for the same file share one compression.
 *
 * May import: node builtins, ./accept-encoding.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Encoding } from './accept-encoding.ts';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** A file on disk, as found by the static handler. */
export interface FileOnDisk {
  path: string;
  size: number;
  mtimeMs: number;
}

/** How to send one encoding of a file: a file on disk or bytes held in memory. */
export type Copy = { path: string; size: number } | { body: Buffer; size: number };

/** File name suffix of each stored encoding. */
export const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

/** Files smaller than this are sent as they are: the headers would eat the saving. */
export const MIN_COMPRESS_BYTES = 256;

interface Entry {
  size: number;
  mtimeMs: number;
  /** null: compressing did not make the file smaller. */
  body: Buffer | null;
}

export interface CompressedCopiesOptions {
  /** Bytes of compressed copies kept in memory in all (default 32 MiB). */
  maxCacheBytes?: number;
  /** Largest file compressed on the fly (default 8 MiB). */
  maxFileBytes?: number;
}

export class CompressedCopies {
  readonly #maxCacheBytes: number;
  readonly #maxFileBytes: number;
  /** Insertion order is recency: a hit is moved to the end, eviction takes the first. */
  readonly #cache = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<Entry>>();
  #cachedBytes = 0;

  constructor(options: CompressedCopiesOptions = {}) {
    this.#maxCacheBytes = options.maxCacheBytes ?? 32 * 1024 * 1024;
    this.#maxFileBytes = options.maxFileBytes ?? 8 * 1024 * 1024;
  }

  /** Bytes of compressed copies held in memory now. */
  get cachedBytes(): number {
    return this.#cachedBytes;
  }

  /** The `encoding` copy of `file`, or null when it should be sent as it is. */
  async get(file: FileOnDisk, encoding: Encoding): Promise<Copy | null> {
    if (file.size < MIN_COMPRESS_BYTES) return null;
    const stored = `${file.path}${SUFFIX[encoding]}`;
    try {
      const s = await stat(stored);
      if (s.isFile() && s.mtimeMs >= file.mtimeMs) return { path: stored, size: s.size };
    } catch {
      // No copy on disk: compress in memory below.
    }
    if (file.size > this.#maxFileBytes) return null;
    const entry = await this.#compressed(file, encoding);
    return entry.body ? { body: entry.body, size: entry.body.length } : null;
  }

  async #compressed(file: FileOnDisk, encoding: Encoding): Promise<Entry> {
    const key = `${encoding}\0${file.path}`;
    const hit = this.#cache.get(key);
    if (hit && hit.size === file.size && hit.mtimeMs === file.mtimeMs) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const running = this.#pending.get(key);
    if (running) return running;
    const work = (async () => {
      const raw = await readFile(file.path);
      const packed = await compress(raw, encoding);
      // Only worth it when clearly smaller (already-compressed images and fonts are not).
      const entry: Entry = {
        size: file.size,
        mtimeMs: file.mtimeMs,
        body: packed.length < raw.length * 0.95 ? packed : null,
      };
      // Changed since the caller's stat: serve this once, keep nothing (the next request re-reads).
      if (raw.length === file.size) this.#store(key, entry);
      return entry;
    })();
    this.#pending.set(key, work);
    try {
      return await work;
    } finally {
      this.#pending.delete(key);
    }
  }

  #store(key: string, entry: Entry): void {
    const old = this.#cache.get(key);
    if (old) {
      this.#cachedBytes -= old.body?.length ?? 0;
      this.#cache.delete(key);
    }
    const bytes = entry.body?.length ?? 0;
    if (bytes > this.#maxCacheBytes) return;
    this.#cache.set(key, entry);
    this.#cachedBytes += bytes;
    for (const [k, e] of this.#cache) {
      if (this.#cachedBytes <= this.#maxCacheBytes) break;
      this.#cache.delete(k);
      this.#cachedBytes -= e.body?.length ?? 0;
    }
  }
}

/** Brotli at its best quality for files up to 1 MiB (a fraction of a second), faster above. */
function compress(raw: Buffer, encoding: Encoding): Promise<Buffer> {
  if (encoding === 'gzip') return gz(raw, { level: 9 });
  return brotli(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: raw.length <= 1024 * 1024 ? 11 : 6,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
}
