/**
 * The sessions living on this node, by name and by resume token. Only the directory knows
 * about other nodes; this is the relay's local fast path and the resume lookup.
 */
import type { Session } from './session.ts';

/** Local sessions by name and by resume token. */
export class SessionRegistry {
  readonly #byName = new Map<string, Session>();
  readonly #byToken = new Map<string, Session>();

  add(session: Session): void {
    this.#byName.set(session.name, session);
    this.#byToken.set(session.token, session);
  }

  /** Removes `session` (only if it is still the one registered under its name and token). */
  remove(session: Session): void {
    if (this.#byName.get(session.name) === session) this.#byName.delete(session.name);
    if (this.#byToken.get(session.token) === session) this.#byToken.delete(session.token);
  }

  /** The session's token rotated from `oldToken`: find it under its new token only. */
  rekey(session: Session, oldToken: string): void {
    if (this.#byToken.get(oldToken) === session) this.#byToken.delete(oldToken);
    if (this.#byName.get(session.name) === session) this.#byToken.set(session.token, session);
  }

  byName(name: string): Session | undefined {
    return this.#byName.get(name);
  }

  byToken(token: string): Session | undefined {
    return this.#byToken.get(token);
  }

  get size(): number {
    return this.#byName.size;
  }

  values(): IterableIterator<Session> {
    return this.#byName.values();
  }
}
