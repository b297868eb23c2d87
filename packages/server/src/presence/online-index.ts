/**
 * This process's copy of who is online in the whole deployment, kept sorted so that a directory
 * page or a prefix count costs a binary search, not a pass over everyone.
 *
 * It is filled once from the directory (`onlineNames()`, the only full read) and then follows the
 * presence changes the node hears (its own logins and departures, and with Redis every other
 * node's). Changes heard while that full read is in flight are applied again on top of it, so a
 * name that came or went meanwhile is not lost. `stale` lets the owner re-read now and then, in
 * case a change was missed (a Redis subscriber that reconnected). Pure: no imports.
 */

/** Code-unit order, the order pages are cut in (names are ASCII: letters, digits, `_ . -`). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What sorted `next` has that sorted `prev` lacks (`online`), and the reverse (`offline`). */
export function diffSorted(
  prev: readonly string[],
  next: readonly string[],
): { online: string[]; offline: string[] } {
  const online: string[] = [];
  const offline: string[] = [];
  let i = 0;
  let j = 0;
  while (i < prev.length || j < next.length) {
    const a = prev[i];
    const b = next[j];
    if (a === b) {
      i++;
      j++;
    } else if (b === undefined || (a !== undefined && a < b)) {
      offline.push(a!);
      i++;
    } else {
      online.push(b);
      j++;
    }
  }
  return { online, offline };
}

/** The first string after every string that starts with `prefix` (names never hold U+FFFF). */
const afterPrefix = (prefix: string) => `${prefix}\uffff`;

export class OnlineIndex {
  #names: string[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  /** Changes heard while a full read is in flight, applied on top of it (last one wins). */
  #heardDuringLoad: Map<string, boolean> | undefined;

  /** Online names, sorted. */
  get size(): number {
    return this.#names.length;
  }

  has(name: string): boolean {
    const i = lowerBound(this.#names, name);
    return this.#names[i] === name;
  }

  /** Whether the copy is older than `maxAgeMs` at `now` (or was never loaded). */
  stale(now: number, maxAgeMs: number): boolean {
    return now - this.#loadedAt > maxAgeMs;
  }

  /** A full read is starting: changes from now on are kept to be applied on top of it. */
  beginLoad(): void {
    this.#heardDuringLoad = new Map();
  }

  /**
   * The full read answered `names` at `now`. Returns what it corrected in the copy (names the
   * copy had wrong: a change this process never heard), so that subscribers can be told.
   */
  finishLoad(names: readonly string[], now: number): { online: string[]; offline: string[] } {
    const heard = this.#heardDuringLoad ?? new Map<string, boolean>();
    this.#heardDuringLoad = undefined;
    const old = this.#names;
    this.#names = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Changes heard meanwhile may be newer than the read: they win (`old` has them too).
    for (const [name, online] of heard) this.apply(name, online);
    this.#loadedAt = now;
    return diffSorted(old, this.#names);
  }

  /** The full read failed: keep the old copy (and stay stale, so the next caller tries again). */
  abandonLoad(): void {
    const heard = this.#heardDuringLoad;
    this.#heardDuringLoad = undefined;
    if (heard) for (const [name, online] of heard) this.apply(name, online);
  }

  /** A name came online or went offline; returns whether that changed the copy. */
  apply(name: string, online: boolean): boolean {
    this.#heardDuringLoad?.set(name, online);
    const i = lowerBound(this.#names, name);
    const present = this.#names[i] === name;
    if (online === present) return false;
    if (online) this.#names.splice(i, 0, name);
    else this.#names.splice(i, 1);
    return true;
  }

  /** The first `limit` online names starting with `prefix` ('' for all), in order. */
  page(prefix: string, limit: number): string[] {
    const from = lowerBound(this.#names, prefix);
    const out: string[] = [];
    for (let i = from; i < this.#names.length && out.length < limit; i++) {
      const n = this.#names[i]!;
      if (!n.startsWith(prefix)) break;
      out.push(n);
    }
    return out;
  }

  /** How many online names start with `prefix`. */
  count(prefix: string): number {
    if (prefix === '') return this.#names.length;
    return lowerBound(this.#names, afterPrefix(prefix)) - lowerBound(this.#names, prefix);
  }
}
