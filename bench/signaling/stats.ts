/**
 * Latency samples kept in a fixed-size reservoir, so memory stays bounded however long a run
 * is, and percentiles computed by nearest rank on the kept samples.
 */

/** Summary of a set of durations, all in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencyRecorder {
  readonly #samples: Float64Array;
  #kept = 0;
  #seen = 0;
  #sum = 0;
  #max = 0;
  // A small deterministic PRNG (xorshift32) for reservoir replacement: runs stay reproducible.
  #rng = 0x9e3779b9;

  constructor(capacity = 1_000_000) {
    this.#samples = new Float64Array(capacity);
  }

  /** Records one duration in milliseconds. */
  record(ms: number): void {
    this.#seen++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
    if (this.#kept < this.#samples.length) {
      this.#samples[this.#kept++] = ms;
      return;
    }
    // Algorithm R: the n-th sample replaces a random kept one with probability capacity / n.
    let x = this.#rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#rng = x >>> 0;
    const j = this.#rng % this.#seen;
    if (j < this.#samples.length) this.#samples[j] = ms;
  }

  get count(): number {
    return this.#seen;
  }

  summary(): LatencySummary {
    const sorted = this.#samples.slice(0, this.#kept).sort();
    const at = (q: number) => {
      if (sorted.length === 0) return Number.NaN;
      const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
      return round3(sorted[i]!);
    };
    return {
      count: this.#seen,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: round3(this.#max),
      mean: this.#seen ? round3(this.#sum / this.#seen) : Number.NaN,
    };
  }
}

/** Rounds to three decimals, enough for milliseconds measured with microsecond timestamps. */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Median of a list of numbers (NaN for an empty list). */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
