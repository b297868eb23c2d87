/**
 * Presence: who is online, told to the sessions that asked, at a cost that does not grow with
 * everyone times everyone (docs/PROTOCOL.md, "Presence").
 *
 * A subscriber chooses its view: the **directory** (the first `limit` online names starting with
 * `prefix`, and how many match in all) or a **watch list** of up to 256 names. Logins and
 * departures anywhere (this node's, and with Redis every other node's) land in a pending set and go
 * out once per interval (`PARLEY_PRESENCE_INTERVAL_MS`) as one `presence.changed` per subscriber
 * whose view changed:
 * - a watched name reaches only its watchers (an index by name, so a login costs its watchers);
 * - directory subscribers sharing a prefix and page size share one page, recomputed from the sorted
 *   {@link OnlineIndex} and diffed against what they were last told, and one encoded frame; a change
 *   beyond the page only moves `total`, told at most every {@link TOTAL_EVERY_MS}.
 * So a burst of logins costs each subscriber a frame per interval at most, and a login that touches
 * nobody's view costs a map lookup. A name in resume grace still counts as online: it is held and
 * reachable.
 *
 * Imports: protocol, directory (the full read), session, wire, and its own online index.
 */
import { type ClientMessageOf, LIMITS, ParleyError } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Session } from '../session/session.ts';
import { type Frame, frame } from '../wire/frames.ts';
import { diffSorted, OnlineIndex } from './online-index.ts';

/** A change of the directory's count alone goes out at most this often. */
export const TOTAL_EVERY_MS = 2000;
/** The online copy is read again from the directory this often while anyone subscribes. */
export const RESYNC_EVERY_MS = 30_000;

/** Tuning of {@link Presence}; the defaults are what the server uses. */
export interface PresenceOptions {
  /** Whether `presence.subscribe` is allowed at all (`PARLEY_PRESENCE`). */
  enabled: boolean;
  /** Changes are coalesced over this many milliseconds (`PARLEY_PRESENCE_INTERVAL_MS`). */
  intervalMs: number;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
}

interface DirectoryGroup {
  readonly key: string;
  readonly prefix: string;
  readonly limit: number;
  readonly sessions: Set<Session>;
  /** The page and count its sessions were last told. */
  page: string[];
  total: number;
  toldAt: number;
  /** `total` moved since it was last told (held back by {@link TOTAL_EVERY_MS}). */
  totalOwed: boolean;
}

type View = { kind: 'directory'; group: DirectoryGroup } | { kind: 'watch'; names: ReadonlySet<string> };

/** A name's state when this interval began, and now. */
interface Pending {
  readonly before: boolean;
  after: boolean;
}

/** Presence subscriptions of the sessions on this node. */
export class Presence {
  readonly #directory: Directory;
  readonly #enabled: boolean;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #index = new OnlineIndex();
  readonly #views = new Map<Session, View>();
  readonly #groups = new Map<string, DirectoryGroup>();
  readonly #watchers = new Map<string, Set<Session>>();
  #pending = new Map<string, Pending>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** When changes last went out (`performance.now()`); the next may go at once after an interval. */
  #lastFlushAt = Number.NEGATIVE_INFINITY;
  #resyncTimer: ReturnType<typeof setInterval> | undefined;
  #loading: Promise<void> | undefined;

