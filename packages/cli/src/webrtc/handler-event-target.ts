/**
 * An `EventTarget` with the `on<event>` handler attributes the DOM gives WebRTC objects, so code
 * written for browsers (`pc.onicecandidate = …`, `channel.onmessage = …`) works unchanged.
 */
export class HandlerEventTarget extends EventTarget {
  readonly #handlers = new Map<string, ((event: Event) => unknown) | null>();

  /** Reads the handler attribute for `type` (`null` when unset). */
  protected getHandler(type: string): ((event: Event) => unknown) | null {
    return this.#handlers.get(type) ?? null;
  }

  /** Sets the handler attribute for `type`; a non-function clears it, as in the DOM. */
  protected setHandler(type: string, handler: unknown): void {
    this.#handlers.set(type, typeof handler === 'function' ? (handler as (event: Event) => unknown) : null);
  }

  /** Calls the handler attribute, then the listeners (the DOM calls them in registration order). */
  override dispatchEvent(event: Event): boolean {
    const handler = this.#handlers.get(event.type);
    if (handler) {
      try {
        handler.call(this, event);
      } catch (err) {
        // Like a throwing listener in Node's EventTarget: report it as uncaught, keep dispatching.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return super.dispatchEvent(event);
  }
}

/** Creates an `Event` carrying extra read-only fields (`candidate`, `channel`, `error`…). */
export function eventWith<T extends object>(type: string, fields: T): Event & T {
  const event = new Event(type);
  for (const [key, value] of Object.entries(fields)) {
    Object.defineProperty(event, key, { value, enumerable: true });
  }
  return event as Event & T;
}
