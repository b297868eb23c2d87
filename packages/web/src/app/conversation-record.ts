/**
 * What a call or room said, kept so that nothing is lost at hang-up: the chat texts (ours and
 * theirs, with sender and time), the files received (with their bytes, so they can still be
 * saved) and sent, and the joins and leaves. The call screen writes into a
 * {@link ConversationRecord} as things happen; when the call or room ends the app files it in
 * {@link AfterCalls}, which the home screen shows until the person dismisses it or leaves the page.
 *
 * Bounded: a record keeps at most {@link RECORD_LIMITS.entries} lines (the oldest texts go first;
 * files are kept) and {@link AfterCalls} at most {@link RECORD_LIMITS.records} records, so a
 * long day of calls cannot grow the page without end.
 *
 * DOM-free (Blob is a plain value here; object URLs are the view's business), so unit tests run it
 * in Node.
 */

import { NewestFirstList } from './newest-first.ts';

/** Limits of what is kept. */
export const RECORD_LIMITS = {
  /** Lines in one record. */
  entries: 500,
  /** Records kept after their calls ended. */
  records: 5,
} as const;

/** A chat text. `mine`: we wrote it. `earlier`: it was sent before we joined (room history). */
export interface TextEntry {
  kind: 'text';
  from: string;
  mine: boolean;
  text: string;
  at: number;
  earlier?: boolean;
}

/**
 * A file sent or received (`from`: for a file we sent, the person it went to). `blob` is set once
 * a received file is complete; `delivered` once a sent one is verified by the receiver.
 */
export interface FileEntry {
  kind: 'file';
  from: string;
  mine: boolean;
  name: string;
  size: number;
  at: number;
  blob: Blob | null;
  delivered: boolean;
}

/** A line such as "bob joined". */
export interface SystemEntry {
  kind: 'system';
  text: string;
  at: number;
}

export type RecordEntry = TextEntry | FileEntry | SystemEntry;

/** The record of one call or room visit. */
export class ConversationRecord {
  readonly id: string;
  /** `room` or `call`. */
  readonly kind: 'room' | 'call';
  /** The room's name, or the other person's. */
  readonly title: string;
  readonly startedAt: number;
  #endedAt: number | null = null;
  #entries: RecordEntry[] = [];
  readonly #people = new Set<string>();

  constructor(kind: 'room' | 'call', title: string, now = Date.now()) {
    this.kind = kind;
    this.title = title;
    this.startedAt = now;
    this.id = `${kind}-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  }

  /** The lines, oldest first. */
  get entries(): readonly RecordEntry[] {
    return this.#entries;
  }

  /** When the call ended (null while it goes on). */
  get endedAt(): number | null {
    return this.#endedAt;
  }

  /** Everyone who was there, besides us, in order of arrival. */
  get people(): string[] {
    return [...this.#people];
  }

  /** True when there is something worth keeping: a text or a file. */
  get worthKeeping(): boolean {
    return this.#entries.some((e) => e.kind !== 'system');
  }

  /** Received files whose bytes are here. */
  get receivedFiles(): FileEntry[] {
    return this.#entries.filter((e): e is FileEntry => e.kind === 'file' && !e.mine && e.blob !== null);
  }

  /** Notes that `name` was there. */
  met(name: string): void {
    this.#people.add(name);
  }

  /** Adds a text. Earlier (history) texts are placed by time among the other earlier ones. */
  text(from: string, text: string, mine: boolean, at = Date.now(), earlier = false): void {
    const entry: TextEntry = { kind: 'text', from, mine, text, at, ...(earlier ? { earlier } : {}) };
    if (!mine) this.met(from);
    if (!earlier) {
      this.#push(entry);
      return;
    }
    // Before every live line, after earlier ones sent before it.
    let i = 0;
    while (i < this.#entries.length) {
      const e = this.#entries[i]!;
      if (!(e.kind === 'text' && e.earlier && e.at <= at)) break;
      i++;
    }
    this.#entries.splice(i, 0, entry);
    this.#trim();
  }

  /** Adds a file (its bytes later, with {@link completeFile}); returns the entry. */
  file(from: string, name: string, size: number, mine: boolean, at = Date.now()): FileEntry {
    const entry: FileEntry = { kind: 'file', from, mine, name, size, at, blob: null, delivered: false };
    if (!mine) this.met(from);
    this.#push(entry);
    return entry;
  }

  /** A received file is complete: keep its bytes. */
  completeFile(entry: FileEntry, blob: Blob): void {
    entry.blob = blob;
  }

  /** A file we sent reached the other side whole. */
  delivered(entry: FileEntry): void {
    entry.delivered = true;
  }

  /** Adds a line such as "bob joined". */
  system(text: string, at = Date.now()): void {
    this.#push({ kind: 'system', text, at });
  }

  /** Marks the end of the call. */
  end(now = Date.now()): void {
    this.#endedAt ??= now;
  }

  #push(entry: RecordEntry): void {
    this.#entries.push(entry);
    this.#trim();
  }

  /** Drops the oldest non-file lines beyond the limit (files are what people cannot get back). */
  #trim(): void {
    let excess = this.#entries.length - RECORD_LIMITS.entries;
    if (excess <= 0) return;
    this.#entries = this.#entries.filter((e) => {
      if (excess > 0 && e.kind !== 'file') {
        excess--;
        return false;
      }
      return true;
    });
  }
}

/**
 * Records of ended calls, newest first, until dismissed. {@link onChange} listeners hear of every
 * change (a record kept, dismissed or pushed out by newer ones), so a view re-renders and releases
 * what it made for records that went (object URLs).
 */
export class AfterCalls extends NewestFirstList<ConversationRecord> {
  constructor() {
    super(RECORD_LIMITS.records, (r) => r.id);
  }

  /** The kept records, newest first. */
  get records(): readonly ConversationRecord[] {
    return this.items;
  }

  /** Keeps `record` (ended now) if it holds a text or a file. Returns whether it was kept. */
  keep(record: ConversationRecord, now = Date.now()): boolean {
    record.end(now);
    return record.worthKeeping && this.add(record);
  }
}
