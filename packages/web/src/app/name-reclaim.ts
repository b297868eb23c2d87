/**
 * Taking your name back in a new tab (issue 20, point 9): a tab that was closed keeps its session,
 * and so its name, for the server's reload grace (about 4 s, or the full resume grace after a
 * crash). When signing in is refused with `NAME_TAKEN` for the very name this browser last signed
 * in with, the app waits for that old session to end and tries again quietly, a bounded number of
 * times, instead of telling the person at once that their own name is taken.
 *
 * Gives a stranger nothing new: the server still decides every attempt (each retry is one more
 * `hello`, under the per-address hello limits), and a name this browser never used is refused at
 * once as before. Imports nothing but the SDK's error class; never the DOM, so unit tests drive it.
 */
import { ParleyError } from '@parley/client';

/** How long to keep trying: the default reload grace (4 s) and a margin for a slow close. */
export const RECLAIM_WINDOW_MS = 8_000;
/** The pause between two attempts. */
export const RECLAIM_EVERY_MS = 1_000;

/** What the person reads while the app waits for the old tab's session to end. */
export const RECLAIM_STATUS = 'Taking your name back — its old tab is closing…';

/** Options of {@link signInReclaiming}. */
export interface ReclaimOptions {
  /** The name being signed in with. */
  name: string;
  /** The name this browser last signed in with (the remembered preference), if any. */
  lastUsed: string | null;
  /** Called once, when the app starts waiting for the name (to show {@link RECLAIM_STATUS}). */
  onWaiting?(): void;
  windowMs?: number;
  everyMs?: number;
  /** Clock and timer, replaceable in tests. */
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

/** Why signing in failed for good, and whether the app had waited for the name first. */
export class ReclaimFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly waited: boolean,
  ) {
    super('sign-in failed');
  }
}

function isNameTaken(err: unknown): boolean {
  return err instanceof ParleyError && err.code === 'NAME_TAKEN';
}

/**
 * Runs `attempt` (one sign-in); when it is refused with `NAME_TAKEN` for `lastUsed`, retries every
 * `everyMs` until it succeeds, fails another way, or `windowMs` has passed since the first refusal.
 * Resolves to the attempt's result; rejects with a {@link ReclaimFailure} carrying the last error.
 */
export async function signInReclaiming<T>(attempt: () => Promise<T>, options: ReclaimOptions): Promise<T> {
  const {
    name,
    lastUsed,
    windowMs = RECLAIM_WINDOW_MS,
    everyMs = RECLAIM_EVERY_MS,
    now = Date.now,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  } = options;
  let waited = false;
  let deadline = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isNameTaken(err) || name !== lastUsed) throw new ReclaimFailure(err, waited);
      if (!waited) {
        waited = true;
        deadline = now() + windowMs;
        options.onWaiting?.();
      }
      const left = deadline - now();
      if (left <= 0) throw new ReclaimFailure(err, waited);
      await sleep(Math.min(everyMs, left));
    }
  }
}
