/**
 * Types shared by both directions of a file transfer: states, events, results, errors, options.
 */
import type { FileCancelCode } from '@parley/protocol';
import type { TransferProgress } from './file-transfer-progress.ts';
import { Sha256 } from './sha256.ts';

/**
 * Where a transfer is:
 * - `pending`: offered, waiting for the receiver to accept or reject;
 * - `transferring`: bytes are flowing;
 * - `verifying`: every byte is across; the SHA-256 is being checked;
 * - `interrupted`: the channel closed mid-way; it resumes from the receiver's kept offset when
 *   the sender re-offers (automatically, or via `resume()`);
 * - `completed`, `cancelled`, `rejected`, `failed`: final.
 */
export type TransferState =
  | 'pending'
  | 'transferring'
  | 'verifying'
  | 'interrupted'
  | 'completed'
  | 'cancelled'
  | 'rejected'
  | 'failed';

/** Final states: nothing happens after these. */
export const FINAL_TRANSFER_STATES: readonly TransferState[] = [
  'completed',
  'cancelled',
  'rejected',
  'failed',
];

/** True for a final state. */
export function isFinalState(state: TransferState): boolean {
  return FINAL_TRANSFER_STATES.includes(state);
}

/**
 * Why a transfer failed: a protocol cancel code (sent or received), or a local condition:
 * `RESUME_TIMEOUT` (an interrupted receive was not resumed in time), `RESUME_FAILED` (the sender
 * gave up re-offering).
 */
export type FileTransferErrorCode = FileCancelCode | 'RESUME_TIMEOUT' | 'RESUME_FAILED';

/** A transfer's failure, with a stable `code`; `remote` is true when the peer reported it. */
export class FileTransferError extends Error {
  override readonly name = 'FileTransferError';
  readonly code: FileTransferErrorCode;
  readonly remote: boolean;
  constructor(code: FileTransferErrorCode, message: string, options?: { remote?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options?.remote ?? false;
  }
}

/** How a transfer ended; `finished` promises resolve (never reject) with this. */
export interface TransferResult {
  state: 'completed' | 'cancelled' | 'rejected' | 'failed';
  /** The file's SHA-256 (hex), when completed. */
  sha256?: string;
  /** Set when failed (and when cancelled by the peer with a reason). */
  error?: FileTransferError;
}

/** Events of one transfer, either direction. */
export type TransferEvents = {
  /** The state changed; `error` accompanies `failed`. */
  state: [TransferState, FileTransferError?];
  /** Throttled progress (every `progressIntervalMs` while bytes move, and once at the end). */
  progress: [TransferProgress];
};

/** Tuning of file transfers; every field has a measured default (see docs/BENCHMARKS.md). */
export interface FileTransferOptions {
  /** Preferred chunk (message) size; capped by the connection's `sctp.maxMessageSize`. Default 256 KiB. */
  chunkBytes?: number;
  /** The sender reads its source in blocks of this size (rounded up to whole chunks). Default 1 MiB. */
  readBlockBytes?: number;
  /** Stop writing when the channel buffers this many bytes. Default 4 MiB (Chromium fails past 16 MiB). */
  highWaterBytes?: number;
  /** Resume writing when the buffer drains to this. Default 1 MiB. */
  lowWaterBytes?: number;
  /** Polling period of the backpressure fallback. Default 10 ms. */
  pollMs?: number;
  /** The receiver confirms its kept offset after this many new bytes… Default 2 MiB. */
  ackBytes?: number;
  /** …or after this long, whichever comes first. Default 500 ms. */
  ackIntervalMs?: number;
  /** Period of progress events. Default 200 ms. */
  progressIntervalMs?: number;
  /** Re-offer interrupted outgoing transfers automatically. Default true. */
  autoResume?: boolean;
  /** Delay before an automatic re-offer while the connection is still up. Default 250 ms. */
  resumeDelayMs?: number;
  /** Re-offers in a row without new confirmed bytes before giving up (`RESUME_FAILED`). Default 5. */
  maxResumeAttempts?: number;
  /** How long an interrupted incoming transfer waits for its re-offer (`RESUME_TIMEOUT`). Default 5 min. */
  resumeTimeoutMs?: number;
  /**
   * Makes the running SHA-256 of a transfer (both directions). Default: the SDK's own
   * {@link Sha256} (JavaScript). A host with a faster incremental SHA-256 plugs it in here: the
   * Node CLI passes `node:crypto`'s native hash, several times faster (docs/BENCHMARKS.md).
   * It must compute standard SHA-256: the peer checks the hex digest against its own.
   */
  createHash?: () => FileHash;
}

/**
 * An incremental SHA-256 as file transfer uses it: feed bytes in order, snapshot the state at
 * chunk boundaries (`clone`, for resumes), finish once (`hex`: 64 lowercase hex digits).
 * The SDK's {@link Sha256} is one; so is a thin wrapper over `node:crypto`'s `Hash` (`copy()`).
 */
export interface FileHash {
  update(bytes: Uint8Array): unknown;
  clone(): FileHash;
  hex(): string;
}

export type ResolvedFileTransferOptions = Required<FileTransferOptions>;

/** The defaults, measured on Chromium between two pages (bench/client/file-transfer.ts). */
export const FILE_TRANSFER_DEFAULTS: ResolvedFileTransferOptions = {
  chunkBytes: 256 * 1024,
  readBlockBytes: 1024 * 1024,
  highWaterBytes: 4 * 1024 * 1024,
  lowWaterBytes: 1024 * 1024,
  pollMs: 10,
  ackBytes: 2 * 1024 * 1024,
  ackIntervalMs: 500,
  progressIntervalMs: 200,
  autoResume: true,
  resumeDelayMs: 250,
  maxResumeAttempts: 5,
  resumeTimeoutMs: 5 * 60_000,
  createHash: () => new Sha256(),
};

/** Applies defaults and checks the watermarks make sense. */
export function resolveFileTransferOptions(options: FileTransferOptions = {}): ResolvedFileTransferOptions {
  const o: ResolvedFileTransferOptions = { ...FILE_TRANSFER_DEFAULTS };
  for (const [k, v] of Object.entries(options))
    if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  if (!(o.lowWaterBytes < o.highWaterBytes))
    throw new RangeError('lowWaterBytes must be below highWaterBytes');
  if (!(o.chunkBytes > 0) || !(o.readBlockBytes > 0))
    throw new RangeError('chunk and block sizes must be positive');
  return o;
}

/** Sends a control message as JSON text; false when the channel is no longer open. */
export function sendControl(channel: RTCDataChannel, msg: object): boolean {
  if (channel.readyState !== 'open') return false;
  try {
    channel.send(JSON.stringify(msg));
    return true;
  } catch {
    return false;
  }
}
