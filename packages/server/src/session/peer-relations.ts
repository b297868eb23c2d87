/**
 * Who a session may `signal`: the other party of its call (ringing or active) and the members of
 * the rooms it shares with them. The relay asks for every signal, so the answer is cached per
 * session: a name found related is remembered, and the hot path is one `Set#has` with no
 * allocation. A relation ends only through frames the session itself is sent (`call.ended`,
 * `peer.left`, `room.left`), so `Session.send` hands those to `observe`, which forgets every
 * cached name (coarse but safe: the next signal to each peer looks again). A lookup that was
 * under way when something was forgotten is not remembered (the epoch changed), so a stale
 * answer cannot outlive the frame that ended the relation.
 *
 * Unrelated names are never cached: each signal to them costs one lookup, which the session's
 * own rate limit bounds.
 *
 * Both collections are made on first use: most sessions never signal anyone, and an empty `Set`
 * or `Map` still costs its hash table (~150 bytes each) on every idle connection.
 *
 * Session state (the relay reads it, `Session.send` invalidates it). May import: nothing.
 */

/** The relation cache of one session. */
export class PeerRelations {
  #related: Set<string> | undefined;
  #pending: Map<string, Promise<boolean>> | undefined;
  #epoch = 0;

  /** Whether `name` is known to be related (no lookup pending for it). */
  has(name: string): boolean {
    return this.#related?.has(name) === true;
  }

  /** The lookup under way for `name`, if any: later signals wait for it, so order is kept. */
  pending(name: string): Promise<boolean> | undefined {
    return this.#pending?.get(name);
  }

  /** Remembers `name` as related now (the caller checked it synchronously). */
  add(name: string): void {
    this.#related ??= new Set();
    this.#related.add(name);
  }

  /**
   * Tracks a lookup for `name`: while it runs, `pending(name)` returns it; a positive answer is
   * remembered unless something was forgotten in the meantime.
   */
  track(name: string, lookup: Promise<boolean>): Promise<boolean> {
    const epoch = this.#epoch;
    this.#pending ??= new Map();
    const pending = this.#pending;
    const tracked = lookup.then(
      (related) => {
        if (pending.get(name) === tracked) pending.delete(name);
        if (related && epoch === this.#epoch) this.add(name);
        return related;
      },
      (err: unknown) => {
        if (pending.get(name) === tracked) pending.delete(name);
        throw err;
      },
    );
    pending.set(name, tracked);
    return tracked;
  }

  /** Forgets every cached relation (a call ended, someone left a shared room, we left a room). */
  forgetAll(): void {
    this.#epoch++;
    this.#related?.clear();
  }

  /** How many names are cached (tests, metrics). */
  get size(): number {
    return this.#related?.size ?? 0;
  }
}

/** Whether two local sessions share a room: O(rooms of `a`), no allocation. */
export function shareRoom(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size > b.size) return shareRoom(b, a);
  for (const room of a) if (b.has(room)) return true;
  return false;
}
