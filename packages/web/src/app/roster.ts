/**
 * Who is in the call or room: each person's name, when they joined (as we saw it: for those
 * already in when we came, our join time) and whether they are speaking now. Speaking comes from
 * the level of their sound (the tile's meter), with a hold so the mark does not flicker between
 * words; in rooms the SDK's active speaker counts as speaking too.
 *
 * DOM-free; the people panel (components/people-panel.ts) renders it.
 */

/** A level (0..1, the meters' scale) above this counts as speech. */
export const SPEAKING_LEVEL = 0.06;
/** Speech stays marked this long after the level drops (the gaps between words). */
export const SPEAKING_HOLD_MS = 900;

/** One person in the list. */
export interface RosterMember {
  name: string;
  /** Ourselves. */
  self: boolean;
  joinedAt: number;
  speaking: boolean;
}

/** The people of one call or room. */
export class Roster {
  readonly #members = new Map<string, RosterMember & { loudAt: number }>();
  #activeSpeaker: string | undefined;

  constructor(selfName: string, now = Date.now()) {
    this.#members.set(selfName, {
      name: selfName,
      self: true,
      joinedAt: now,
      speaking: false,
      loudAt: -Infinity,
    });
  }

  /** Everyone, ourselves first, then by join time. */
  get members(): RosterMember[] {
    return [...this.#members.values()]
      .map(({ loudAt: _, ...m }) => m)
      .sort(
        (a, b) => Number(b.self) - Number(a.self) || a.joinedAt - b.joinedAt || a.name.localeCompare(b.name),
      );
  }

  /** Adds a person (a second add keeps the first join time). Returns whether they are new. */
  add(name: string, now = Date.now()): boolean {
    if (this.#members.has(name)) return false;
    this.#members.set(name, { name, self: false, joinedAt: now, speaking: false, loudAt: -Infinity });
    return true;
  }

  /** Removes a person. Returns whether they were there. */
  remove(name: string): boolean {
    const m = this.#members.get(name);
    if (!m || m.self) return false;
    return this.#members.delete(name);
  }

  /** The room's active speaker (undefined: nobody). Returns whether anything changed. */
  setActiveSpeaker(name: string | undefined, now = Date.now()): boolean {
    this.#activeSpeaker = name;
    return this.#refresh(now);
  }

  /**
   * Feeds sound levels (name → 0..1) read now; returns whether someone's speaking state changed.
   * Names not given keep their last level time.
   */
  levels(levels: ReadonlyMap<string, number>, now = Date.now()): boolean {
    for (const [name, level] of levels) {
      const m = this.#members.get(name);
      if (m && level >= SPEAKING_LEVEL) m.loudAt = now;
    }
    return this.#refresh(now);
  }

  #refresh(now: number): boolean {
    let changed = false;
    for (const m of this.#members.values()) {
      const speaking = m.name === this.#activeSpeaker || now - m.loudAt <= SPEAKING_HOLD_MS;
      if (speaking !== m.speaking) {
        m.speaking = speaking;
        changed = true;
      }
    }
    return changed;
  }
}
