/**
 * Parts of the app loaded on demand (the call screen, the self-test): a loader that fetches a
 * part once, says when the fetch takes a moment, and words a failure. The home and sign-in
 * screens ship without these parts, so a first visit downloads less (docs/BENCHMARKS.md).
 *
 * DOM-free (timers only), so unit tests drive it in Node.
 */

/** How long a part may take before the person is told it is loading: quicker loads show nothing. */
export const SLOW_LOAD_MS = 300;

/**
 * A loader for one part: the first call fetches it, later calls share that fetch. A failed fetch
 * is forgotten, so the next call tries again (the server may be back, the network too).
 */
export function lazyPart<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = null;
      throw err;
    });
    return pending;
  };
}

/**
 * Waits for `loading`, calling `onSlow` once if it has not settled within `delayMs`; the
 * result (or the error) is `loading`'s.
 */
export async function withSlowNotice<T>(
  loading: Promise<T>,
  onSlow: () => void,
  delayMs = SLOW_LOAD_MS,
): Promise<T> {
  const timer = setTimeout(onSlow, delayMs);
  try {
    return await loading;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What to tell the person when `part` (e.g. "the call screen") could not be loaded. The usual
 * cause is a new version deployed since the page was opened (the old chunk names are gone), or
 * the network: a reload fetches the current app either way.
 */
export function describePartFailure(part: string): string {
  return `Could not load ${part}. Parley may have been updated since this page was opened, or the connection dropped. Reload the page to continue.`;
}
