/**
 * When to try the signaling connection again after it drops.
 *
 * The policy is a single function of the attempt number, the time spent reconnecting so far and
 * the reason of the last failure; it returns a delay in milliseconds, or `null` to give up (the
 * same contract as livekit's `ReconnectPolicy.nextRetryDelayInMs`). Jitter spreads clients out
 * so a restarted server is not hit by every client in the same millisecond.
 */

/** What a policy is told about the reconnection in progress. */
export interface ReconnectContext {
  /** 0 for the first retry after the connection dropped, then 1, 2, … */
  attempt: number;
  /** Milliseconds since the connection dropped. */
  elapsedMs: number;
  /** Why the last connection or attempt ended: an error code, `closed`, `timeout`, `draining`, … */
  reason: string;
}

/** Decides the delay before the next reconnection attempt; `null` gives up. */
export interface ReconnectPolicy {
  nextDelayMs(context: ReconnectContext): number | null;
}

/** Tuning of {@link ExponentialBackoffPolicy}. */
export interface BackoffOptions {
  /** Delay of the first retry, before jitter. Default 250 ms. */
  initialDelayMs?: number;
  /** Upper bound of any delay, before jitter. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Growth factor per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay randomised, 0–1: delay × (1 ± jitter). Default 0.3. */
  jitter?: number;
  /** Give up once reconnecting has lasted this long. Default 5 minutes; `Infinity` never gives up. */
  maxElapsedMs?: number;
  /** Reasons that are never retried. Default: {@link NON_RETRYABLE_REASONS}. */
  giveUpOn?: readonly string[];
  /** Random source in [0, 1), injectable for tests. */
  random?: () => number;
}

/**
 * Reasons where retrying cannot help: the server does not speak our version, the credentials
 * are refused, or another connection took over this session (a second tab resumed it).
 */
export const NON_RETRYABLE_REASONS: readonly string[] = [
  'UNSUPPORTED_VERSION',
  'UNAUTHORIZED',
  'SESSION_REPLACED',
];

/**
 * Exponential backoff with jitter: about 250 ms, 500 ms, 1 s, 2 s … capped at 10 s, for up to
 * five minutes, never for {@link NON_RETRYABLE_REASONS}.
 *
 * @example
 * ```ts
 * const client = await connect(url, {
 *   name: 'alice',
 *   reconnectPolicy: new ExponentialBackoffPolicy({ maxElapsedMs: 60_000 }),
 * });
 * ```
 */
export class ExponentialBackoffPolicy implements ReconnectPolicy {
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #maxElapsedMs: number;
  readonly #giveUpOn: ReadonlySet<string>;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.#initialDelayMs = options.initialDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 10_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = Math.min(1, Math.max(0, options.jitter ?? 0.3));
    this.#maxElapsedMs = options.maxElapsedMs ?? 5 * 60_000;
    this.#giveUpOn = new Set(options.giveUpOn ?? NON_RETRYABLE_REASONS);
    this.#random = options.random ?? Math.random;
  }

  nextDelayMs({ attempt, elapsedMs, reason }: ReconnectContext): number | null {
    if (this.#giveUpOn.has(reason)) return null;
    if (elapsedMs >= this.#maxElapsedMs) return null;
    const base = Math.min(this.#maxDelayMs, this.#initialDelayMs * this.#factor ** Math.max(0, attempt));
    const spread = base * this.#jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.round(base + spread));
  }
}

/** A policy that never reconnects (the connection fails as soon as it drops). */
export const NEVER_RECONNECT: ReconnectPolicy = { nextDelayMs: () => null };