  constructor(directory: Directory, options: PresenceOptions) {
    this.#directory = directory;
    this.#enabled = options.enabled;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Sessions subscribed on this node (for metrics and tests). */
  get subscribers(): number {
    return this.#views.size;
  }

  /** Handles `presence.subscribe`: replies `presence.listed`. FORBIDDEN when presence is off. */
  async subscribe(session: Session, msg: ClientMessageOf<'presence.subscribe'>): Promise<void> {
    if (!this.#enabled) throw new ParleyError('FORBIDDEN', 'presence is disabled on this server');
    if (msg.watch !== undefined && (msg.prefix !== undefined || msg.limit !== undefined))
      throw new ParleyError(
        'BAD_MESSAGE',
        '`watch` replaces the directory: send it without `prefix` and `limit`',
      );
    if (this.#index.stale(this.#now(), RESYNC_EVERY_MS)) await this.#load();
    if (session.state === 'closed') return;
    this.#drop(session);
    if (msg.watch !== undefined) {
      const names = new Set(msg.watch);
      this.#views.set(session, { kind: 'watch', names });
      for (const n of names) {
        const set = this.#watchers.get(n);
        if (set) set.add(session);
        else this.#watchers.set(n, new Set([session]));
      }
      const online = [...names].filter((n) => this.#index.has(n)).sort();
      session.send(frame({ type: 'presence.listed', re: msg.id, names: online }));
    } else {
      const group = this.#group(msg.prefix ?? '', msg.limit ?? LIMITS.presencePageMax);
      group.sessions.add(session);
      this.#views.set(session, { kind: 'directory', group });
      session.send(frame({ type: 'presence.listed', re: msg.id, names: group.page, total: group.total }));
    }
    session.presence = true;
    this.#resyncTimer ??= setInterval(() => void this.#load().catch(() => {}), RESYNC_EVERY_MS);
    this.#resyncTimer.unref?.();
  }

  /** Handles `presence.unsubscribe` (idempotent). */
  unsubscribe(session: Session): void {
    this.#drop(session);
    session.presence = false;
  }

  /** Drops an ending session from the subscribers. */
  forget(session: Session): void {
    this.#drop(session);
  }

  /** A name came online or went offline somewhere; subscribers hear at the end of the interval. */
  changed(name: string, online: boolean): void {
    const was = this.#index.has(name);
    this.#index.apply(name, online);
    this.#note(name, was, online);
  }

  /** Stops the timers (server shutdown). */
  close(): void {
    clearTimeout(this.#flushTimer);
    clearInterval(this.#resyncTimer);
    this.#flushTimer = undefined;
    this.#resyncTimer = undefined;
  }

  #note(name: string, before: boolean, after: boolean): void {
    if (this.#views.size === 0) return;
    const p = this.#pending.get(name);
    if (p) p.after = after;
    else if (before !== after) this.#pending.set(name, { before, after });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flushTimer) return;
    // Leading edge: the first change after a quiet interval goes out at once (after this turn of
    // the event loop, so changes made together still share a frame); changes that follow within
    // the interval wait for its end and go out together.
    const wait = Math.max(0, this.#lastFlushAt + this.#intervalMs - performance.now());
    this.#flushTimer = setTimeout(() => this.#flush(), wait);
    this.#flushTimer.unref?.();
  }

  /** Reads the whole online list (once at a time) and tells subscribers what it corrected. */
  #load(): Promise<void> {
    this.#loading ??= (async () => {
      this.#index.beginLoad();
      try {
        const names = await this.#directory.onlineNames();
        const fixed = this.#index.finishLoad(names, this.#now());
        for (const name of fixed.online) this.#note(name, false, true);
        for (const name of fixed.offline) this.#note(name, true, false);
      } catch (err) {
        this.#index.abandonLoad();
        throw err;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  #group(prefix: string, limit: number): DirectoryGroup {
    const key = `${limit}:${prefix}`;
    let g = this.#groups.get(key);
    if (!g) {
      g = {
        key,
        prefix,
        limit,
        sessions: new Set(),
        page: this.#index.page(prefix, limit),
        total: this.#index.count(prefix),
        toldAt: this.#now(),
        totalOwed: false,
      };
      this.#groups.set(key, g);
    }
    return g;
  }

  #drop(session: Session): void {
    const view = this.#views.get(session);
    if (!view) return;
    this.#views.delete(session);
    if (view.kind === 'directory') {
      view.group.sessions.delete(session);
      if (view.group.sessions.size === 0) this.#groups.delete(view.group.key);
    } else {
      for (const n of view.names) {
        const set = this.#watchers.get(n);
        set?.delete(session);
        if (set?.size === 0) this.#watchers.delete(n);
      }
    }
    if (this.#views.size === 0) {
      clearInterval(this.#resyncTimer);
      this.#resyncTimer = undefined;
      this.#pending.clear();
    }
  }

  #flush(): void {
    this.#flushTimer = undefined;
    this.#lastFlushAt = performance.now();
    const changes = this.#pending;
    this.#pending = new Map();
    this.#flushWatchers(changes);
    let owed = false;
    for (const g of this.#groups.values()) owed = this.#flushGroup(g, changes) || owed;
    // A count held back still goes out, once its time comes.
    if (owed) this.#schedule();
  }

  #flushWatchers(changes: ReadonlyMap<string, Pending>): void {
    if (this.#watchers.size === 0) return;
    const told = new Map<Session, { online: string[]; offline: string[] }>();
    for (const [name, p] of changes) {
      if (p.before === p.after) continue;
      const watchers = this.#watchers.get(name);
      if (!watchers) continue;
      for (const s of watchers) {
        const t = told.get(s) ?? { online: [], offline: [] };
        told.set(s, t);
        (p.after ? t.online : t.offline).push(name);
      }
    }
    for (const [s, t] of told) this.#send(s, changedFrames(t.online, t.offline, undefined));
  }

  /** Tells a directory group what changed in its page; returns whether a count is still owed. */
  #flushGroup(g: DirectoryGroup, changes: ReadonlyMap<string, Pending>): boolean {
    let touched = g.totalOwed;
    if (!touched)
      for (const name of changes.keys())
        if (name.startsWith(g.prefix)) {
          touched = true;
          break;
        }
    if (!touched) return false;
    const page = this.#index.page(g.prefix, g.limit);
    const total = this.#index.count(g.prefix);
    const { online, offline } = diffSorted(g.page, page);
    const now = this.#now();
    if (online.length === 0 && offline.length === 0) {
      if (total === g.total) {
        g.totalOwed = false;
        return false;
      }
      if (now - g.toldAt < TOTAL_EVERY_MS) {
        g.totalOwed = true;
        return true;
      }
    }
    g.page = page;
    g.total = total;
    g.toldAt = now;
    g.totalOwed = false;
    const frames = changedFrames(online, offline, total);
    for (const s of g.sessions) this.#send(s, frames);
    return false;
  }

  #send(s: Session, frames: readonly Frame<'presence.changed'>[]): void {
    if (s.state === 'closed') {
      this.#drop(s);
      return;
    }
    for (const f of frames) s.send(f);
  }
}

/** `presence.changed` frames, split so that no list passes `LIMITS.presenceChangesMax`. */
export function changedFrames(
  online: readonly string[],
  offline: readonly string[],
  total: number | undefined,
): Frame<'presence.changed'>[] {
  const max = LIMITS.presenceChangesMax;
  const frames: Frame<'presence.changed'>[] = [];
  for (let i = 0; i === 0 || i < Math.max(online.length, offline.length); i += max)
    frames.push(
      frame({
        type: 'presence.changed',
        online: online.slice(i, i + max),
        offline: offline.slice(i, i + max),
        total,
      }),
    );
  return frames;
}
