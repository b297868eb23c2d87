/**
 * The offer-loop guard of a {@link PeerSession}, and the backoff it shares with lost-signaling
 * retries.
 *
 * More than `maxOffersPerWindow` offers of ours within `offerWindowMs` means the two sides are
 * re-offering in a loop (seen with Chromium rejecting a data section it should have accepted):
 * further offers wait, with an exponential backoff, and the reason is logged at warn. One offer
 * asked for during the wait is owed and made when it ends.
 *
 * Pure bookkeeping and one timer; imports the logger type only.
 */
import type { Logger } from '../log.ts';

/** First backoff of the offer-loop guard and of lost-signaling retries; doubles up to the cap. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;

/**
 * `base * 2^level`, capped, with ±20 % jitter so two sides do not retry in lockstep.
 * `random` is a source in [0, 1) (tests pass a fixed one).
 */
export function backoffMs(level: number, random: () => number = Math.random): number {
  const raw = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(level, 10));
  return Math.round(raw * (0.8 + random() * 0.4));
}

/** Options of an {@link OfferGuard}. */
export interface OfferGuardOptions {
  /** At most this many offers of ours within `offerWindowMs`. */
  maxOffersPerWindow: number;
  /** The window of the count, in ms. */
  offerWindowMs: number;
  /** The backoff ended with an offer owed: ask for it again. */
  onRetry: () => void;
  logger: Logger;
  /** The remote peer's name, for logs. */
  remoteName: string;
  /** Clock in ms; default `Date.now`. */
  now?: () => number;
  /** Random source in [0, 1) for the jitter; default `Math.random`. */
  random?: () => number;
}

/** Holds offers back with a growing backoff when too many go out (see the module comment). */
export class OfferGuard {
  readonly #o: OfferGuardOptions;
  readonly #now: () => number;
  /** Times our recent offers went out. */
  #offerTimes: number[] = [];
  /** Offers wait until this timer fires (guard tripped). */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #level = 0;
  #lastTripAt = 0;
  /** An offer was asked for during the backoff: make it when the backoff ends. */
  #owed = false;
  #closed = false;

  constructor(options: OfferGuardOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether offers are held back now. */
  get backingOff(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Asks to make an offer. True: go ahead. False: the guard holds offers back; one offer is owed
   * and `onRetry` runs when the backoff ends.
   */
  request(): boolean {
    if (this.#closed) return false;
    if (this.#timer !== undefined) {
      this.#owed = true;
      return false;
    }
    const now = this.#now();
    const windowMs = this.#o.offerWindowMs;
    this.#offerTimes = this.#offerTimes.filter((t) => now - t < windowMs);
    if (this.#offerTimes.length < this.#o.maxOffersPerWindow) return true;
    // A quiet spell since the last trip starts the backoff over.
    if (now - this.#lastTripAt > 4 * windowMs) this.#level = 0;
    this.#lastTripAt = now;
    const delay = backoffMs(this.#level++, this.#o.random);
    this.#owed = true;
    this.#o.logger.warn('negotiation loop: backing off', {
      remote: this.#o.remoteName,
      reason: `${this.#offerTimes.length} offers in ${windowMs} ms`,
      delayMs: delay,
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#offerTimes = [];
      if (!this.#owed || this.#closed) return;
      this.#owed = false;
      this.#o.onRetry();
    }, delay);
    return false;
  }

  /** An offer of ours went out now (counted in the window). */
  offered(): void {
    this.#offerTimes.push(this.#now());
  }

  /** Clears the timer; no retry follows. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
