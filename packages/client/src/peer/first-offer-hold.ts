/**
 * The first-offer hold of a {@link PeerSession}: one side makes no offer of its own at first.
 *
 * Both sides usually add their tracks (and the chat channel) the moment the session is created,
 * so the very first offers would almost always collide. Glare is handled, but rolling back an
 * *initial* offer is the least exercised path in browsers (in our Chromium e2e runs it sometimes
 * left ICE in `new` with no local candidates), so the holding side keeps its local changes back
 * — and skips `negotiationneeded` — until the other side's first offer arrives. It then runs them
 * inside that offer's handling, so its tracks attach to the offered transceivers and the answer
 * carries them: one round trip, no glare. If nothing came within `waitMs`, `onTimeout` lets the
 * session run them itself and offer. The same hold covers the first media added to a data-only
 * connection (see `holdsFirstMediaOffer` in ./negotiation.ts).
 *
 * Owns only its held work and its timer; the session decides when to hold and runs the release
 * through its command queue. Imports nothing but the SDK's errors.
 */
import { InvalidStateError } from '../errors.ts';

interface Held {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Options of a {@link FirstOfferHold}. */
export interface FirstOfferHoldOptions {
  /** How long a hold waits for the remote's offer; 0 or less never holds. */
  waitMs: number;
  /** No remote offer came within `waitMs`: the session should release (from its queue). */
  onTimeout: () => void;
}

/** Local changes held back until the remote's first offer (see the module comment). */
export class FirstOfferHold {
  readonly #waitMs: number;
  readonly #onTimeout: () => void;
  #holding = false;
  #held: Held[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** negotiationneeded fired while holding: the first offer is still owed if none arrives. */
  #negotiationSkipped = false;

  constructor(options: FirstOfferHoldOptions) {
    this.#waitMs = options.waitMs;
    this.#onTimeout = options.onTimeout;
  }

  /** Whether local changes are held back now. */
  get holding(): boolean {
    return this.#holding;
  }

  /** Whether `negotiationneeded` was skipped during the hold (an offer is owed). */
  get negotiationSkipped(): boolean {
    return this.#negotiationSkipped;
  }

  /** Starts holding (again) for `waitMs`; a no-op when `waitMs` is 0 or less. */
  hold(): void {
    if (this.#waitMs <= 0) return;
    this.#holding = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onTimeout(), this.#waitMs);
  }

  /** Keeps `run` until {@link release}; the promise settles with its outcome then. */
  defer<T>(run: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#held.push({ run, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Notes a `negotiationneeded` skipped while holding. */
  skipNegotiation(): void {
    this.#negotiationSkipped = true;
  }

  /**
   * Stops holding and runs the held changes now, in order (call it from inside a queued
   * command). Resolves with whether `negotiationneeded` was skipped while holding, i.e. whether
   * an offer is owed: read here because the flag is cleared, and the event is not fired again
   * for a change made before (a data channel created on the connection directly).
   */
  async release(): Promise<boolean> {
    const owed = this.#negotiationSkipped;
    this.#holding = false;
    this.#negotiationSkipped = false;
    clearTimeout(this.#timer);
    const held = this.#held;
    this.#held = [];
    for (const h of held) {
      try {
        h.resolve(await h.run());
      } catch (error) {
        h.reject(error);
      }
    }
    return owed;
  }

  /** Clears the timer and rejects every held change with InvalidStateError. */
  close(): void {
    clearTimeout(this.#timer);
    const held = this.#held;
    this.#held = [];
    for (const h of held) h.reject(new InvalidStateError('the peer session was closed'));
  }
}
