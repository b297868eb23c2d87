/**
 * A token bucket: `burst` tokens, refilled at `ratePerS`. Each frame takes one token (or, for a
 * byte budget, one per byte); a frame that finds too few tokens is refused. Refill is computed lazily from the clock on each take,
 * so an idle bucket costs nothing.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /** `now` returns milliseconds (injectable for tests). */
  constructor(ratePerS: number, burst: number, now: () => number = performance.now.bind(performance)) {
    this.#ratePerMs = ratePerS / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes `cost` tokens (default one); returns false (taking nothing) when fewer are left. */
  take(cost = 1): boolean {
    const now = this.#now();
    const elapsed = now - this.#last;
    this.#last = now;
    if (elapsed > 0) this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /**
   * Tokens available at `now` (ms, the same clock as the constructor's), refilled up to it. With
   * `spend`, lets a caller that already read the clock check several buckets and take from all
   * or none without reading it again (the per-frame path: see flood-guard.ts).
   */
  level(now: number): number {
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
      this.#last = now;
    }
    return this.#tokens;
  }

  /** Removes `cost` tokens that `level` said are there. */
  spend(cost: number): void {
    this.#tokens -= cost;
  }

  /** Tokens available now (fractional). */
  get tokens(): number {
    const elapsed = this.#now() - this.#last;
    return Math.min(this.#burst, this.#tokens + Math.max(0, elapsed) * this.#ratePerMs);
  }
}
