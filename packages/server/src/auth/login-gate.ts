/**
 * How fast this node admits logins, all addresses together: after a restart, a drain or a node's
 * death every client comes back at once, and a node that took them all at once would starve the
 * relays of the clients already back. Logins past the rate are refused with `BUSY` and a
 * `retryMs` that gives each refused client its own later slot, so the crowd returns spread out at
 * the rate the node carries instead of in waves.
 *
 * The per-address `hello` limit (ip-limiter.ts) slows one client scanning names; this gate
 * protects the node from everyone together. Pure: no imports.
 */

export interface LoginGateOptions {
  /** Logins admitted per second at steady state (`PARLEY_LOGIN_RATE_PER_S`). */
  readonly ratePerS: number;
  /** Logins admitted at once when the node was quiet (`PARLEY_LOGIN_BURST`). */
  readonly burst: number;
  /** Longest wait handed out, ms. Default 60 000. */
  readonly maxRetryMs?: number;
  /** Clock in milliseconds. Default `performance.now`. */
  readonly now?: () => number;
  /** Random source in [0, 1). */
  readonly random?: () => number;
}

/** Slots are handed out a little slower than the rate: new arrivals take tokens too. */
const SLOT_SHARE = 0.8;

export class LoginGate {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxRetryMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #tokens: number;
  #at: number;
  /** When the last slot handed to a refused client falls. */
  #lastSlotAt = Number.NEGATIVE_INFINITY;
  #refused = 0;

  constructor(o: LoginGateOptions) {
    this.#ratePerMs = o.ratePerS / 1000;
    this.#burst = o.burst;
    this.#maxRetryMs = o.maxRetryMs ?? 60_000;
    this.#now = o.now ?? (() => performance.now());
    this.#random = o.random ?? Math.random;
    this.#tokens = o.burst;
    this.#at = this.#now();
  }

  /** Logins refused so far (for metrics). */
  get refused(): number {
    return this.#refused;
  }

  /** Admits one login (returns 0) or says how many ms the client should wait before trying again. */
  admit(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#ratePerMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    this.#refused++;
    const spacing = 1 / (this.#ratePerMs * SLOT_SHARE);
    this.#lastSlotAt = Math.max(now, this.#lastSlotAt) + spacing;
    // A little jitter inside the slot, so that clients given neighbouring slots do not collide.
    const wait = this.#lastSlotAt - now + spacing * this.#random();
    return Math.max(1, Math.min(this.#maxRetryMs, Math.ceil(wait)));
  }

  /**
   * How long to tell `count` clients about to be disconnected at once (a drain) to wait, so that
   * they come back spread over the time the node needs to admit them: a random point in that span.
   */
  spreadMs(count: number): number {
    const span = Math.min(
      this.#maxRetryMs,
      Math.max(0, count - this.#burst) / (this.#ratePerMs * SLOT_SHARE),
    );
    return Math.round(span * this.#random());
  }
}
