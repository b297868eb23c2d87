/**
 * Progress reporting for transfers: bytes done, total, rate over a sliding window and an ETA.
 * Pure and clock-injected, so unit tests drive it with fabricated timestamps.
 */

/** A progress report, emitted on both sides of a transfer. */
export interface TransferProgress {
  /** Bytes done: sent and drained from the channel's buffer (sender), or received and kept (receiver). */
  bytes: number;
  /** File size in bytes. */
  total: number;
  /** Recent rate in bytes per second, over the last few seconds; 0 until measurable. */
  rateBytesPerSec: number;
  /** Estimated milliseconds to completion at the recent rate; null while the rate is unknown. */
  etaMs: number | null;
}

/**
 * Computes {@link TransferProgress} from (time, bytes) samples. Bytes are clamped to be monotonic
 * (a resume restarting below the last report does not make progress go backwards) and to `total`.
 */
export class ProgressMeter {
  readonly #total: number;
  readonly #windowMs: number;
  /** Samples inside the window, oldest first: [timeMs, bytes]. */
  #samples: Array<[number, number]> = [];
  #bytes = 0;

  /** @param windowMs how far back the rate looks (default 2000 ms). */
  constructor(total: number, windowMs = 2000) {
    this.#total = total;
    this.#windowMs = windowMs;
  }

  /** Bytes of the last report. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records that `bytes` are done at `nowMs` and returns the report. */
  update(bytes: number, nowMs: number): TransferProgress {
    this.#bytes = Math.min(this.#total, Math.max(this.#bytes, bytes));
    const samples = this.#samples;
    samples.push([nowMs, this.#bytes]);
    // Keep one sample older than the window so the rate always spans about windowMs.
    while (samples.length > 2 && nowMs - samples[1]![0] >= this.#windowMs) samples.shift();
    const [t0, b0] = samples[0]!;
    const dt = nowMs - t0;
    const rate = dt > 0 ? ((this.#bytes - b0) * 1000) / dt : 0;
    const left = this.#total - this.#bytes;
    return {
      bytes: this.#bytes,
      total: this.#total,
      rateBytesPerSec: rate,
      etaMs: left === 0 ? 0 : rate > 0 ? Math.round((left * 1000) / rate) : null,
    };
  }

  /** Forgets the rate history (after a pause such as an interruption), keeping the byte count. */
  resetRate(): void {
    this.#samples = [];
  }
}
