/**
 * The session lifecycle: login and resume (`hello`, also adopting a session parked by another
 * node), welcome and the ICE refresh while live, detaching into grace when a socket drops (or
 * parking in shared storage), and the end of a session (bye, grace expiry, shutdown) with the
 * notifications that go with it. The `Session` entity keeps its own state and timers
 * (session/session.ts); this module decides when they start and what they do.
 *
 * May import: every layer below node.
 */
import { randomBytes } from 'node:crypto';
import { type ClientMessageOf, chooseVersion, ParleyError, PROTOCOL_VERSIONS } from '@parley/protocol';
import type { Authorizer } from '../auth/authorizer.ts';
import type { ParkedSession, SessionHandoff } from '../cluster/session-handoff.ts';
import type { Config } from '../config/variables.ts';
import type { Directory } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { QueueBudget, type QueueLimits } from '../session/message-queue.ts';
import { newResumeToken } from '../session/resume-token.ts';
import { Session } from '../session/session.ts';
import type { Connection } from '../transport/connection.ts';
import { errorFrame, type Frame, frame } from '../wire/frames.ts';
import type { Services } from './services.ts';

/** Refresh TURN credentials when this share of their lifetime has passed. */
const ICE_REFRESH_AT = 0.8;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Who asks for ICE servers: the session's address and the host its socket came in as. */
const iceClientOf = (session: Session) => ({
  ip: session.connection?.ip ?? '',
  host: session.connection?.publicHost,
});

/** What the lifecycle is built from. */
export interface SessionLifecycleOptions {
  config: Readonly<Config>;
  metrics: Metrics;
  directory: Directory;
  nodeId: string;
  /** The services a session's start and end touch. */
  services: Pick<Services, 'registry' | 'calls' | 'rooms' | 'presence' | 'ice' | 'sfu'>;
  authorizer?: Authorizer | undefined;
  /**
   * Shared storage of detached sessions (e.g. the Redis directory). When set, a session whose
   * socket drops is parked there so it can resume on any node; without it, grace is local.
   */
  handoff?: SessionHandoff | undefined;
  /**
   * The node's root logger. Session loggers are made as its children, with the connection's
   * `cid`, rather than as children of the connection's logger: pino gives each child a hidden
   * class of its own per parent, so a grandchild per connection costs ~300 bytes more.
   */
  log?: Logger | undefined;
}

/** How a session ends: on purpose (`bye`) or because its grace ran out or the node stops. */
type EndHow = 'bye' | 'gone';

/** Starts, resumes, detaches and ends the sessions of this node. */
export class SessionLifecycle {
  readonly #config: Readonly<Config>;
  readonly #metrics: Metrics;
  readonly #directory: Directory;
  readonly #nodeId: string;
  readonly #authorizer: Authorizer | undefined;
  readonly #handoff: SessionHandoff | undefined;
  readonly #registry: Services['registry'];
  readonly #calls: Services['calls'];
  readonly #rooms: Services['rooms'];
  readonly #presence: Services['presence'];
  readonly #ice: Services['ice'];
  /** Whether rooms can move to an SFU here (welcome then advertises the threshold). */
  readonly #hasSfu: boolean;
  /** Sessions being parked, by token: a resume waits for the park, then takes the session. */
  readonly #parking = new Map<string, Promise<void>>();
  /** The bytes queued for all detached sessions of this node (PARLEY_QUEUE_TOTAL_BYTES). */
  readonly #queueBudget: QueueBudget;
  readonly #queueLimits: QueueLimits;

  readonly #rootLog: Logger | undefined;

  constructor(o: SessionLifecycleOptions) {
    this.#rootLog = o.log;
    this.#authorizer = o.authorizer;
    this.#handoff = o.handoff;
    this.#config = o.config;
    this.#metrics = o.metrics;
    this.#directory = o.directory;
    this.#nodeId = o.nodeId;
    this.#registry = o.services.registry;
    this.#calls = o.services.calls;
    this.#rooms = o.services.rooms;
    this.#presence = o.services.presence;
    this.#ice = o.services.ice;
    this.#hasSfu = o.services.sfu !== undefined;
    this.#queueBudget = new QueueBudget(o.config.queueTotalBytes);
    this.#queueLimits = { maxFrames: o.config.queueMax, maxBytes: o.config.queueMaxBytes };
  }

