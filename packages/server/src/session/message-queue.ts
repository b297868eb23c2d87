/**
 * The bounded, ordered queue of frames kept for a session while it is detached (in grace).
 * Overflow policy: the oldest frame is dropped and counted. A resumed client is told nothing
 * about the drop beyond the count in metrics; peers' signaling recovers through ICE restart and
 * renegotiation, which is why the newest frames are the ones worth keeping.
 */
export class MessageQueue {
  readonly #max: number;
  #items: string[] = [];
  #head = 0;
  #dropped = 0;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Appends a frame; returns true when an older frame had to be dropped to make room. */
  push(frame: string): boolean {
    let dropped = false;
    if (this.size >= this.#max) {
      this.#head++;
      this.#dropped++;
      dropped = true;
    }
    this.#items.push(frame);
    // Compact once the consumed prefix dominates, keeping push O(1) amortised.
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }

  /** Removes and returns every frame, oldest first. */
  drain(): string[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return out;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Frames dropped for overflow since the queue was created. */
  get dropped(): number {
    return this.#dropped;
  }
}
