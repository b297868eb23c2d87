/**
 * Getting a person's attention while the tab is in the background (issue 19), without the DOM:
 * - {@link RingTitle}: while a call rings in a hidden tab, the tab title alternates between
 *   "📞 Call from bob" and the normal title, until the call is answered or ends, or the tab is
 *   shown (then a steady "bob is calling").
 * - {@link WakeLockHolder}: holds a Screen Wake Lock while a call, room or transfer is on, and
 *   takes it again when the tab comes back (the browser drops it when the tab is hidden).
 * - {@link MissedCalls}: the missed calls shown on the home screen until dismissed (bounded).
 * - {@link notificationOffer}: whether to offer "Ring me in the background" (only while the
 *   permission was never asked).
 * Every browser API comes in through a small interface, so all of it runs in unit tests.
 *
 * The app layer: imports nothing from the DOM, components or controllers.
 */

import { NewestFirstList } from './newest-first.ts';

/** The title flashes this fast (ms per half-cycle). */
export const TITLE_FLASH_MS = 1_000;

/** What the ring title needs from the page. */
export interface TitleTarget {
  get title(): string;
  set title(value: string);
  readonly hidden: boolean;
}

/** Timers, injectable for tests. */
export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * The tab title while a call rings: "📞 bob is calling · Parley" while the tab is visible; while
 * it is hidden, "📞 Call from bob" alternating with the normal title, so the tab strip blinks.
 * {@link update} follows visibility changes; {@link end} puts the normal title back.
 */
export class RingTitle {
  readonly #target: TitleTarget;
  readonly #timers: Timers;
  readonly #normal: string;
  readonly #steady: string;
  readonly #alert: string;
  #timer: unknown = null;
  #ended = false;

  constructor(target: TitleTarget, timers: Timers, caller: string) {
    this.#target = target;
    this.#timers = timers;
    this.#normal = target.title;
    this.#steady = `📞 ${caller} is calling · Parley`;
    this.#alert = ringTitle(caller);
    this.update();
  }

  /** Whether the title is flashing now. */
  get flashing(): boolean {
    return this.#timer !== null;
  }

  /** The tab was shown or hidden: flash while hidden, a steady title while visible. */
  update(): void {
    if (this.#ended) return;
    if (this.#target.hidden) {
      if (this.#timer !== null) return;
      this.#target.title = this.#alert;
      this.#timer = this.#timers.setInterval(() => this.#tick(), TITLE_FLASH_MS);
    } else {
      this.#stopTimer();
      this.#target.title = this.#steady;
    }
  }

  /** The ring is over (answered, declined, ended): the normal title comes back. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopTimer();
    this.#target.title = this.#normal;
  }

  #stopTimer(): void {
    if (this.#timer === null) return;
    this.#timers.clearInterval(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    if (!this.#target.hidden) {
      this.update();
      return;
    }
    this.#target.title = this.#target.title === this.#alert ? this.#normal : this.#alert;
  }
}

/** A held wake lock (the browser's WakeLockSentinel, reduced to what is used). */
export interface WakeLockHandle {
  release(): Promise<void>;
  readonly released: boolean;
}

/** The page as the wake-lock holder sees it. */
export interface WakeLockEnv {
  /** `navigator.wakeLock.request('screen')`, or null where the API is absent. */
  request: (() => Promise<WakeLockHandle>) | null;
  readonly hidden: boolean;
}

/**
 * Holds the screen awake while anything asks for it (`hold(reason)`, counted per reason: a call
 * and a transfer may overlap); releases it when nothing does. Failures (denied, battery saver,
 * API absent) are quiet: the lock is a nicety, never a reason to fail a call.
 */
export class WakeLockHolder {
  readonly #env: WakeLockEnv;
  readonly #reasons = new Set<string>();
  #lock: WakeLockHandle | null = null;
  #asking: Promise<void> | null = null;

  constructor(env: WakeLockEnv) {
    this.#env = env;
  }

  /** Whether a wake lock is held now. */
  get held(): boolean {
    return this.#lock !== null && !this.#lock.released;
  }

  /** Whether anything wants the screen awake. */
  get wanted(): boolean {
    return this.#reasons.size > 0;
  }

  /** Asks to keep the screen awake for `reason` (e.g. "call", "transfer"). */
  hold(reason: string): Promise<void> {
    this.#reasons.add(reason);
    return this.#acquire();
  }

  /** `reason` no longer needs the screen awake; the lock goes when no reason is left. */
  async letGo(reason: string): Promise<void> {
    this.#reasons.delete(reason);
    if (this.wanted) return;
    await this.#asking;
    const lock = this.#lock;
    this.#lock = null;
    if (lock && !lock.released) await lock.release().catch(() => undefined);
  }

  /** The tab became visible again: the browser dropped the lock when it was hidden; take it back. */
  visible(): Promise<void> {
    return this.#acquire();
  }

  #acquire(): Promise<void> {
    const request = this.#env.request;
    if (!request || !this.wanted || this.held || this.#env.hidden) return this.#asking ?? Promise.resolve();
    this.#asking ??= (async () => {
      try {
        const lock = await request();
        if (this.wanted) this.#lock = lock;
        else await lock.release().catch(() => undefined);
      } catch {
        // Denied or unavailable now (hidden, battery saver): nothing to do until the next chance.
      } finally {
        this.#asking = null;
      }
    })();
    return this.#asking;
  }
}

/** A call that rang and was not answered, as the home screen lists it. */
export interface MissedCallEntry {
  call: string;
  from: string;
  /** Epoch ms. */
  at: number;
}

/** The most missed calls kept; older ones go first. */
export const MAX_MISSED_CALLS = 20;

/** The missed-call list: newest first, one entry per call id, dismissable. */
export class MissedCalls extends NewestFirstList<MissedCallEntry> {
  constructor() {
    super(
      MAX_MISSED_CALLS,
      (e) => e.call,
      (a, b) => b.at - a.at,
    );
  }

  get entries(): readonly MissedCallEntry[] {
    return this.items;
  }
}

/** Notification permission as the browser reports it, or 'unsupported' without the API. */
export type NotifyPermission = 'default' | 'granted' | 'denied' | 'unsupported';

/** Whether to offer the "Ring me in the background" button: only while never asked. */
export function notificationOffer(permission: NotifyPermission): boolean {
  return permission === 'default';
}

/** Whether an incoming call should raise a system notification now. */
export function shouldNotify(permission: NotifyPermission, hidden: boolean): boolean {
  return permission === 'granted' && hidden;
}

/** The title alternated with the normal one while `caller`'s call rings. */
export function ringTitle(caller: string): string {
  return `📞 Call from ${caller}`;
}
