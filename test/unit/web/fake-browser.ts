/**
 * Just enough of a browser tab for the web app's DOM-free modules to run in Node: `location`
 * (backed by a URL), `history.pushState`/`replaceState`, `localStorage`, `sessionStorage`, and a
 * `window` that records the events dispatched to it. Install in `beforeEach`, restore in
 * `afterEach`.
 */

/** A Storage kept in a Map; `broken` makes every call throw, as a blocked storage does. */
export class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  broken = false;
  get length(): number {
    return this.#items.size;
  }
  clear(): void {
    this.#check();
    this.#items.clear();
  }
  getItem(key: string): string | null {
    this.#check();
    return this.#items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.#check();
    this.#items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.#check();
    this.#items.set(key, String(value));
  }
  #check(): void {
    if (this.broken) throw new Error('SecurityError: storage is blocked');
  }
}

/** The fake tab: its address, storages, and what happened to it. */
export interface FakeBrowser {
  url: URL;
  readonly localStorage: MemoryStorage;
  readonly sessionStorage: MemoryStorage;
  /** Types of the events dispatched to `window`, and `hash` assignments as `hashchange`. */
  readonly events: string[];
  /** How many entries `pushState` added. */
  pushed: number;
  restore(): void;
}

const KEYS = ['location', 'history', 'localStorage', 'sessionStorage', 'window', 'HashChangeEvent'] as const;

/** Installs a fake tab at `href` on `globalThis`. */
export function installFakeBrowser(href: string): FakeBrowser {
  const saved = new Map(KEYS.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]));
  const tab: FakeBrowser = {
    url: new URL(href),
    localStorage: new MemoryStorage(),
    sessionStorage: new MemoryStorage(),
    events: [],
    pushed: 0,
    restore() {
      for (const [key, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, key, descriptor);
        else delete (globalThis as Record<string, unknown>)[key];
      }
    },
  };
  const location = {
    get href() {
      return tab.url.href;
    },
    get origin() {
      return tab.url.origin;
    },
    get pathname() {
      return tab.url.pathname;
    },
    get search() {
      return tab.url.search;
    },
    get hash() {
      return tab.url.hash;
    },
    set hash(value: string) {
      tab.url.hash = value;
      tab.events.push('hashchange');
    },
  };
  const history = {
    replaceState(_state: unknown, _title: string, url: string) {
      tab.url = new URL(url, tab.url);
    },
    pushState(_state: unknown, _title: string, url: string) {
      tab.url = new URL(url, tab.url);
      tab.pushed++;
    },
  };
  const window = { dispatchEvent: (e: Event) => tab.events.push(e.type) };
  const values: Record<(typeof KEYS)[number], unknown> = {
    location,
    history,
    localStorage: tab.localStorage,
    sessionStorage: tab.sessionStorage,
    window,
    HashChangeEvent: class HashChangeEvent extends Event {},
  };
  for (const key of KEYS)
    Object.defineProperty(globalThis, key, { value: values[key], configurable: true, writable: true });
  return tab;
}
