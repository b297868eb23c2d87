/**
 * Routes frames to sessions by name: straight to the session when it lives on this node (the
 * hot path, synchronous), otherwise through the directory to whichever node holds it. Also the
 * two relayed message kinds, `signal` and `room.message`. The server stamps `from` from the
 * session; the strict inbound schemas already refused a client-sent `from`.
 *
 * The signal path is kept lean on purpose (benchmarked against a raw ws forwarder that never
 * parses a payload): the outgoing frame is built by string concatenation of a prefix with the
 * sender's name and the client's own text of `data`, as the codec located it in the validated
 * frame (`dataJson`; wire/frames.ts `signalFrame`, tested against the schema and the old
 * re-serialising path), with no schema check on the way out and no logging unless `trace` is
 * enabled.
 *
 * Who may signal whom: a `signal` is relayed only to the other party of the sender's call
 * (ringing or active) or to a member of a room both are in. Anyone else — related to nobody, or
 * offline — gets the same PEER_NOT_FOUND with the same message, so `signal` tells a stranger
 * nothing about who is online. The relation is cached per sender (session/peer-relations.ts): the
 * hot path is one set lookup; a local recipient's shared rooms are checked from the two sessions'
 * own state; otherwise the call store and the directory are asked once, and the answer is kept
 * until a `call.ended`, `peer.left` or `room.left` reaches the sender.
 */
import { type ClientMessageOf, ParleyError } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { shareRoom } from '../session/peer-relations.ts';
import type { Session } from '../session/session.ts';
import type { SessionRegistry } from '../session/session-registry.ts';
import {
  type Frame,
  isLossyData,
  type OpaqueData,
  roomDataFrame,
  roomMessageFrame,
  signalFrame,
} from '../wire/frames.ts';

/**
 * What the relay asks of the call store: the parties of the call a name is in. `CallStore`
 * (calls/call-store.ts) provides it; the relay names only this, so it does not depend on the
 * call service that itself relays through it.
 */
export interface CallLookup {
  callOf(name: string): Promise<{ readonly caller: string; readonly callee: string } | null>;
}

/** Seconds since `start` (a `performance.now()` reading). */
const since = (start: number) => (performance.now() - start) / 1000;

/** Frame routing between sessions, local or remote. */
export class Relay {
  readonly #local: SessionRegistry;
  readonly #directory: Directory;
  readonly #calls: CallLookup;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  /** Per-frame trace logging on or off, read once (a per-frame pino lookup costs measurable CPU). */
  readonly #trace: boolean;

  constructor(
    local: SessionRegistry,
    directory: Directory,
    calls: CallLookup,
    metrics: Metrics,
    log: Logger,
  ) {
    this.#local = local;
    this.#directory = directory;
    this.#calls = calls;
    this.#metrics = metrics;
    this.#log = log;
    this.#trace = log.isLevelEnabled('trace');
  }

  /**
   * Delivers an encoded frame to `name`. Synchronous (returns a boolean) when the session is
   * local; otherwise a promise of whether any node took it.
   */
  deliver(name: string, frame: Frame): boolean | Promise<boolean> {
    const local = this.#local.byName(name);
    if (local) {
      if (isLossyData(frame)) local.sendLossy(frame);
      else local.send(frame);
      return true;
    }
    return this.#directory.deliver(name, frame.text);
  }

  /**
   * Relays a `signal` to its recipient, stamping `from`. Throws PEER_NOT_FOUND when the recipient
   * is offline or not related to the sender (one answer for both).
   */
  signal(
    from: Session,
    msg: ClientMessageOf<'signal'>,
    receivedAt: number,
    dataJson?: OpaqueData,
  ): void | Promise<void> {
    if (from.relations.has(msg.to)) return this.#forward(from, msg, receivedAt, dataJson);
    return this.#signalChecked(from, msg, receivedAt, dataJson);
  }

