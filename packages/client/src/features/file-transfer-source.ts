/**
 * Where an outgoing file's bytes come from. The sender reads a source slice by slice and never
 * asks for the whole file, so a source backed by a disk file (the Node CLI passes a file handle)
 * or a browser `Blob`/`File` (read through `Blob.slice`) keeps memory flat however large the file.
 */

/**
 * A readable file: a name, a size, a MIME type, and random access reads.
 *
 * @example A Node implementation over a `fs/promises` file handle:
 * ```ts
 * const fh = await open(path);
 * const { size } = await fh.stat();
 * const source: FileSource = {
 *   name: basename(path), size, type: 'application/octet-stream',
 *   async read(offset, length) {
 *     const buf = new Uint8Array(length);
 *     const { bytesRead } = await fh.read(buf, 0, length, offset);
 *     return buf.subarray(0, bytesRead);
 *   },
 *   close: () => fh.close(),
 * };
 * ```
 */
export interface FileSource {
  /** File name offered to the peer (a plain name, not a path). */
  readonly name: string;
  /** Size in bytes; it must not change during the transfer. */
  readonly size: number;
  /** MIME type, `''` when unknown. */
  readonly type: string;
  /** Last modification time in milliseconds since the epoch, when known. */
  readonly lastModified?: number;
  /**
   * Resolves with exactly `length` bytes starting at `offset` (fewer only at the end of the
   * file). The sender never has more than a couple of reads in flight.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the source once the transfer is over (completed, cancelled, rejected or failed). */
  close?(): void | Promise<void>;
}

/**
 * A source over a `Blob` or `File`, read in slices with `Blob.slice().arrayBuffer()` so the
 * browser never copies the whole file into the page's memory.
 *
 * @param name defaults to the `File`'s name, else `'file'`.
 */
export function blobSource(blob: Blob, name?: string): FileSource {
  const file = blob as Partial<File>;
  return {
    name: name ?? (typeof file.name === 'string' && file.name.length > 0 ? file.name : 'file'),
    size: blob.size,
    type: blob.type,
    ...(typeof file.lastModified === 'number' ? { lastModified: file.lastModified } : {}),
    async read(offset, length) {
      return new Uint8Array(await blob.slice(offset, Math.min(offset + length, blob.size)).arrayBuffer());
    },
  };
}

/** A source over bytes already in memory (small payloads, tests). */
export function bytesSource(bytes: Uint8Array, name: string, type = ''): FileSource {
  return {
    name,
    size: bytes.length,
    type,
    async read(offset, length) {
      return bytes.subarray(offset, Math.min(offset + length, bytes.length));
    },
  };
}

/** True when `value` looks like a {@link FileSource} rather than a Blob. */
export function isFileSource(value: unknown): value is FileSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FileSource).read === 'function' &&
    typeof (value as FileSource).size === 'number'
  );
}
