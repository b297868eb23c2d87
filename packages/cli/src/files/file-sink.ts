/**
 * A file on disk as the SDK's `FileSink`. Bytes go to a hidden temporary file next to the
 * destination (`.<name>.<id>.parley-part`), written at their offsets; only when the SDK calls
 * `finish()` — every byte arrived and the SHA-256 matched — is it renamed to its final name, so
 * a partial or corrupt file never appears under the real name. `abort()` deletes it.
 */
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { FileSink } from '@parley/client';

/**
 * The offered name made safe as a single file name: no directories (`../x` → `x`), no control
 * characters, no leading dots (hidden or special), not empty, at most 200 bytes of UTF-8.
 */
export function safeFileName(offered: string): string {
  let name = basename(offered.replaceAll('\\', '/'))
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  if (!name) name = 'file';
  while (Buffer.byteLength(name) > 200) name = [...name].slice(0, -1).join('');
  return name;
}

/** `name.ext` → `name (1).ext`, `name (2).ext`… */
export function numberedName(name: string, n: number): string {
  const ext = extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return `${stem} (${n})${ext && ext !== name ? ext : ''}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A sink for one incoming file. `path` is known once `finish()` has renamed the file. */
export class DiskFileSink implements FileSink {
  readonly #dir: string;
  readonly #name: string;
  readonly #overwrite: boolean;
  readonly #partPath: string;
  #handle: FileHandle | null = null;
  #opening: Promise<FileHandle> | null = null;
  #path: string | null = null;
  #done = false;

  /**
   * @param dir destination directory (must exist)
   * @param offeredName the name the sender offered (made safe here)
   * @param id the transfer id, to keep concurrent temporary files apart
   */
  constructor(dir: string, offeredName: string, id: string, options: { overwrite?: boolean } = {}) {
    this.#dir = dir;
    this.#name = safeFileName(offeredName);
    this.#overwrite = options.overwrite ?? false;
    this.#partPath = join(dir, `.${this.#name}.${id.slice(0, 12)}.parley-part`);
  }

  /** The final path, once finished. */
  get path(): string | null {
    return this.#path;
  }

  /** The temporary file's path. */
  get partPath(): string {
    return this.#partPath;
  }

  async write(chunk: Uint8Array, offset: number): Promise<void> {
    const handle = this.#handle ?? (await this.#open());
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, offset + written);
      written += bytesWritten;
    }
  }

  async finish(): Promise<void> {
    const handle = this.#handle ?? (await this.#open()); // an empty file had no write
    await handle.sync();
    await handle.close();
    this.#handle = null;
    this.#done = true;
    let target = join(this.#dir, this.#name);
    if (!this.#overwrite) {
      for (let n = 1; (await exists(target)) && n < 10_000; n++)
        target = join(this.#dir, numberedName(this.#name, n));
    }
    await rename(this.#partPath, target);
    this.#path = target;
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    const handle = this.#handle ?? (this.#opening ? await this.#opening.catch(() => null) : null);
    this.#handle = null;
    await handle?.close().catch(() => {});
    await unlink(this.#partPath).catch(() => {});
  }

  #open(): Promise<FileHandle> {
    // Opened on the first write and kept for the whole transfer, across resumes (the SDK keeps
    // this sink and continues at the kept offset). 0o666 lets the umask decide, like any download.
    this.#opening ??= open(this.#partPath, 'w', 0o666).then((h) => {
      this.#handle = h;
      return h;
    });
    return this.#opening;
  }
}
