/**
 * The bounded, ordered queue of frames kept for a session while it is detached (in grace).
 *
 * Budgets: at most `maxFrames` frames and `maxBytes` bytes (UTF-8, as on the wire) per session,
 * and all queues of the node together at most the shared `QueueBudget` (PARLEY_QUEUE_TOTAL_BYTES).
 * Without byte budgets a stranger could pin 256 frames of 64 KiB per parked session, and park
 * hundreds of sessions (issue 15, finding 5).
 *
 * Overflow policy:
 * - over the session's frame or byte budget, the oldest frames are dropped until the new one fits
 *   (reasons `frames`, `bytes`): peers' signaling recovers through ICE restart and renegotiation,
 *   so the newest frames are the ones worth keeping; a single frame larger than the whole session
 *   budget is itself dropped (`bytes`);
 * - over the node's budget, the new frame is dropped (`node_bytes`): evicting another session's
 *   frames would let one stuffed queue empty its neighbours'.
 * A resumed client is told nothing about drops beyond the counts in metrics.
 */

/** Why a queued frame was dropped (the `reason` label of `parley_queue_dropped_total`). */
export type QueueDropReason = 'frames' | 'bytes' | 'node_bytes';

/** The queued-bytes budget shared by every session queue of one node. */
export class QueueBudget {
  readonly maxBytes: number;
  #used = 0;

  constructor(maxBytes: number) {
    this.maxBytes = Math.max(0, maxBytes);
  }

  /** Bytes queued on the node now. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `bytes` if they fit; returns whether they did. */
  tryTake(bytes: number): boolean {
    if (this.#used + bytes > this.maxBytes) return false;
    this.#used += bytes;
    return true;
  }

  /** Reserves `bytes` even past the budget (frames the node already held once; see `requeue`). */
  force(bytes: number): void {
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** What a queue reports to its owner (metrics). */
export interface QueueObserver {
  /** Bytes and frames entered (positive) or left (negative) the queue. */
  changed(frames: number, bytes: number): void;
  dropped(reason: QueueDropReason): void;
}

/** Per-session limits of a queue. */
export interface QueueLimits {
  maxFrames: number;
  maxBytes: number;
}

/** UTF-8 length of a frame: what it costs on the wire and, roughly, in memory. */
export const frameBytes = (frame: string): number => Buffer.byteLength(frame, 'utf8');

/** A session's queue; see the file comment for the overflow policy. */
export class MessageQueue {
  readonly #maxFrames: number;
  readonly #maxBytes: number;
  readonly #budget: QueueBudget;
  readonly #observer: QueueObserver | undefined;
  #items: string[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(limits: QueueLimits, budget: QueueBudget, observer?: QueueObserver) {
    this.#maxFrames = Math.max(1, limits.maxFrames);
    this.#maxBytes = Math.max(1, limits.maxBytes);
    this.#budget = budget;
    this.#observer = observer;
  }

  /** Appends a frame; returns the number of frames dropped to keep within the budgets. */
  push(frame: string): number {
    const size = frameBytes(frame);
    if (size > this.#maxBytes) return this.#drop('bytes');
    let dropped = 0;
    // The session's own budgets: make room by dropping its oldest frames.
    while (this.size > 0 && (this.size >= this.#maxFrames || this.#bytes + size > this.#maxBytes)) {
      dropped += this.#drop(this.size >= this.#maxFrames ? 'frames' : 'bytes');
      this.#shift();
    }
    if (!this.#budget.tryTake(size)) return dropped + this.#drop('node_bytes');
    this.#items.push(frame);
    this.#sizes.push(size);
    this.#bytes += size;
    this.#observer?.changed(1, size);
    return dropped;
  }

  /**
   * Puts frames taken by `drain` but never written back at the head of the queue, ahead of any
   * newer ones (a resume whose socket died during the flush). They were admitted once, so the
   * node budget takes them even when full; the session's budgets still hold, keeping the newest.
   */
  requeue(frames: readonly string[]): number {
    if (frames.length === 0) return 0;
    const rest = this.#items.slice(this.#head);
    const restSizes = this.#sizes.slice(this.#head);
    const sizes = frames.map(frameBytes);
    const total = sizes.reduce((a, b) => a + b, 0);
    this.#items = [...frames, ...rest];
    this.#sizes = [...sizes, ...restSizes];
    this.#head = 0;
    this.#bytes += total;
    this.#budget.force(total);
    this.#observer?.changed(frames.length, total);
    let dropped = 0;
    while (this.size > 0 && (this.size > this.#maxFrames || this.#bytes > this.#maxBytes)) {
      dropped += this.#drop(this.size > this.#maxFrames ? 'frames' : 'bytes');
      this.#shift();
    }
    return dropped;
  }

  /** Removes and returns every frame, oldest first. */
  drain(): string[] {
    const out = this.#items.slice(this.#head);
    this.clear();
    return out;
  }

  /** Empties the queue, releasing its bytes. */
  clear(): void {
    if (this.size > 0) this.#observer?.changed(-this.size, -this.#bytes);
    this.#budget.release(this.#bytes);
    this.#items = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes queued now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Frames dropped since the queue was created, whatever the reason. */
  get dropped(): number {
    return this.#dropped;
  }

  #drop(reason: QueueDropReason): number {
    this.#dropped++;
    this.#observer?.dropped(reason);
    return 1;
  }

  /** Removes the oldest frame (counted as dropped by the caller). */
  #shift(): void {
    const size = this.#sizes[this.#head]!;
    this.#head++;
    this.#bytes -= size;
    this.#budget.release(size);
    this.#observer?.changed(-1, -size);
    // Compact once the consumed prefix dominates, keeping push O(1) amortised.
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }
}
