/**
 * A tiny typed event emitter that runs in browsers and Node alike (no `node:events`).
 *
 * Events are declared as a map from lowercase names to argument tuples, e.g.
 * `{ state: [PeerState, string?]; track: [MediaStreamTrack, readonly MediaStream[]] }`, so
 * `on('state', (state, reason) => …)` is fully typed. A listener that throws is reported to the
 * emitter's error sink and never stops the others or the code that emitted (the same guard as
 * mediasoup's `safeEmit`): an app bug in a UI handler must not break negotiation.
 */

/** A map from event name to the tuple of arguments its listeners receive. */
export type EventMap = { [event: string]: unknown[] };

/** A listener for event `K` of map `E`. */
export type Listener<E extends EventMap, K extends keyof E> = (...args: E[K]) => void;

/** What an emitter does with an error thrown by one of its listeners. */
export type ListenerErrorSink = (error: unknown, event: string) => void;

const defaultSink: ListenerErrorSink = (error, event) => {
  // Surface it asynchronously, as an uncaught error would be, without unwinding the emitter.
  queueMicrotask(() => {
    throw error instanceof Error ? error : new Error(`listener for "${event}" threw: ${String(error)}`);
  });
};

/**
 * Base class for everything in the SDK that has events.
 *
 * @example
 * ```ts
 * type ClockEvents = { tick: [number] };
 * class Clock extends TypedEmitter<ClockEvents> {
 *   start() { setInterval(() => this.emit('tick', Date.now()), 1000); }
 * }
 * const off = new Clock().on('tick', (ms) => console.log(ms));
 * off(); // stop listening
 * ```
 */
export class TypedEmitter<E extends EventMap> {
  #listeners = new Map<keyof E, Set<Listener<E, keyof E>>>();
  #onListenerError: ListenerErrorSink;

  constructor(onListenerError: ListenerErrorSink = defaultSink) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<E, keyof E>);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs once; returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    const wrapper = ((...args: E[K]) => {
      off();
      listener(...args);
    }) as Listener<E, K>;
    const off = this.on(event, wrapper);
    return off;
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof E>(event: K, listener: Listener<E, K>): void {
    this.#listeners.get(event)?.delete(listener as Listener<E, keyof E>);
  }

  /** Removes every listener of one event, or of all events. */
  removeAllListeners(event?: keyof E): void {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
  }

  /** Number of listeners of an event. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /**
   * Resolves with the arguments of the next `event`, or rejects after `timeoutMs` (if given).
   * Handy in apps and tests: `const [state] = await peer.next('state')`.
   */
  next<K extends keyof E>(event: K, { timeoutMs }: { timeoutMs?: number } = {}): Promise<E[K]> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const off = this.once(event, ((...args: E[K]) => {
        if (timer) clearTimeout(timer);
        resolve(args);
      }) as Listener<E, K>);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          off();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for "${String(event)}"`));
        }, timeoutMs);
      }
    });
  }

  /** Calls every listener of `event` with `args`; a throwing listener goes to the error sink. */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        this.#onListenerError(error, String(event));
      }
    }
  }
}
