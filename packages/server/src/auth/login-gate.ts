/**
 * How fast this node admits logins, all addresses together: after a restart, a drain or a node's
 * death every client comes back at once, and a node that took them all at once would starve the
 * relays of the clients already back. Logins past the rate are refused with `BUSY` and a
 * `retryMs` that gives each refused client its own later slot, so the crowd returns spread out at
 * the rate the node carries instead of in waves.
 *
 * The rate is a ceiling, not a promise: a resume under relay load costs the node several times
 * what a fresh login costs on a quiet one, so the gate also watches the node's event-loop delay
 * (`observeLag`, fed by the node every {@link LAG_SAMPLE_MS}). While the delay is past
 * `lagTargetMs` the admitted share of the rate halves at each sample (down to `minShare`); while
 * it is within, the share grows back by a tenth per sample. So a node that cannot carry the
 * configured rate admits what it can, keeps the relays of the clients already back fast, and
 * hands the others later slots, instead of taking in logins it serves only after their clients
 * gave up waiting (which they then redo, at full cost, from the back of the queue).
 *
 * The per-address `hello` limit (ip-limiter.ts) slows one client scanning names; this gate
 * protects the node from everyone together. Pure: no imports.
 */

/** How often the node measures its event-loop delay for {@link LoginGate.observeLag}, ms. */
export const LAG_SAMPLE_MS = 250;

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
  /**
   * Event-loop delay (ms, the node's p99 over a sample) past which the admitted share of the rate
   * shrinks (`PARLEY_LOGIN_LAG_MS`); 0 turns the adaptation off. Default 0.
   */
  readonly lagTargetMs?: number;
  /** The smallest share of the rate admitted however late the loop runs. Default 0.1. */
  readonly minShare?: number;
}

/** A storm counts as over this long after the last slot handed out fell due (ms). */
const STORM_QUIET_MS = 2000;

/** Slots are handed out a little slower than the rate: new arrivals take tokens too. */
const SLOT_SHARE = 0.8;

export class LoginGate {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxRetryMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #lagTargetMs: number;
  readonly #minShare: number;
  /** The share of the rate admitted now, in [minShare, 1] (see `observeLag`). */
  #share = 1;
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
    this.#lagTargetMs = o.lagTargetMs ?? 0;
    this.#minShare = Math.min(1, Math.max(0.01, o.minShare ?? 0.1));
    this.#tokens = o.burst;
    this.#at = this.#now();
  }

  /** Logins refused so far (for metrics). */
  get refused(): number {
    return this.#refused;
  }

  /** The share of the configured rate admitted now (1 unless the node runs late). */
  get share(): number {
    return this.#share;
  }

  /**
   * The node's event-loop delay over the last sample (ms): past the target the admitted share
   * halves, within it the share grows back by a tenth of the rate.
   */
  observeLag(lagMs: number): void {
    if (this.#lagTargetMs <= 0) return;
    const now = this.#refill();
    // Only a storm is slowed down (the gate is handing out slots): a node that runs late for
    // other reasons, with logins trickling in within the burst, admits them as before.
    const storm = this.#lastSlotAt > now - STORM_QUIET_MS;
    if (lagMs > this.#lagTargetMs && storm) this.#share = Math.max(this.#minShare, this.#share / 2);
    else this.#share = Math.min(1, this.#share + 0.1);
    // A node running late takes no burst either: at most what its share admits in a second.
    this.#tokens = Math.min(this.#tokens, this.#cap());
  }

  /** Admits one login (returns 0) or says how many ms the client should wait before trying again. */
  admit(): number {
    const now = this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    this.#refused++;
    const spacing = 1 / (this.#ratePerMs * this.#share * SLOT_SHARE);
    this.#lastSlotAt = Math.max(now, this.#lastSlotAt) + spacing;
    // A little jitter inside the slot, so that clients given neighbouring slots do not collide.
    const wait = this.#lastSlotAt - now + spacing * this.#random();
    return Math.max(1, Math.min(this.#maxRetryMs, Math.ceil(wait)));
  }

  /** Adds the tokens earned since the last call at the current share; returns the time. */
  #refill(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#cap(), this.#tokens + (now - this.#at) * this.#ratePerMs * this.#share);
    this.#at = now;
    return now;
  }

  #cap(): number {
    return this.#share < 1 ? Math.max(1, this.#burst * this.#share) : this.#burst;
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
