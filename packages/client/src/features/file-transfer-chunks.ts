/**
 * The pure pieces of file transfer: chunk sizing, the sender's read-ahead over a source, and the
 * hash checkpoints that let a resumed transfer continue its SHA-256 without rereading the file.
 */
import type { FileSource } from './file-transfer-source.ts';
import type { FileHash } from './file-transfer-state.ts';

/** Chunk size used when the peer connection does not report `sctp.maxMessageSize` yet. */
export const FALLBACK_MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * The chunk size to send: `preferredBytes`, capped by the negotiated SCTP `maxMessageSize`
 * (Chromium 262144; the spec reports `Infinity` for "no limit" and browsers that do not know
 * report 0 or nothing, in which case 64 KiB, which every browser accepts, is used).
 */
export function chooseChunkBytes(maxMessageSize: number | null | undefined, preferredBytes: number): number {
  const preferred = Math.max(1, Math.floor(preferredBytes));
  if (maxMessageSize === null || maxMessageSize === undefined || !(maxMessageSize > 0)) {
    return Math.min(preferred, FALLBACK_MAX_MESSAGE_BYTES);
  }
  return Math.min(preferred, Math.floor(maxMessageSize));
}

/** Length of the chunk that starts at `offset` of a `size`-byte file. 0 at the end. */
export function chunkLengthAt(offset: number, size: number, chunkBytes: number): number {
  return Math.max(0, Math.min(chunkBytes, size - offset));
}

/**
 * Reads a source in blocks of several chunks and prefetches the next block while the current one
 * is being sent, so reading (an IPC round trip per `Blob.slice` in a browser, a syscall in Node)
 * overlaps sending. At most two blocks are held: memory stays at about `2 × blockBytes`.
 */
export class BlockReader {
  readonly #source: FileSource;
  readonly #blockBytes: number;
  #cur: { offset: number; bytes: Uint8Array } | null = null;
  #next: { offset: number; promise: Promise<Uint8Array> } | null = null;

  constructor(source: FileSource, blockBytes: number) {
    this.#source = source;
    this.#blockBytes = blockBytes;
  }

  /** Resolves with bytes [offset, offset + length) of the source; throws if the source reads short. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const size = this.#source.size;
    let cur = this.#cur;
    if (!cur || offset < cur.offset || offset + length > cur.offset + cur.bytes.length) {
      const next = this.#next;
      this.#next = null;
      const bytes = next && next.offset === offset ? await next.promise : await this.#fetch(offset);
      cur = { offset, bytes };
      this.#cur = cur;
    }
    const end = cur.offset + cur.bytes.length;
    if (!this.#next && end < size) this.#next = { offset: end, promise: this.#fetch(end) };
    return cur.bytes.subarray(offset - cur.offset, offset - cur.offset + length);
  }

  /** Drops held and prefetched blocks. */
  clear(): void {
    this.#cur = null;
    this.#next = null;
  }

  #fetch(offset: number): Promise<Uint8Array> {
    const want = Math.min(this.#blockBytes, this.#source.size - offset);
    const p = this.#source.read(offset, want).then((bytes) => {
      if (bytes.length !== want) throw new Error(`source read ${bytes.length} of ${want} bytes at ${offset}`);
      return bytes;
    });
    // A prefetch that is dropped unread must not surface as an unhandled rejection.
    p.catch(() => {});
    return p;
  }
}

/**
 * Snapshots of the sender's running SHA-256 at chunk boundaries not yet confirmed by the
 * receiver. A resume starts at the receiver's confirmed offset, which is always one of the
 * sender's chunk boundaries, so the snapshot there continues the hash exactly. Confirmations
 * prune older snapshots, so only the unconfirmed window (a few MiB) is kept.
 */
export class HashCheckpoints {
  #byOffset = new Map<number, FileHash>();

  /** Records the hash state after the first `offset` bytes (the caller passes a clone). */
  add(offset: number, state: FileHash): void {
    this.#byOffset.set(offset, state);
  }

  /** A fresh copy of the state at `offset`, or null when none was kept. */
  at(offset: number): FileHash | null {
    return this.#byOffset.get(offset)?.clone() ?? null;
  }

  /** The receiver kept everything below `offset`: drop snapshots before it. */
  confirm(offset: number): void {
    for (const key of this.#byOffset.keys()) if (key < offset) this.#byOffset.delete(key);
  }

  /** Number of snapshots held. */
  get size(): number {
    return this.#byOffset.size;
  }

  clear(): void {
    this.#byOffset.clear();
  }
}
