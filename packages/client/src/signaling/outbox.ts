/**
 * Frames the app sends while the signaling connection is down wait here, in order, and are
 * flushed right after the next `welcome` (livekit's SignalClient queues requests the same way
 * while it reconnects). The outbox is bounded: when full, the oldest frame that may be dropped
 * (a `ping`, an ICE candidate) goes first; if none may, the new frame is refused.
 */
import type { ClientMessage } from '@parley/protocol';

/** Frames that are pointless once stale and are dropped rather than queued. */
const NEVER_QUEUED: ReadonlySet<ClientMessage['type']> = new Set(['ping', 'hello', 'bye']);

/** One queued frame; `onDrop` runs if it is discarded without being sent. */
export interface OutboxEntry {
  msg: ClientMessage;
  onDrop?: (reason: string) => void;
}

/** A bounded FIFO of frames waiting for the connection. */
export class Outbox {
  readonly #capacity: number;
  #entries: OutboxEntry[] = [];

  /** @param capacity most frames held at once (default 512) */
  constructor(capacity = 512) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Queues a frame. Returns false (and calls `onDrop`) when it cannot be queued. */
  push(entry: OutboxEntry): boolean {
    if (NEVER_QUEUED.has(entry.msg.type)) {
      entry.onDrop?.('not queued while offline');
      return false;
    }
    if (this.#entries.length >= this.#capacity) {
      const victim = this.#entries.findIndex((e) => isDroppable(e.msg));
      if (victim < 0) {
        entry.onDrop?.('outbox full');
        return false;
      }
      const [dropped] = this.#entries.splice(victim, 1);
      dropped?.onDrop?.('outbox full');
    }
    this.#entries.push(entry);
    return true;
  }

  /** Removes the queued request with this id (its caller gave up on it). */
  remove(id: string | number): boolean {
    const i = this.#entries.findIndex((e) => e.msg.id === id);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    return true;
  }

  /** Takes every queued frame out, oldest first. */
  drain(): OutboxEntry[] {
    const out = this.#entries;
    this.#entries = [];
    return out;
  }

  /** Drops everything, telling each entry why. */
  clear(reason: string): void {
    for (const e of this.drain()) e.onDrop?.(reason);
  }
}

/** ICE candidates are dropped first: a later ICE restart gathers fresh ones anyway. */
function isDroppable(msg: ClientMessage): boolean {
  if (msg.type !== 'signal') return false;
  const data = msg.data as { kind?: unknown } | null;
  return typeof data === 'object' && data !== null && data.kind === 'candidate';
}
