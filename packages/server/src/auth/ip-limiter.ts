/**
 * A token bucket per client address, for the attempts an unauthenticated client can repeat
 * cheaply: WebSocket upgrades, `hello` (token verification), room passwords. Each key holds at
 * most `burst` tokens and regains `ratePerS` per second; an attempt takes one.
 *
 * Memory stays bounded: a key whose bucket has refilled completely carries no information and
 * is dropped by the next sweep, and at most `maxKeys` keys are kept (the least recently used
 * goes first). IPv6 clients usually hold a whole /64, so `ipKey` folds an IPv6 address to its
 * /64 prefix; otherwise one client could take a fresh bucket per address.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpLimiterOptions {
  /** Tokens regained per second per key. */
  readonly ratePerS: number;
  /** Bucket size: how many attempts may come at once. */
  readonly burst: number;
  /** Most keys kept; the least recently used is dropped first. Default 100 000. */
  readonly maxKeys?: number;
  /** Clock in milliseconds (tests inject one). Default `performance.now`. */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, ms. */
  at: number;
}

/** Keyed token buckets with idle expiry. */
export class IpLimiter {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** Map order is recency order: a touched key is re-inserted at the end. */
  readonly #buckets = new Map<string, Bucket>();
  /** How long an untouched bucket takes to refill completely (after which it can go), ms. */
  readonly #idleMs: number;
  #lastSweep: number;

  constructor(options: IpLimiterOptions) {
    if (!(options.ratePerS > 0) || !(options.burst >= 1)) {
      throw new RangeError('IpLimiter needs ratePerS > 0 and burst >= 1');
    }
    this.#ratePerMs = options.ratePerS / 1000;
    this.#burst = options.burst;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? (() => performance.now());
    this.#idleMs = this.#burst / this.#ratePerMs;
    this.#lastSweep = this.#now();
  }

  /**
   * Takes `cost` tokens from `key`'s bucket. Returns true when allowed; false when the key is
   * over its rate (nothing is taken then, so a refused client does not dig itself deeper).
   */
  take(key: string, cost = 1): boolean {
    const now = this.#now();
    if (now - this.#lastSweep >= this.#idleMs) this.sweep();
    const bucket = this.#refilled(key, now);
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  /** Milliseconds until `key` may make one more attempt (0 when it may now); for Retry-After. */
  retryAfterMs(key: string): number {
    const bucket = this.#refilled(key, this.#now());
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.#ratePerMs);
  }

  /** Drops every key whose bucket is full again. Runs by itself from `take`; public for tests. */
  sweep(): void {
    const now = this.#now();
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#ratePerMs >= this.#burst) this.#buckets.delete(key);
    }
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(key: string, now: number): Bucket {
    const bucket = this.#buckets.get(key);
    if (!bucket) return { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#ratePerMs);
    bucket.at = now;
    return bucket;
  }
}

/**
 * The limiter key for a client address: IPv4 as is (also when written IPv4-mapped,
 * `::ffff:192.0.2.1`, as dual-stack sockets report it), IPv6 folded to its /64 prefix.
 */
export function ipKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0]!; // drop a zone id (fe80::1%eth0)
  if (!isIPv6(bare)) return address;
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
