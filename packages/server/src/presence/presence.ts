/**
 * Presence: sessions that subscribed get the list of online names, then `presence.updated`
 * whenever a name comes online (login) or goes offline (bye or end of grace) on any node.
 * A name in resume grace still counts as online: it is still held and reachable.
 */
import { type ClientMessageOf, ParleyError } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Session } from '../session/session.ts';
import { frame } from '../wire/frames.ts';

/** Presence subscriptions of the sessions on this node. */
export class Presence {
  readonly #directory: Directory;
  readonly #enabled: boolean;
  readonly #subscribers = new Set<Session>();

  constructor(directory: Directory, enabled: boolean) {
    this.#directory = directory;
    this.#enabled = enabled;
  }

  /** Handles `presence.subscribe`: replies `presence.listed`. FORBIDDEN when presence is off. */
  async subscribe(session: Session, msg: ClientMessageOf<'presence.subscribe'>): Promise<void> {
    if (!this.#enabled) throw new ParleyError('FORBIDDEN', 'presence is disabled on this server');
    const names = await this.#directory.onlineNames();
    if (session.state === 'closed') return;
    this.#subscribers.add(session);
    session.presence = true;
    session.send(frame({ type: 'presence.listed', re: msg.id, names }));
  }

  /** Handles `presence.unsubscribe` (idempotent). */
  unsubscribe(session: Session): void {
    this.#subscribers.delete(session);
    session.presence = false;
  }

  /** Drops an ending session from the subscribers. */
  forget(session: Session): void {
    this.#subscribers.delete(session);
  }

  /** Fans a presence change out to the local subscribers. */
  changed(name: string, online: boolean): void {
    if (this.#subscribers.size === 0) return;
    const updated = frame({ type: 'presence.updated', name, online });
    for (const s of this.#subscribers) {
      if (s.state === 'closed') this.#subscribers.delete(s);
      else s.send(updated);
    }
  }
}
