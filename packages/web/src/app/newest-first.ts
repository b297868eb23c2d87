/**
 * A short list of things to show newest first — missed calls, records of ended calls — bounded
 * (the oldest go when it is full), one entry per key, dismissable, with change listeners so a
 * view re-renders and releases what it made for entries that went. DOM-free; imports nothing.
 */
export class NewestFirstList<T> {
  #items: T[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #limit: number;
  readonly #keyOf: (item: T) => string;
  readonly #newer: ((a: T, b: T) => number) | undefined;

  /**
   * @param limit the most entries kept
   * @param keyOf an entry's identity (one entry per key)
   * @param newer when given, entries are kept sorted by it (negative: `a` is newer than `b`);
   *   otherwise an added entry goes first
   */
  constructor(limit: number, keyOf: (item: T) => string, newer?: (a: T, b: T) => number) {
    this.#limit = limit;
    this.#keyOf = keyOf;
    this.#newer = newer;
  }

  /** The entries, newest first. */
  get items(): readonly T[] {
    return this.#items;
  }

  /** Adds `item`; false when an entry with its key is already listed. */
  add(item: T): boolean {
    const key = this.#keyOf(item);
    if (this.#items.some((x) => this.#keyOf(x) === key)) return false;
    const next = [item, ...this.#items];
    if (this.#newer) next.sort(this.#newer);
    this.#items = next.slice(0, this.#limit);
    this.#changed();
    return true;
  }

  /** Removes the entry with `key`, if listed. */
  dismiss(key: string): void {
    const before = this.#items.length;
    this.#items = this.#items.filter((x) => this.#keyOf(x) !== key);
    if (this.#items.length !== before) this.#changed();
  }

  /** Removes every entry. */
  clear(): void {
    if (this.#items.length === 0) return;
    this.#items = [];
    this.#changed();
  }

  /** Calls `fn` after every change; returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed(): void {
    for (const fn of [...this.#listeners]) fn();
  }
}
