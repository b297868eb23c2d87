/**
 * The per-connection rate limits and the flooding verdict (issue 15, finding 10).
 *
 * Two token buckets: frames (`PARLEY_RATE_PER_S`, burst `PARLEY_RATE_BURST`) and bytes
 * (`PARLEY_RATE_BYTES_PER_S`, burst `PARLEY_RATE_BYTES_BURST`); a frame passes only when both
 * have room, and then takes from both. A refused frame is dropped.
 *
 * Flooding is judged over a sliding window (`PARLEY_FLOOD_WINDOW_MS`), not on refusals in a row:
 * counting "in a row" let a sender paced just above the rate (every other frame served) go on
 * for ever. The connection is closed once, within the window, at least `PARLEY_FLOOD_STRIKES`
 * frames were refused and they are at least `PARLEY_FLOOD_RATIO` of its frames. A sender at
 * twice the rate has half its frames refused, so it is cut within about a window after its burst
 * ran out; a short burst over the bucket (a renegotiation, an ICE trickle) stays under the
 * minimum count and is only refused.
 *
 * Only the first `PARLEY_RATE_LIMITED_REPLIES` refusals in a window get a `RATE_LIMITED` reply;
 * the rest are dropped silently, so a flood does not turn into as many error frames.
 *
 * The window is kept as four slots of a quarter window each (a sliding window accurate to a
 * quarter), so a check costs a few array operations and nothing is allocated per frame. The
 * slots (seen, refused and replied counts side by side in one array) are made at the first frame
 * after login: an idle connection pays for none of them.
 */
import { TokenBucket } from './token-bucket.ts';

/** What to do with one received frame. */
export type FloodVerdict = 'pass' | 'reply' | 'silent' | 'close';

/** The limits of a `FloodGuard` (from the configuration). */
export interface FloodLimits {
  ratePerS: number;
  rateBurst: number;
  rateBytesPerS: number;
  rateBytesBurst: number;
  floodWindowMs: number;
  floodRatio: number;
  floodStrikes: number;
  rateLimitedReplies: number;
}

const SLOTS = 4;
/** Offsets of the three counters in the slot array. */
const SEEN = 0;
const REFUSED = SLOTS;
const REPLIED = 2 * SLOTS;

/** The default clock, one for every guard (a bound function per connection costs memory). */
const monotonicMs = performance.now.bind(performance);

/** Rate limits and flooding verdict for one connection. */
export class FloodGuard {
  readonly #frames: TokenBucket;
  readonly #bytes: TokenBucket;
  readonly #bytesBurst: number;
  readonly #slotMs: number;
  readonly #ratio: number;
  readonly #minRefused: number;
  readonly #maxReplies: number;
  readonly #now: () => number;
  /** Per slot: frames seen, refused and answered (`SEEN`, `REFUSED`, `REPLIED` + slot). */
  #counts: number[] | undefined;
  #slot: number;

  /** `now` returns milliseconds (injectable for tests). */
  constructor(limits: FloodLimits, now: () => number = monotonicMs) {
    this.#now = now;
    this.#frames = new TokenBucket(limits.ratePerS, limits.rateBurst, now);
    this.#bytes = new TokenBucket(limits.rateBytesPerS, limits.rateBytesBurst, now);
    this.#bytesBurst = limits.rateBytesBurst;
    this.#slotMs = Math.max(1, limits.floodWindowMs / SLOTS);
    this.#ratio = limits.floodRatio;
    this.#minRefused = limits.floodStrikes;
    this.#maxReplies = limits.rateLimitedReplies;
    this.#slot = Math.floor(now() / this.#slotMs);
  }

  /**
   * Judges one received frame of `bytes` bytes: `pass` (within the limits), `reply` (refused,
   * answer RATE_LIMITED), `silent` (refused, drop without a reply) or `close` (FLOODING).
   * `now` is the receive time in milliseconds on the constructor's clock.
   */
  check(bytes: number, now: number = this.#now()): FloodVerdict {
    this.#counts ??= new Array<number>(3 * SLOTS).fill(0);
    const counts = this.#counts;
    const i = this.#advance(now, counts);
    counts[SEEN + i]!++;
    // A frame larger than the byte burst (possible only past PARLEY_MAX_FRAME_BYTES, refused as
    // TOO_LARGE anyway) costs the whole burst, so it can still pass once the bucket is full.
    const cost = Math.min(bytes, this.#bytesBurst);
    // One clock reading per frame (`now`, which the connection reads anyway): this runs for
    // every frame on the relay's hot path.
    if (this.#frames.level(now) >= 1 && this.#bytes.level(now) >= cost) {
      this.#frames.spend(1);
      this.#bytes.spend(cost);
      return 'pass';
    }
    counts[REFUSED + i]!++;
    const refused = sum(counts, REFUSED);
    if (refused >= this.#minRefused && refused >= this.#ratio * sum(counts, SEEN)) return 'close';
    if (sum(counts, REPLIED) >= this.#maxReplies) return 'silent';
    counts[REPLIED + i]!++;
    return 'reply';
  }

  /** Moves the window to now, clearing the slots that fell out of it; returns the current slot. */
  #advance(now: number, counts: number[]): number {
    const slot = Math.floor(now / this.#slotMs);
    if (slot !== this.#slot) {
      const stale = Math.min(SLOTS, slot - this.#slot);
      for (let k = 1; k <= stale; k++) {
        const j = (this.#slot + k) % SLOTS;
        counts[SEEN + j] = 0;
        counts[REFUSED + j] = 0;
        counts[REPLIED + j] = 0;
      }
      this.#slot = slot;
    }
    return this.#slot % SLOTS;
  }
}

/** The sum of one counter over the window's slots. */
function sum(counts: readonly number[], at: number): number {
  let s = 0;
  for (let k = at; k < at + SLOTS; k++) s += counts[k]!;
  return s;
}
