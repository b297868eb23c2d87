/**
 * A session: a logged-in name with its rooms, its call, its presence subscription and its resume
 * token. It outlives its connection: when the socket drops, the session is *detached* and keeps
 * everything for the grace period, queueing the frames addressed to it; a `hello` with its token
 * attaches a new socket and flushes the queue in order.
 *
 * States: `live` (attached to a connection) → `detached` (in grace) → `live` again on resume, or
 * `closed` (bye, grace expired, shutdown). The state before `live` — a socket that has not said
 * `hello` yet — belongs to the connection handler, not here.
 */
import type { ServerMessageType } from '@parley/protocol';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { PeerRelations } from '../relay/peer-relations.ts';
import type { Connection } from '../transport/connection.ts';
import { MessageQueue } from './message-queue.ts';

export type SessionState = 'live' | 'detached' | 'closed';

/** A logged-in session, local to this node. */
export class Session {
  readonly name: string;
  /** `JSON.stringify(name)`, precomputed for the relay's string-built frames. */
  readonly nameJson: string;
  /** The resume token (32 random bytes, base64url). */
  readonly token: string;
  /** Rooms this session is in (mirrors the directory, for limits and `welcome`). */
  readonly rooms = new Set<string>();
  /** Whom this session may `signal` (cached; see relay/peer-relations.ts). */
  readonly relations = new PeerRelations();
  /** Whether the session receives `presence.updated`. */
  presence = false;
  /** What the authorizer's `hello` returned for this session (undefined without one). */
  authContext: unknown;
  /** Per-session logger, `{ sid, name }`. */
  readonly log: Logger;
  /** Timer expiring the session at the end of its grace. */
  graceTimer: NodeJS.Timeout | undefined;
  /** Timer sending `ice.updated` before TURN credentials expire. */
  iceTimer: NodeJS.Timeout | undefined;
  #state: SessionState = 'live';
  #conn: Connection | null;
  readonly #queue: MessageQueue;
  readonly #metrics: Metrics;

  constructor(
    name: string,
    token: string,
    conn: Connection,
    log: Logger,
    metrics: Metrics,
    queueMax: number,
  ) {
    this.name = name;
    this.nameJson = JSON.stringify(name);
    this.token = token;
    this.#conn = conn;
    this.log = log;
    this.#metrics = metrics;
    this.#queue = new MessageQueue(queueMax);
  }

  get state(): SessionState {
    return this.#state;
  }

  get connection(): Connection | null {
    return this.#conn;
  }

  /** Frames waiting for a resume. */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Sends a frame to the client, or queues it while detached. `type` is the frame's message type,
   * for metrics (the caller knows it; parsing the frame back would cost more).
   */
  send(type: ServerMessageType, frame: string): void {
    // The frames that can end a relation: forget cached ones (relay/peer-relations.ts).
    if (type === 'call.ended' || type === 'peer.left' || type === 'room.left') this.relations.forgetAll();
    if (this.#state === 'live') {
      this.#metrics.frameOut(type);
      this.#conn?.send(frame);
    } else if (this.#state === 'detached') {
      this.#metrics.frameOut(type);
      if (this.#queue.push(frame)) this.#metrics.queueDropped.inc();
      else this.#metrics.queued.inc();
    }
  }

  /** Moves to `detached`: frames are queued from now on. */
  detach(): void {
    if (this.#state !== 'live') return;
    this.#state = 'detached';
    this.#conn = null;
  }

  /**
   * Attaches a new connection (resume) and returns the queued frames, oldest first, for the
   * caller to send after `welcome`.
   */
  attach(conn: Connection): string[] {
    this.#state = 'live';
    this.#conn = conn;
    const frames = this.#queue.drain();
    this.#metrics.queued.dec(frames.length);
    return frames;
  }

  /**
   * Removes and returns the queued frames, oldest first, without attaching (the session is moving
   * to another node; see cluster/session-handoff.ts).
   */
  takeQueued(): string[] {
    const frames = this.#queue.drain();
    this.#metrics.queued.dec(frames.length);
    return frames;
  }

  /** Final state; drops the queue and stops the timers. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#conn = null;
    this.#metrics.queued.dec(this.#queue.size);
    this.#queue.clear();
    clearTimeout(this.graceTimer);
    clearTimeout(this.iceTimer);
  }
}