  /** The first signal to a peer (or the first since a relation may have ended): look it up. */
  #signalChecked(
    from: Session,
    msg: ClientMessageOf<'signal'>,
    receivedAt: number,
    dataJson: OpaqueData | undefined,
  ): void | Promise<void> {
    const to = msg.to;
    const relations = from.relations;
    // A lookup already under way for this peer: wait for it, so signals keep their order.
    let related = relations.pending(to);
    if (related === undefined) {
      // Signalling oneself reaches nobody else: allowed.
      if (to === from.name) return this.#forward(from, msg, receivedAt, dataJson);
      const local = this.#local.byName(to);
      if (local && shareRoom(from.rooms, local.rooms)) {
        relations.add(to);
        return this.#forward(from, msg, receivedAt, dataJson);
      }
      related = relations.track(to, this.#related(from, to));
    }
    return related.then((ok) => {
      if (!ok) throw peerNotFound(to);
      return this.#forward(from, msg, receivedAt, dataJson);
    });
  }

  /**
   * Whether `to` is the other party of `from`'s call or shares a room with it, asked of the call
   * store and the directory (any node's sessions).
   */
  async #related(from: Session, to: string): Promise<boolean> {
    const [call, rooms] = await Promise.all([
      this.#calls.callOf(from.name),
      from.rooms.size > 0 ? this.#directory.roomsOf(to) : undefined,
    ]);
    if (call && (call.caller === to || call.callee === to)) return true;
    if (rooms) for (const room of rooms) if (from.rooms.has(room)) return true;
    return false;
  }

  #forward(
    from: Session,
    msg: ClientMessageOf<'signal'>,
    receivedAt: number,
    dataJson: OpaqueData | undefined,
  ): void | Promise<void> {
    const frame = signalFrame(from.nameJson, msg.data, dataJson);
    const local = this.#local.byName(msg.to);
    if (local) {
      local.send(frame);
      this.#metrics.relayLatency.observe(since(receivedAt));
      if (this.#trace) from.log.trace({ to: msg.to }, 'signal relayed');
      return;
    }
    return this.#signalRemote(msg.to, frame, receivedAt);
  }

  async #signalRemote(to: string, frame: Frame<'signal'>, receivedAt: number): Promise<void> {
    if (!(await this.#directory.deliver(to, frame.text))) throw peerNotFound(to);
    this.#metrics.relayLatency.observe(since(receivedAt));
  }

  /** Relays a `room.message` to every other member. Throws NOT_IN_ROOM. */
  async roomMessage(
    from: Session,
    msg: ClientMessageOf<'room.message'>,
    receivedAt: number,
    dataJson?: OpaqueData,
  ): Promise<void> {
    if (!from.rooms.has(msg.room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${msg.room}"`);
    await this.broadcast(msg.room, from.name, roomMessageFrame(msg.room, from.nameJson, msg.data, dataJson));
    this.#metrics.relayLatency.observe(since(receivedAt));
  }

  /**
   * Relays one `room.data` part to every other member, `from` stamped by the server. Throws
   * NOT_IN_ROOM. Its rate limits were applied on receipt (node/connection-handler.ts); a lossy
   * part is dropped for a recipient that is backed up or away (Session.sendLossy), a reliable
   * one goes like any frame (in order; a recipient that cannot keep up is a slow consumer).
   */
  async roomData(from: Session, msg: ClientMessageOf<'room.data'>, receivedAt: number): Promise<void> {
    if (!from.rooms.has(msg.room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${msg.room}"`);
    await this.broadcast(msg.room, from.name, roomDataFrame(from.name, msg));
    this.#metrics.relayLatency.observe(since(receivedAt));
  }

  /** Sends `frame` to every member of `room` except `except`. */
  async broadcast(room: string, except: string, frame: Frame): Promise<void> {
    const members = await this.#directory.members(room);
    const remote: Promise<boolean>[] = [];
    for (const name of members) {
      if (name === except) continue;
      const r = this.deliver(name, frame);
      if (r !== true && r !== false) remote.push(r);
    }
    if (remote.length > 0) await Promise.all(remote);
    if (this.#trace) this.#log.trace({ room, type: frame.type, members: members.length }, 'room broadcast');
  }
}

/** The one answer for an offline name and for a name the sender may not signal. */
function peerNotFound(to: string): ParleyError {
  return new ParleyError('PEER_NOT_FOUND', `no peer named "${to}"`);
}
