/**
 * Calls that rang and ended unanswered, kept per callee name so a client that was away (tab
 * frozen, laptop asleep, network gone, session expired) learns of them at its next `welcome`
 * (`call.missed`). Bounded three ways: entries per name, their age, and names tracked (the
 * oldest name is forgotten first). This is the in-process store `MemoryDirectory` keeps (one
 * process, a restart forgets them); `RedisDirectory` keeps the same bounds in Redis.
 *
 * May import: directory.ts (types).
 */
import type { MissedCallEntry } from './directory.ts';

export type { MissedCallEntry };

/** Bounds of {@link MissedCalls}. */
export interface MissedCallLimits {
  perName: number;
  maxAgeMs: number;
  maxNames: number;
}

export const MISSED_CALL_LIMITS: MissedCallLimits = { perName: 10, maxAgeMs: 60 * 60_000, maxNames: 10_000 };

export class MissedCalls {
  readonly #limits: MissedCallLimits;
  readonly #byName = new Map<string, MissedCallEntry[]>();
  readonly #now: () => number;

  constructor(limits: MissedCallLimits = MISSED_CALL_LIMITS, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Records a missed call for `callee`, keeping its newest `perName`. */
  record(callee: string, entry: MissedCallEntry): void {
    const list = this.#byName.get(callee) ?? [];
    this.#byName.delete(callee); // re-inserted last: the map's order is the age of the name
    list.push(entry);
    if (list.length > this.#limits.perName) list.splice(0, list.length - this.#limits.perName);
    this.#byName.set(callee, list);
    while (this.#byName.size > this.#limits.maxNames) {
      const oldest = this.#byName.keys().next().value as string;
      this.#byName.delete(oldest);
    }
  }

  /** Removes and returns `name`'s missed calls younger than `maxAgeMs`, oldest first. */
  take(name: string): MissedCallEntry[] {
    const list = this.#byName.get(name);
    if (!list) return [];
    this.#byName.delete(name);
    const since = this.#now() - this.#limits.maxAgeMs;
    return list.filter((e) => e.at >= since);
  }

  /** Names tracked (for tests). */
  get size(): number {
    return this.#byName.size;
  }
}
