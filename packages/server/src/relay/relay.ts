/**
 * Routes frames to sessions by name: straight to the session when it lives on this node (the
 * hot path, synchronous), otherwise through the directory to whichever node holds it. Also the
 * two relayed message kinds, `signal` and `room.message`. The server stamps `from` from the
 * session; the strict inbound schemas already refused a client-sent `from`.
 *
 * The signal path is kept lean on purpose (benchmarked against a bare ws forwarder): the outgoing
 * frame is built by string concatenation around `JSON.stringify(data)`, with no schema check on
 * the way out and no logging unless `trace` is enabled.
 */
import { type ClientMessageOf, ParleyError, type ServerMessageType } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Session } from '../session/session.ts';
import type { SessionRegistry } from '../session/session-registry.ts';

/** Seconds since `start` (a `performance.now()` reading). */
const since = (start: number) => (performance.now() - start) / 1000;

/** Frame routing between sessions, local or remote. */
export class Relay {
  readonly #local: SessionRegistry;
  readonly #directory: Directory;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  /** Per-frame trace logging on or off, read once (a per-frame pino lookup costs measurable CPU). */
  readonly #trace: boolean;

  constructor(local: SessionRegistry, directory: Directory, metrics: Metrics, log: Logger) {
    this.#local = local;
    this.#directory = directory;
    this.#metrics = metrics;
    this.#log = log;
    this.#trace = log.isLevelEnabled('trace');
  }

  /**
   * Delivers an encoded frame to `name`. Synchronous (returns a boolean) when the session is
   * local; otherwise a promise of whether any node took it.
   */
  deliver(name: string, type: ServerMessageType, frame: string): boolean | Promise<boolean> {
    const local = this.#local.byName(name);
    if (local) {
      local.send(type, frame);
      return true;
    }
    return this.#directory.deliver(name, frame);
  }

  /** Relays a `signal` to its recipient, stamping `from`. Throws PEER_NOT_FOUND. */
  signal(from: Session, msg: ClientMessageOf<'signal'>, receivedAt: number): void | Promise<void> {
    const frame = '{"type":"signal","from":' + from.nameJson + ',"data":' + JSON.stringify(msg.data) + '}';
    const local = this.#local.byName(msg.to);
    if (local) {
      local.send('signal', frame);
      this.#metrics.relayLatency.observe(since(receivedAt));
      if (this.#trace) from.log.trace({ to: msg.to }, 'signal relayed');
      return;
    }
    return this.#signalRemote(msg.to, frame, receivedAt);
  }

  async #signalRemote(to: string, frame: string, receivedAt: number): Promise<void> {
    if (!(await this.#directory.deliver(to, frame)))
      throw new ParleyError('PEER_NOT_FOUND', `no peer named "${to}"`);
    this.#metrics.relayLatency.observe(since(receivedAt));
  }

  /** Relays a `room.message` to every other member. Throws NOT_IN_ROOM. */
  async roomMessage(from: Session, msg: ClientMessageOf<'room.message'>, receivedAt: number): Promise<void> {
    if (!from.rooms.has(msg.room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${msg.room}"`);
    const frame =
      '{"type":"room.message","room":' +
      JSON.stringify(msg.room) +
      ',"from":' +
      from.nameJson +
      ',"data":' +
      JSON.stringify(msg.data) +
      '}';
    await this.broadcast(msg.room, from.name, 'room.message', frame);
    this.#metrics.relayLatency.observe(since(receivedAt));
  }

  /** Sends `frame` to every member of `room` except `except`. */
  async broadcast(room: string, except: string, type: ServerMessageType, frame: string): Promise<void> {
    const members = await this.#directory.members(room);
    const remote: Promise<boolean>[] = [];
    for (const name of members) {
      if (name === except) continue;
      const r = this.deliver(name, type, frame);
      if (r !== true && r !== false) remote.push(r);
    }
    if (remote.length > 0) await Promise.all(remote);
    if (this.#trace) this.#log.trace({ room, type, members: members.length }, 'room broadcast');
  }
}
