/**
 * Runs async commands one at a time, in order (the idea of mediasoup-client's CommandQueue).
 *
 * Every operation that mutates an RTCPeerConnection (setLocalDescription, setRemoteDescription,
 * addIceCandidate, addTrack, replaceTrack, setParameters…) goes through one queue, so an offer
 * is never created while a remote description is half applied. After `close()`, queued and
 * new commands reject with {@link InvalidStateError}; the running one finishes on its own.
 */
import { InvalidStateError } from '../errors.ts';

interface Entry {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  name: string;
}

export class CommandQueue {
  #queue: Entry[] = [];
  #running = false;
  #closed = false;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of commands waiting (not counting the one running). */
  get size(): number {
    return this.#queue.length;
  }

  /** Queues `fn`; resolves or rejects with its outcome once every earlier command has finished. */
  push<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new InvalidStateError(`${name}: the queue is closed`));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject, name });
      if (!this.#running) void this.#drain();
    });
  }

  /** Rejects every waiting command with InvalidStateError and refuses new ones. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiting = this.#queue;
    this.#queue = [];
    for (const e of waiting) e.reject(new InvalidStateError(`${e.name}: the queue was closed`));
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      for (let e = this.#queue.shift(); e; e = this.#queue.shift()) {
        try {
          e.resolve(await e.run());
        } catch (error) {
          e.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
