/**
 * A session: a logged-in name with its rooms, its call, its presence subscription and its resume
 * token. It outlives its connection: when the socket drops, the session is *detached* and keeps
 * everything for the grace period, queueing the frames addressed to it; a `hello` with its token
 * attaches a new socket and flushes the queue in order.
 *
 * States: `live` (attached to a connection) → `detached` (in grace) → `live` again on resume, or
 * `closed` (bye, grace expired, shutdown). The state before `live` — a socket that has not said
 * `hello` yet — belongs to the connection handler, not here.
 *
 * May import: the session layer's own modules, transport (the `Connection` type) and the
 * foundation (log, metrics, wire). The services act on sessions; a session knows none of them.
 */
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Connection } from '../transport/connection.ts';
import type { Frame } from '../wire/frames.ts';
import { MessageQueue, type QueueBudget, type QueueLimits, type QueueObserver } from './message-queue.ts';
import { PeerRelations } from './peer-relations.ts';

export type SessionState = 'live' | 'detached' | 'closed';

/** One queue observer per metrics registry, shared by its sessions (not two closures each). */
const queueObservers = new WeakMap<Metrics, QueueObserver>();

function queueObserver(metrics: Metrics): QueueObserver {
  let observer = queueObservers.get(metrics);
  if (!observer) {
    observer = {
      changed: (frames, bytes) => {
        metrics.queued.inc(frames);
        metrics.queuedBytes.inc(bytes);
      },
      dropped: (reason) => metrics.queueDropped.labels(reason).inc(),
    };
    queueObservers.set(metrics, observer);
  }
  return observer;
}

/** A logged-in session, local to this node. */
export class Session {
  readonly name: string;
  /** `JSON.stringify(name)`, precomputed for the relay's string-built frames. */
  readonly nameJson: string;
  /**
   * The resume token (32 random bytes, base64url). It rotates on every resume: the `welcome` of a
   * resume carries a fresh one (`pendingToken`), which replaces this one once that `welcome` has
   * been written to the socket (see node/session-lifecycle.ts).
   */
  #token: string;
  #pendingToken: string | undefined;
  /** Rooms this session is in (mirrors the directory, for limits and `welcome`). */
  readonly rooms = new Set<string>();
  /** Whom this session may `signal` (cached for the relay; see peer-relations.ts). */
  readonly relations = new PeerRelations();
  /** Whether the session subscribed to presence (`presence.changed`). */
  presence = false;
  /**
   * The page said `leaving` (it is unloading, maybe for a reload): should the socket drop, the
   * session gets the short reload grace. Cleared when a connection attaches.
   */
  leaving = false;
  /**
   * What a resumed connection may take up again once (a reloaded page): its active call
   * (`call.rejoin`) and the rooms it is still a member of (a repeated `room.join`, announced to
   * the others as `peer.joined {restart}`). Set on resume, consumed on use; `rooms` stays
   * undefined until a resume (most sessions never resume).
   */
  readonly rejoinable: { call: boolean; rooms: Set<string> | undefined } = { call: false, rooms: undefined };
  /** What the authorizer's `hello` returned for this session (undefined without one). */
  authContext: unknown;
  /** Per-session logger, `{ sid, name }`. */
  readonly log: Logger;
  #state: SessionState = 'live';
  #conn: Connection | null;
  readonly #queue: MessageQueue;
  readonly #metrics: Metrics;
  /** Ends the session when its grace runs out (set while detached, not parked). */
  #graceTimer: NodeJS.Timeout | undefined;
  /** Sends `ice.updated` before the TURN credentials expire (set while live). */
  #iceTimer: NodeJS.Timeout | undefined;
  /** The resume flush in progress: frames handed to `conn`, and how many were written so far. */
  #flush: { conn: Connection; frames: readonly string[]; written: number } | null = null;

  constructor(
    name: string,
    token: string,
    conn: Connection,
    log: Logger,
    metrics: Metrics,
    queueLimits: QueueLimits,
    queueBudget: QueueBudget,
  ) {
    this.name = name;
    this.nameJson = JSON.stringify(name);
    this.#token = token;
    this.#conn = conn;
    this.log = log;
    this.#metrics = metrics;
    this.#queue = new MessageQueue(queueLimits, queueBudget, queueObserver(metrics));
  }

  /** The session's current resume token. */
  get token(): string {
    return this.#token;
  }

  /**
   * The token a resume's `welcome` is carrying while that `welcome` is not written yet. While set,
   * the current token is spent: a second resume with it is refused (one of two racing resumes
   * wins).
   */
  get pendingToken(): string | undefined {
    return this.#pendingToken;
  }

  /** Starts a rotation to `next` (see `pendingToken`). */
  beginRotation(next: string): void {
    this.#pendingToken = next;
  }

