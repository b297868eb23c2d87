/**
 * Where an incoming file's bytes go. The receiver hands each chunk to the sink in order, exactly
 * once, and counts a byte as kept (and confirms it to the sender, so a resume may start after it)
 * only once `write` has returned or its promise has resolved.
 */

/**
 * A writable destination for one incoming file.
 *
 * @example A Node implementation writing to disk:
 * ```ts
 * const fh = await open(path, 'w');
 * const sink: FileSink = {
 *   write: async (chunk, offset) => { await fh.write(chunk, 0, chunk.length, offset); },
 *   finish: () => fh.close(),
 *   abort: () => fh.close(),
 * };
 * ```
 */
export interface FileSink {
  /**
   * Stores `chunk` at `offset`. Offsets are contiguous: each write starts where the previous one
   * ended (also across a resume). The sink may keep `chunk` without copying it.
   */
  write(chunk: Uint8Array, offset: number): void | Promise<void>;
  /** Every byte arrived and the SHA-256 matched. */
  finish(): void | Promise<void>;
  /** The transfer ended without the file (cancelled, failed, hash mismatch). */
  abort?(reason: Error): void | Promise<void>;
}

/**
 * A browser sink that collects the file into a `Blob`. Chunks are folded into intermediate Blobs
 * every `foldBytes`, which lets the browser move the bytes out of the page's JavaScript heap
 * (Chromium's blob registry lives in the browser process and may page to disk), so receiving a
 * large file does not grow the page's heap by the file's size.
 */
export class BlobSink implements FileSink {
  readonly #type: string;
  readonly #foldBytes: number;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  #folded: Blob[] = [];
  #blob: Blob | null = null;

  /**
   * @param type MIME type of the resulting Blob.
   * @param foldBytes fold pending chunks into a Blob once this many bytes wait (default 8 MiB).
   */
  constructor(type = '', foldBytes = 8 * 1024 * 1024) {
    this.#type = type;
    this.#foldBytes = foldBytes;
  }

  write(chunk: Uint8Array): void {
    this.#parts.push(chunk);
    this.#partBytes += chunk.length;
    if (this.#partBytes >= this.#foldBytes) this.#fold();
  }

  finish(): void {
    this.#fold();
    this.#blob = new Blob(this.#folded, { type: this.#type });
    this.#folded = [];
  }

  abort(): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#folded = [];
  }

  /** The received file, once the transfer has completed; null before. */
  get blob(): Blob | null {
    return this.#blob;
  }

  #fold(): void {
    if (this.#parts.length === 0) return;
    this.#folded.push(new Blob(this.#parts as BlobPart[]));
    this.#parts = [];
    this.#partBytes = 0;
  }
}
