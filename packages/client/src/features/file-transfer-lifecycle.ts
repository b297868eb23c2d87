/**
 * The lifecycle both directions of a file transfer share, composed into `OutgoingTransfer` and
 * `IncomingTransfer`: the state and its `state` event, throttled `progress` events, the
 * `finished` promise, the timer that waits on an interrupted transfer, and the one way to a
 * final state ({@link TransferLifecycle.settle}). What differs by direction (the channel, the
 * source or the sink) stays in the transfer and runs inside `settle`.
 *
 * Imports: protocol (types), file-transfer-progress, file-transfer-state.
 */
import type { FileCancelCode } from '@parley/protocol';
import { ProgressMeter, type TransferProgress } from './file-transfer-progress.ts';
import {
  FileTransferError,
  isFinalState,
  sendControl,
  type TransferResult,
  type TransferState,
} from './file-transfer-state.ts';

/** Where a transfer's events go (its own `emit`, which is protected). */
export interface TransferLifecycleHost {
  size: number;
  progressIntervalMs: number;
  onState(state: TransferState, error?: FileTransferError): void;
  onProgress(progress: TransferProgress): void;
}

/** State, progress, the resume wait and settling of one transfer. */
export class TransferLifecycle {
  /** Resolves when the transfer reaches a final state; never rejects. */
  readonly finished: Promise<TransferResult>;
  /** The file's SHA-256 (hex), once known. */
  sha256: string | null = null;

  readonly #host: TransferLifecycleHost;
  readonly #meter: ProgressMeter;
  #resolve!: (r: TransferResult) => void;
  #state: TransferState = 'pending';
  #progressTimer: ReturnType<typeof setInterval> | undefined;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;
  #lastProgress: TransferProgress;

  constructor(host: TransferLifecycleHost) {
    this.#host = host;
    this.#meter = new ProgressMeter(host.size);
    this.#lastProgress = { bytes: 0, total: host.size, rateBytesPerSec: 0, etaMs: null };
    this.finished = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get state(): TransferState {
    return this.#state;
  }
  get final(): boolean {
    return isFinalState(this.#state);
  }
  /** The last progress report. */
  get progress(): TransferProgress {
    return this.#lastProgress;
  }

  setState(state: TransferState, error?: FileTransferError): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#host.onState(state, error);
  }

  /** Bytes start moving (again): the rate starts afresh and `bytes()` is reported periodically. */
  startProgress(bytes: () => number | undefined): void {
    this.stopProgress();
    this.#meter.resetRate();
    this.#progressTimer = setInterval(() => {
      const b = bytes();
      if (b !== undefined) this.emitProgress(b);
    }, this.#host.progressIntervalMs);
  }

  stopProgress(): void {
    if (this.#progressTimer !== undefined) clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
  }

  /** Reports `bytes` when they moved (or the end is reached). */
  emitProgress(bytes: number): void {
    const before = this.#lastProgress.bytes;
    this.#lastProgress = this.#meter.update(bytes, performance.now());
    if (this.#lastProgress.bytes !== before || bytes >= this.#host.size)
      this.#host.onProgress(this.#lastProgress);
  }

  /** Runs `fn` after `ms` unless cleared (or replaced) first: the wait of an interrupted transfer. */
  setResumeTimer(fn: () => void, ms: number): void {
    this.clearResumeTimer();
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = undefined;
      fn();
    }, ms);
  }

  clearResumeTimer(): void {
    if (this.#resumeTimer !== undefined) clearTimeout(this.#resumeTimer);
    this.#resumeTimer = undefined;
  }

  /**
   * The transfer's channel closed: stop reporting progress and, unless final, become
   * `interrupted`. Returns whether it did (the transfer then waits for a re-offer).
   */
  interrupted(): boolean {
    this.stopProgress();
    if (this.final) return false;
    this.setState('interrupted');
    return true;
  }

  /**
   * Ends the transfer once: stops the timers, runs the direction's `cleanup` (close the channel,
   * release the source or sink), sets the final state and resolves `finished`. No effect (and
   * false) when already final.
   */
  settle(state: TransferResult['state'], error: FileTransferError | undefined, cleanup: () => void): boolean {
    if (this.final) return false;
    this.stopProgress();
    this.clearResumeTimer();
    cleanup();
    this.setState(state, error);
    this.#resolve({
      state,
      ...(state === 'completed' && this.sha256 ? { sha256: this.sha256 } : {}),
      ...(error ? { error } : {}),
    });
    return true;
  }
}

/** How a `file.cancel` from the peer ends the transfer: `cancelled` for CANCELLED, else `failed`. */
export function remoteCancel(
  msg: { code: FileCancelCode; reason?: string | undefined },
  peer: 'sender' | 'receiver',
): { state: 'cancelled' | 'failed'; error: FileTransferError } {
  return {
    state: msg.code === 'CANCELLED' ? 'cancelled' : 'failed',
    error: new FileTransferError(msg.code, msg.reason || `cancelled by the ${peer} (${msg.code})`, {
      remote: true,
    }),
  };
}

/**
 * Ends the transfer from this side: tells the peer why with `file.cancel` (when a `code` is given
 * and a channel is open) and returns the error a `failed` end carries.
 */
export function sayCancel(
  channel: RTCDataChannel | null,
  id: string,
  state: TransferResult['state'],
  code: FileCancelCode | undefined,
  reason: string | undefined,
  cause: unknown,
): FileTransferError | undefined {
  if (channel && code) sendControl(channel, { type: 'file.cancel', id, code, ...(reason ? { reason } : {}) });
  return state === 'failed' && code ? new FileTransferError(code, reason ?? code, { cause }) : undefined;
}