  /**
   * Ends a rotation: with `written`, `next` becomes the token and the old one is returned (dead
   * from now on); otherwise the old token stays valid. Returns undefined when `next` is no longer
   * the pending token (a later resume started another rotation).
   */
  endRotation(next: string, written: boolean): string | undefined {
    if (this.#pendingToken !== next) return undefined;
    this.#pendingToken = undefined;
    if (!written) return undefined;
    const old = this.#token;
    this.#token = next;
    return old;
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

  /** Bytes waiting for a resume. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /**
   * Sends a frame to the client, or queues it while detached. The frame's type counts it in the
   * metrics and says whether it can end a relation.
   */
  send(frame: Frame): void {
    const type = frame.type;
    // The frames that can end a relation: forget cached ones (peer-relations.ts).
    if (
      type === 'call.ended' ||
      type === 'peer.left' ||
      type === 'room.left' ||
      type === 'room.removed' ||
      type === 'room.ended'
    )
      this.relations.forgetAll();
    if (this.#state === 'live') {
      this.#metrics.frameOut(type);
      // A frame built from bytes (the relay's splice) goes out as those bytes.
      this.#conn?.send(frame.bytes ?? frame.text);
    } else if (this.#state === 'detached') {
      this.#metrics.frameOut(type);
      this.#queue.push(frame.text);
    }
  }

  /**
   * Sends a frame that may be lost (a lossy `room.data`): only while live and while the socket is
   * not backed up; never queued for a detached session. Drops are counted.
   */
  sendLossy(frame: Frame): void {
    if (this.#state === 'live' && this.#conn?.sendDroppable(frame.bytes ?? frame.text)) {
      this.#metrics.frameOut(frame.type);
      return;
    }
    this.#metrics.roomDataDropped.inc();
  }

  /**
   * Records that the queued `frames` were handed to `conn` after a resume's `welcome`; `written`
   * counts them as the socket writes them. Should the socket die first, `detach` puts the unwritten
   * ones back in the queue.
   */
  beginFlush(conn: Connection, frames: readonly string[]): void {
    this.#flush = frames.length > 0 ? { conn, frames, written: 0 } : null;
  }

  /** One more flushed frame was written by `conn`. */
  flushWritten(conn: Connection): void {
    const f = this.#flush;
    if (!f || f.conn !== conn) return;
    if (++f.written >= f.frames.length) this.#flush = null;
  }

  /**
   * Moves to `detached`: frames are queued from now on, behind the frames of an unfinished resume
   * flush (a resume never loses its queue).
   */
  detach(): void {
    if (this.#state !== 'live') return;
    this.#state = 'detached';
    // A rotation whose welcome was not written by now is abandoned: the client may not have the
    // new token, so the old one stays valid.
    this.#pendingToken = undefined;
    const f = this.#flush;
    if (f && f.conn === this.#conn && f.written < f.frames.length) {
      const back = f.frames.slice(f.written);
      this.#queue.requeue(back);
      this.log.info({ requeued: back.length }, 'resume flush cut short; frames kept');
    }
    this.#flush = null;
    this.#conn = null;
  }

  /**
   * Attaches a new connection (resume) and returns the queued frames, oldest first, for the
   * caller to send after `welcome`.
   */
  attach(conn: Connection): string[] {
    this.#state = 'live';
    this.#conn = conn;
    this.resumedAfterDrop();
    return this.#queue.drain();
  }

  /** A new connection took the session over: its page may take its call and rooms up again. */
  resumedAfterDrop(): void {
    this.leaving = false;
    this.rejoinable.call = true;
    this.rejoinable.rooms = new Set(this.rooms);
  }

  /**
   * Removes and returns the queued frames, oldest first, without attaching (the session is moving
   * to another node; see cluster/session-handoff.ts).
   */
  takeQueued(): string[] {
    return this.#queue.drain();
  }

  /** Final state; drops the queue and stops the timers. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#conn = null;
    this.#flush = null;
    this.#pendingToken = undefined;
    this.#queue.clear();
    this.stopGrace();
    this.stopIceRefresh();
  }

  /**
   * Calls `expire` after `ms` unless the session resumes (`stopGrace`) or closes first. The
   * timer does not keep the process alive. The lifecycle (node/session-lifecycle.ts) decides
   * when grace starts and what expiry does.
   */
  startGrace(ms: number, expire: () => void): void {
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(expire, ms);
    this.#graceTimer.unref();
  }

  /** Cancels the grace timer (a resume). */
  stopGrace(): void {
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  /** Calls `refresh` after `ms` (replacing a pending refresh) unless stopped or closed first. */
  scheduleIceRefresh(ms: number, refresh: () => void): void {
    clearTimeout(this.#iceTimer);
    this.#iceTimer = setTimeout(refresh, ms);
    this.#iceTimer.unref();
  }

  /** Cancels the pending ICE refresh (the socket dropped, or the server sends no TURN). */
  stopIceRefresh(): void {
    clearTimeout(this.#iceTimer);
    this.#iceTimer = undefined;
  }
}
