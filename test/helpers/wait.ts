/**
 * Waiting in tests: the one polling loop every test and helper uses. Every wait has a deadline
 * and, when it runs out, says what it waited for and the last value (or error) it saw.
 * Imports nothing from the packages, so unit, integration and e2e tests can all use it.
 */

export interface UntilOptions<T> {
  /** What the wait is for, in words: the failure message names it. */
  what: string;
  /** Give up (throw) after this long; 5 s unless said. */
  timeoutMs?: number;
  /** Pause between two checks; 20 ms unless said. */
  intervalMs?: number;
  /** Whether a value ends the wait; by default any truthy value does. */
  accept?: (value: T) => boolean;
  /** More context for the failure message, read only when the wait fails (e.g. a peer's log). */
  explain?: () => unknown;
}

/** What a truthy value can be: `until` never returns the falsy values it skips. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

/**
 * Calls `cond` until it gives a value `accept` takes (any truthy value by default), pausing
 * `intervalMs` between calls, and returns that value. A `cond` that throws is called again (a
 * page still loading, a peer not yet up); if the deadline passes first, throws an Error naming
 * `what` and the last value or error.
 */
export async function until<T>(
  cond: () => T | Promise<T>,
  options: UntilOptions<T> & { accept: (value: T) => boolean },
): Promise<T>;
export async function until<T>(cond: () => T | Promise<T>, options: UntilOptions<T>): Promise<Truthy<T>>;
export async function until<T>(
  cond: () => T | Promise<T>,
  { what, timeoutMs = 5000, intervalMs = 20, accept = Boolean, explain }: UntilOptions<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await cond();
      if (accept(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const seen = last && 'error' in last ? `last error: ${String(last.error)}` : `last: ${show(last?.value)}`;
  const more = explain ? `; ${show(await explain())}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${seen})${more}`, {
    cause: last && 'error' in last ? last.error : undefined,
  });
}

/** A value in a failure message: strings as they are, anything else as JSON where it can be. */
function show(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