  /**
   * Handles `hello` on `conn`: resumes the session of `msg.resume` when it is still alive here
   * (replacing its old socket, if any) or parked in shared storage, else claims the name for a
   * fresh session. Sends `welcome` (then, on resume, the queued frames in order). Returns null
   * when the socket closed meanwhile. Throws UNSUPPORTED_VERSION (fatal), NAME_TAKEN, or what the
   * authorizer throws (UNAUTHORIZED, FORBIDDEN).
   *
   * A token resumes only the session it was issued to, under that session's name, and only once:
   * the resume's `welcome` carries a fresh token and the presented one is spent at once (dead for
   * good once that `welcome` is written). A token that is unknown, spent, or presented with
   * another name is ignored: the hello is a fresh login for `msg.name` (NAME_TAKEN while the
   * session holds the name). So of two resumes racing with one token exactly one wins.
   */
  async hello(conn: Connection, msg: ClientMessageOf<'hello'>, connLog: Logger): Promise<Session | null> {
    const version = chooseVersion(msg.versions);
    if (!version) {
      throw new ParleyError(
        'UNSUPPORTED_VERSION',
        `this server speaks protocol version ${PROTOCOL_VERSIONS.join(', ')} only`,
      );
    }
    // Every connection is admitted afresh, also a resume: tokens gate connecting, not staying.
    const authorize = this.#authorizer?.hello !== undefined;
    const authContext = this.#authorizer?.hello
      ? await this.#authorizer.hello({ name: msg.name, token: msg.token, ip: conn.ip })
      : undefined;
    if (msg.resume !== undefined) {
      await this.#parking.get(msg.resume);
      const old = this.#registry.byToken(msg.resume);
      if (old) {
        // The access token was checked for `msg.name`: the session must be that name's.
        if (old.state !== 'closed' && old.pendingToken === undefined && old.name === msg.name) {
          if (authorize) old.authContext = authContext;
          return this.#resume(old, conn, version, msg.id);
        }
      } else if (this.#handoff && !conn.closing) {
        let adopted: Session | undefined;
        const taken = await this.#handoff.take(msg.resume, msg.name, (parked) => {
          adopted = this.#adopt(parked, conn, version, msg.id, connLog);
        });
        if (taken && adopted) {
          if (authorize) adopted.authContext = authContext;
          return adopted;
        }
      }
    }
    if (!(await this.#directory.claimName(msg.name, this.#nodeId))) {
      throw new ParleyError('NAME_TAKEN', `the name "${msg.name}" is taken`);
    }
    if (conn.closing) {
      await this.#directory.releaseName(msg.name, this.#nodeId);
      return null;
    }
    const token = newResumeToken();
    const session = this.#register(msg.name, token, conn, connLog, authContext);
    const log = session.log;
    this.#welcome(session, version, false, msg.id);
    void this.#calls.sendMissed(session).catch((err) => session.log.warn({ err }, 'missed calls not read'));
    this.#scheduleIce(session);
    log.info({ version, resumed: false }, 'session started');
    if (this.#handoff)
      await this.#handoff.started(token, msg.name).catch((err) => log.warn({ err }, 'token not shared'));
    return session;
  }

  /**
   * Registers a session parked by another node (or by this one) and resumes it on `conn`:
   * `welcome`, then the frames queued while it was parked. Synchronous, so no newer frame for the
   * session can be delivered in between (see `SessionHandoff.take`).
   */
  #adopt(
    parked: ParkedSession,
    conn: Connection,
    version: string,
    re: string | number | undefined,
    connLog: Logger,
  ): Session {
    const session = this.#register(
      parked.name,
      parked.token,
      conn,
      connLog,
      parked.authContext,
      parked.rooms,
    );
    const log = session.log;
    session.resumedAfterDrop();
    this.#resumed(session, conn, version, re, parked.frames);
    this.#scheduleIce(session);
    log.info({ version, resumed: true, flushed: parked.frames.length, from: 'parked' }, 'session resumed');
    // A call that rang while the client was away rings on here, whichever node times the ring.
    void this.#calls.calleeBack(session);
    if (conn.closing) queueMicrotask(() => this.connectionLost(session));
    return session;
  }

  /** A new local session on `conn` (fresh, or adopted with its rooms), registered and counted. */
  #register(
    name: string,
    token: string,
    conn: Connection,
    connLog: Logger,
    authContext: unknown,
    rooms: readonly string[] = [],
  ): Session {
    const sid = randomBytes(6).toString('hex');
    const log = this.#rootLog
      ? this.#rootLog.child({ cid: conn.id, sid, name })
      : connLog.child({ sid, name });
    const session = new Session(name, token, conn, log, this.#metrics, this.#queueLimits, this.#queueBudget);
    session.authContext = authContext;
    for (const room of rooms) session.rooms.add(room);
    this.#registry.add(session);
    this.#metrics.sessions.inc();
    return session;
  }

  #resume(session: Session, conn: Connection, version: string, re: string | number | undefined): Session {
    const previous = session.connection;
    if (previous && previous !== conn) {
      this.#metrics.errors.labels('SESSION_REPLACED').inc();
      previous.send(errorFrame('SESSION_REPLACED', 'the session was resumed on another connection').text);
      previous.closeFor('SESSION_REPLACED');
    }
    session.stopGrace();
    const queued = session.attach(conn);
    this.#resumed(session, conn, version, re, queued);
    this.#scheduleIce(session);
    session.log.info({ version, resumed: true, flushed: queued.length }, 'session resumed');
    // A call that rang while the client was away rings on with the time it has left.
    void this.#calls.calleeBack(session);
    void this.#calls.sendMissed(session).catch((err) => session.log.warn({ err }, 'missed calls not read'));
    return session;
  }

  /**
   * Sends a resume's `welcome` with a fresh token, then the frames queued during grace, in the
   * order they were addressed. The flush is exempt from the slow-consumer cap (it is bounded by
   * PARLEY_QUEUE_MAX_BYTES), and frames the socket has not written when it dies go back to the
   * queue (`Session.detach`): a resume never loses its queue. The presented token is spent now
   * and dead once the `welcome` is written; should the socket die before that, it stays valid
   * (the client may never have seen the new one).
   */
  #resumed(
    session: Session,
    conn: Connection,
    version: string,
    re: string | number | undefined,
    frames: readonly string[],
  ): void {
    const next = newResumeToken();
    session.beginRotation(next);
    this.#metrics.resumes.inc();
    const welcome = this.#welcomeFrame(session, version, true, re, next);
    this.#metrics.frameOut(welcome.type);
    conn.sendTracked(welcome.text, (ok) => this.#rotated(session, conn, next, ok));
    session.beginFlush(conn, frames);
    const written = (ok: boolean) => {
      if (ok) session.flushWritten(conn);
    };
    for (const frame of frames) conn.sendTracked(frame, written, true);
  }

  /** The `welcome` carrying `next` was written (`ok`) or not: finish the token rotation. */
  #rotated(session: Session, conn: Connection, next: string, ok: boolean): void {
    const old = session.endRotation(next, ok && session.connection === conn);
    if (old === undefined) return;
    this.#registry.rekey(session, old);
    this.#handoff
      ?.rotated(old, next, session.name)
      .catch((err: unknown) => session.log.warn({ err }, 'rotated token not shared'));
  }

  #welcome(session: Session, version: string, resumed: boolean, re: string | number | undefined): void {
    session.send(this.#welcomeFrame(session, version, resumed, re, session.token));
  }

  #welcomeFrame(
    session: Session,
    version: string,
    resumed: boolean,
    re: string | number | undefined,
    token: string,
  ): Frame<'welcome'> {
    return frame({
      type: 'welcome',
      re,
      version,
      name: session.name,
      session: token,
      iceServers: this.#ice.forSession(session.name, iceClientOf(session), 'welcome').iceServers,
      heartbeatMs: this.#config.heartbeatMs,
      graceMs: Math.round(this.#config.graceS * 1000),
      resumed,
      rooms: [...session.rooms].sort(),
      // The room figures this server enforces: its member cap, and (with Janus) the size past
      // which a room moves to the SFU, so apps need not guess them.
      roomLimits: {
        maxMembers: this.#config.maxPeersPerRoom,
        ...(this.#hasSfu ? { sfuThreshold: this.#config.sfuThreshold } : {}),
        data: {
          perS: this.#config.roomDataPerS,
          burst: this.#config.roomDataBurst,
          bytesPerS: this.#config.roomDataBytesPerS,
          bytesBurst: this.#config.roomDataBytesBurst,
        },
      },
    });
  }

  /**
   * Sends `ice.updated` with fresh TURN credentials before the current ones expire; a session
   * whose address had no TURN place left at `welcome` gets them this way once one is free.
   */
  #scheduleIce(session: Session): void {
    if (!this.#ice.refreshes) {
      session.stopIceRefresh();
      return;
    }
    const delay = Math.min(MAX_TIMER_MS, Math.round(this.#config.turnTtlS * 1000 * ICE_REFRESH_AT));
    session.scheduleIceRefresh(delay, () => {
      if (session.state !== 'live') return;
      const { iceServers, turn } = this.#ice.forSession(session.name, iceClientOf(session), 'refresh');
      session.send(frame({ type: 'ice.updated', iceServers }));
      session.log.debug({ turn }, 'ice servers refreshed');
      this.#scheduleIce(session);
    });
  }

  /** The session's socket dropped: keep it for the grace period, then end it. */
  connectionLost(session: Session): void {
    if (session.state !== 'live') return;
    session.detach();
    session.stopIceRefresh();
    const graceMs = Math.round(
      (session.leaving ? Math.min(this.#config.reloadGraceS, this.#config.graceS) : this.#config.graceS) *
        1000,
    );
    session.log.info({ graceMs, leaving: session.leaving }, 'session detached');
    if (session.leaving && graceMs > 0)
      this.#calls
        .held(session.name, graceMs)
        .catch((err: unknown) => session.log.warn({ err }, 'call.held not sent'));
    if (graceMs === 0) {
      this.#endSoon(session, 'gone');
      return;
    }
    if (this.#handoff) {
      this.#park(session, this.#handoff, graceMs);
      return;
    }
    this.#startGrace(session, graceMs);
  }

  #startGrace(session: Session, graceMs: number): void {
    session.startGrace(graceMs, () => this.#endSoon(session, 'gone'));
  }

  /**
   * Moves a detached session to shared storage so it can resume on any node; falls back to
   * local grace when the storage cannot take it (e.g. Redis unreachable).
   */
  #park(session: Session, handoff: SessionHandoff, graceMs: number): void {
    const detached = { name: session.name, token: session.token, authContext: session.authContext };
    let left = false;
    const done = handoff
      .park(detached, graceMs, () => {
        // The session leaves this node now, without ending: no peer is told anything.
        left = true;
        const frames = session.takeQueued();
        this.#registry.remove(session);
        this.#presence.forget(session);
        this.#metrics.sessions.dec();
        session.close();
        return frames;
      })
      .catch((err: unknown) => {
        session.log.warn({ err }, 'parking failed');
        return false;
      })
      .then((parked) => {
        if (parked) session.log.info({ graceMs }, 'session parked');
        else if (!left && session.state === 'detached') this.#startGrace(session, graceMs);
      })
      .finally(() => this.#parking.delete(session.token));
    this.#parking.set(session.token, done);
  }

  /**
   * Handles `leaving`: the page is unloading. Nothing ends now; a socket drop that follows gets
   * the reload grace (see connectionLost). Idempotent.
   */
  leaving(session: Session): void {
    if (!session.leaving) session.log.info('page leaving');
    session.leaving = true;
  }

  /** Handles `bye`: the session ends now, without grace. */
  async bye(session: Session): Promise<void> {
    await this.end(session, 'bye');
  }

  #endSoon(session: Session, how: EndHow): void {
    this.end(session, how).catch((err) => session.log.error({ err }, 'ending a session failed'));
  }

  /**
   * Ends a session: peers in its rooms get `peer.left` (`left` on bye, `gone` otherwise), its
   * call ends (`hangup` / `peer_gone`), its name is released (presence goes offline).
   */
  async end(session: Session, how: EndHow): Promise<void> {
    if (session.state === 'closed') return;
    session.close();
    this.#registry.remove(session);
    this.#presence.forget(session);
    this.#metrics.sessions.dec();
    await this.#calls.endFor(session.name, how === 'bye' ? 'hangup' : 'peer_gone');
    await this.#rooms.leaveAll(session, how === 'bye' ? 'left' : 'gone');
    await this.#directory.releaseName(session.name, this.#nodeId);
    if (this.#handoff) await this.#handoff.ended(session.token).catch(() => {});
    session.log.info({ how }, 'session ended');
  }

  /**
   * Ends every session (shutdown). With shared session storage the sessions are parked instead,
   * so their clients resume on another node.
   */
  async close(): Promise<void> {
    if (this.#handoff) {
      for (const s of [...this.#registry.values()]) if (s.state === 'live') this.connectionLost(s);
      await Promise.allSettled([...this.#parking.values()]);
    }
    const sessions = [...this.#registry.values()];
    await Promise.allSettled(sessions.map((s) => this.end(s, 'gone')));
  }
}
