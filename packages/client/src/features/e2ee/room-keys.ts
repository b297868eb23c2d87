/**
 * {@link RoomKeys}: who rekeys a room's E2EE, and when. When a member joins or leaves, one
 * member — the one whose name sorts first among those who were already there — draws a new
 * key epoch and sends it to the room in a sealed envelope (`room.message`, relayed by the
 * server, which cannot open it):
 *
 * - someone joined: sealed under epoch 0 (from the secret), which the newcomer holds; the
 *   newcomer never receives the epochs before, so cannot read earlier frames;
 * - someone left: sealed under the current epoch, which only members present before hold; the
 *   one who left never receives the new epoch, so cannot read what follows.
 *
 * Envelopes are validated against the protocol schema (@parley/protocol `decodeE2eeEnvelope`);
 * a bad or unopenable one is ignored (and logged), never thrown.
 *
 * May import e2ee-session.ts, log.ts and @parley/protocol.
 */
import { decodeE2eeEnvelope, type JsonValue } from '@parley/protocol';
import type { Logger } from '../../log.ts';
import type { E2eeSession } from './e2ee-session.ts';

/** Options of {@link RoomKeys}. */
export interface RoomKeysOptions {
  session: E2eeSession;
  self: string;
  /** Sends a room message to every member (through the server). */
  send: (data: JsonValue) => void;
  log: Logger;
}

/** The rekeying side of a room's E2EE. */
export class RoomKeys {
  readonly #o: RoomKeysOptions;
  /** Rekeys run one after another, so epochs number up without gaps. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: RoomKeysOptions) {
    this.#o = options;
  }

  /** `name` joined; `members` are the others present now (including `name`). */
  memberJoined(name: string, members: Iterable<string>): void {
    const before = [...members].filter((m) => m !== name);
    if (this.#leads(before)) this.#rekey(0, 'joined');
  }

  /** `name` left; `members` are the others still present. */
  memberLeft(name: string, members: Iterable<string>): void {
    this.#o.session.forget(name);
    if (this.#o.session.closed) return;
    const left = [...members].filter((m) => m !== name);
    if (left.length > 0 && this.#leads(left)) this.#rekey(this.#o.session.epoch, 'left');
  }

  /** A room message with an `e2ee` key from `from`. */
  onMessage(from: string, data: unknown): void {
    const envelope = decodeE2eeEnvelope(data);
    if (!envelope) {
      this.#o.log.warn('e2ee envelope rejected', { from });
      return;
    }
    this.#chain = this.#chain.then(async () => {
      const ok = await this.#o.session.accept(envelope);
      this.#o.log.debug(ok ? 'e2ee epoch accepted' : 'e2ee envelope ignored', {
        from,
        epoch: envelope.epoch,
      });
    });
  }

  #leads(others: readonly string[]): boolean {
    return others.every((m) => this.#o.self < m);
  }

  #rekey(sealWith: number, why: string): void {
    this.#chain = this.#chain.then(async () => {
      try {
        const envelope = await this.#o.session.rekey(sealWith);
        this.#o.send(envelope);
        this.#o.log.debug('e2ee rekeyed', { epoch: envelope.epoch, why });
      } catch (error) {
        this.#o.log.warn('e2ee rekey failed', { error: String(error) });
      }
    });
  }
}
