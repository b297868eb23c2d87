/**
 * The browser's "you may have been away" signals, gathered in one place: the page became
 * visible again (`visibilitychange`), was restored from the back/forward cache (`pageshow` with
 * `persisted`), was resumed after a freeze (Page Lifecycle `resume`), or the network came back
 * (`online`). Timers of hidden or frozen pages run late or not at all; these events do not, so
 * the signaling client uses them to check its link and reconnect at once instead of waiting for
 * a throttled backoff timer.
 *
 * Outside a browser (Node, the CLI) there are no such events and the watcher does nothing.
 * Imports nothing.
 */

/** Why the page may have been away. */
export type WakeReason = 'visible' | 'pageshow' | 'resume' | 'online';

/** Subscribes to wake signals; returns the function that unsubscribes. */
export type WakeSource = (onWake: (reason: WakeReason) => void) => () => void;

interface EventTargetLike {
  addEventListener(type: string, fn: (ev: unknown) => void): void;
  removeEventListener(type: string, fn: (ev: unknown) => void): void;
}

interface DocumentLike extends EventTargetLike {
  readonly visibilityState?: string;
}

function isTarget(x: unknown): x is EventTargetLike {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as EventTargetLike).addEventListener === 'function' &&
    typeof (x as EventTargetLike).removeEventListener === 'function'
  );
}

/**
 * Watches `win` (default `globalThis` when it is a window) and `doc` (default `document`).
 * Returns a no-op unsubscribe when neither is there.
 */
export function browserWakeSource(
  win: unknown = (globalThis as { window?: unknown }).window,
  doc: unknown = (globalThis as { document?: unknown }).document,
): WakeSource {
  return (onWake) => {
    const offs: Array<() => void> = [];
    const listen = (target: EventTargetLike, type: string, fn: (ev: unknown) => void) => {
      target.addEventListener(type, fn);
      offs.push(() => target.removeEventListener(type, fn));
    };
    if (isTarget(doc)) {
      const d = doc as DocumentLike;
      listen(d, 'visibilitychange', () => {
        if (d.visibilityState === 'visible') onWake('visible');
      });
      listen(d, 'resume', () => onWake('resume'));
    }
    if (isTarget(win)) {
      listen(win, 'pageshow', (ev) => {
        if ((ev as { persisted?: boolean }).persisted) onWake('pageshow');
      });
      listen(win, 'online', () => onWake('online'));
    }
    return () => {
      for (const off of offs.splice(0)) off();
    };
  };
}
