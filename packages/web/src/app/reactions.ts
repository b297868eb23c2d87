/**
 * Reactions: a small fixed set of emoji anyone in a call or room can send; everyone sees a short
 * burst on the stage. They travel peer to peer as an `app` message of kind {@link REACTION_KIND}
 * on the chat channel (the same path as chat, so they work in mesh and SFU rooms alike: the peers
 * of an SFU room keep their data channels), with the data `{ emoji }`.
 *
 * Rate-limited at both ends by a token bucket: the sender's button refuses beyond the limit, and
 * the receiver drops what a peer sends beyond it (a modified client cannot flood the screen).
 * Only emoji of the set are shown; anything else is dropped.
 *
 * DOM-free, unit-tested in Node.
 */

/** The `app` message kind of a reaction. */
export const REACTION_KIND = 'parley.reaction';

/** The emoji that can be sent, with their names for screen readers and buttons. */
export const REACTIONS = [
  { emoji: '👍', name: 'thumbs up' },
  { emoji: '👏', name: 'applause' },
  { emoji: '😂', name: 'laughing' },
  { emoji: '❤️', name: 'heart' },
  { emoji: '🎉', name: 'celebration' },
  { emoji: '😮', name: 'surprised' },
] as const;

export type ReactionEmoji = (typeof REACTIONS)[number]['emoji'];

/** Rate of reactions, per sender: a burst of `burst`, then one every `refillMs`. */
export const REACTION_RATE = { burst: 5, refillMs: 1000 } as const;

/** The name of a reaction's emoji, for screen readers. */
export function reactionName(emoji: ReactionEmoji): string {
  return REACTIONS.find((r) => r.emoji === emoji)?.name ?? 'reaction';
}

/** The emoji of a received reaction's `data`, or null when it is not one of the set. */
export function parseReaction(data: unknown): ReactionEmoji | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const keys = Object.keys(data);
  const emoji = (data as Record<string, unknown>).emoji;
  if (keys.length !== 1 || typeof emoji !== 'string') return null;
  return REACTIONS.find((r) => r.emoji === emoji)?.emoji ?? null;
}

/** A token bucket: `take()` says whether one more event is allowed now. */
export class TokenBucket {
  readonly #burst: number;
  readonly #refillMs: number;
  #tokens: number;
  #last: number;

  constructor(burst: number, refillMs: number, now = Date.now()) {
    this.#burst = burst;
    this.#refillMs = refillMs;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes a token if there is one. */
  take(now = Date.now()): boolean {
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed / this.#refillMs);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Rate limits per sender (the receiver's side), created on first use. */
export class ReactionLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  /** Whether a reaction from `from` may be shown now. */
  allow(from: string, now = Date.now()): boolean {
    let bucket = this.#buckets.get(from);
    if (!bucket) {
      bucket = new TokenBucket(REACTION_RATE.burst, REACTION_RATE.refillMs, now);
      this.#buckets.set(from, bucket);
    }
    return bucket.take(now);
  }

  /** Forgets a sender (they left). */
  forget(from: string): void {
    this.#buckets.delete(from);
  }
}
