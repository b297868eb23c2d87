/** Waiting with a deadline and Ctrl-C: the building block of every command's flow. */
import { CliError } from '../exit-codes.ts';

/**
 * Resolves with `promise`, or rejects with `onTimeout()` after `timeoutMs`, or with the abort
 * reason when `signal` fires (Ctrl-C). The timer never keeps the process alive.
 */
export function within<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      cleanup();
      reject(onTimeout());
    }, timeoutMs);
    timer.unref();
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });
}

/** A promise that rejects when `signal` aborts (and never resolves). */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The `peer` error for a peer that did not show up in time. */
export function peerTimeout(what: string, timeoutMs: number): CliError {
  return new CliError('peer', 'TIMEOUT', `${what} within ${Math.round(timeoutMs / 1000)} s`);
}
