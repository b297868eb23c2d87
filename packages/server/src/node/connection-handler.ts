/**
 * The protocol on one socket: rate limiting, decoding, in-order dispatch, and the error boundary.
 *
 * Each frame goes: frame and byte buckets (RATE_LIMITED, then FLOODING when too many of the
 * connection's frames are refused over a window; see flood-guard.ts)
 * → `decodeClient` (size → JSON → type → schema) → the exhaustive `switch (msg.type)`. Handlers
 * may be async (the directory is); frames arriving meanwhile wait in a bounded queue so that
 * every connection's frames are handled, and relayed, in the order they were sent.
 *
 * Before `hello` succeeds only `hello` is accepted (NOT_LOGGED_IN otherwise), within the hello
 * timeout. Replies echo the request `id` as `re`; requests without a reply of their own
 * (`signal`, `room.message`, `presence.unsubscribe`, `bye`, `leaving`) get `ack {re}` when they had an id.
 * A socket the client closes with 1001 (going away: its page is unloading) counts as `leaving`.
 *
 * The handler receives what it calls: the session lifecycle (hello, bye, a lost socket) and the
 * services a request reaches (node/services.ts), from the composition root.
 *
 * May import: every layer below node, and the node's lifecycle and services types.
 */
import {
  assertNever,
  type ClientMessage,
  type ClientMessageOf,
  type DecodeResult,
  decodeClient,
  ERRORS,
  type ErrorCode,
  ParleyError,
  ROOM_DATA_FRAME_PREFIX,
} from '@parley/protocol';
import type { LoginGate } from '../auth/login-gate.ts';
import type { Config } from '../config/variables.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { FloodGuard } from '../session/flood-guard.ts';
import type { Session } from '../session/session.ts';
import type { Connection, InboundData } from '../transport/connection.ts';
import { errorFrame, type Frame, frame, type OpaqueData } from '../wire/frames.ts';
import { toErrorReply } from './error-boundary.ts';
import type { Services } from './services.ts';
import type { SessionLifecycle } from './session-lifecycle.ts';

/** Frames that may wait behind a slow handler before the sender counts as flooding. */
const MAX_PENDING = 1024;
/**
 * `signal` frames whose remote delivery may be outstanding at once on one connection. They do
 * not hold up the frames behind them: the relay issues a remote delivery synchronously, and the
 * directory performs deliveries in the order issued (one Redis connection), so the order per
 * sender is kept without waiting a round trip per frame — otherwise one connection could relay
 * at most one signal per Redis round trip to peers on other nodes. (`room.message` still waits:
 * it reads the members first, so a later signal could overtake it.) Beyond this many in flight,
 * the connection waits as for any other request.
 */
const MAX_RELAYS_IN_FLIGHT = 256;

/**
 * The close code a browser sends when it closes a page's sockets because the page is going away
 * (a reload, a navigation, a closed tab; RFC 6455 §7.4.1). It counts as `leaving`: Firefox closes
 * the socket when a reload or navigation starts, before `pagehide`, so the `leaving` frame a page
 * sends there never leaves, and even on a closed tab the frame is not always sent first; the close
 * frame itself always is. This server never closes a socket with it. Like `leaving`, it can only
 * shorten the grace of the socket's own session.
 */
const GOING_AWAY = 1001;

type ReqId = string | number | undefined;

/** How the SDK's `room.data` frames start (protocol room-data.ts), as bytes. */
const DATA_PREFIX = Buffer.from(ROOM_DATA_FRAME_PREFIX);

/** Whether a frame starts with room data's prefix (and so counts against its buckets). */
function startsAsRoomData(buf: Buffer): boolean {
  return (
    buf.length > DATA_PREFIX.length &&
    buf.compare(DATA_PREFIX, 0, DATA_PREFIX.length, 0, DATA_PREFIX.length) === 0
  );
}

/** Bytes of a received message, however `ws` delivered it. */
function rawBytes(data: InboundData): number {
  if (Array.isArray(data)) {
    let n = 0;
    for (const b of data) n += b.length;
    return n;
  }
  return data.byteLength;
}

/**
 * The opaque `data` the codec located in a relayed message, for the relay to splice in: its bytes
 * in the received frame when the frame is ASCII (then UTF-16 indices are byte offsets, and the
 * outgoing frame is built from bytes without decoding or encoding the payload), else its text.
 */
function opaqueData(
  r: DecodeResult<ClientMessage>,
  raw: string | Buffer,
  buf: Buffer,
): OpaqueData | undefined {
  if (!r.ok || r.dataJson === undefined) return undefined;
  if (typeof raw === 'string' && raw.length === buf.length && r.dataAt !== undefined)
    return buf.subarray(r.dataAt, r.dataAt + r.dataJson.length);
  return r.dataJson;
}

/** Test seams: a hook that runs before every dispatch (used to inject failures). */
export interface HandlerHooks {
  beforeDispatch?(msg: ClientMessage): void;
}

/** The services a request reaches. */
export type RequestServices = Pick<Services, 'relay' | 'rooms' | 'calls' | 'presence' | 'sfu'> &
  Partial<Pick<Services, 'recorder'>>;

/** What every connection handler of a node shares (built once by the composition root). */
export interface HandlerContext {
  readonly lifecycle: Pick<SessionLifecycle, 'hello' | 'bye' | 'leaving' | 'connectionLost'>;
  readonly services: RequestServices;
  readonly config: Readonly<Config>;
  readonly metrics: Metrics;
  readonly hooks?: HandlerHooks | undefined;
  /** The node's login admission (reconnect storms); none admits every login. */
  readonly loginGate?: LoginGate | undefined;
}

/** The per-socket protocol handler. */
/** The hooks of a handler given none: one object for all of them. */
const NO_HOOKS: HandlerHooks = Object.freeze({});

export class ConnectionHandler {
  readonly #conn: Connection;
  readonly #lifecycle: HandlerContext['lifecycle'];
  readonly #services: RequestServices;
  readonly #config: Readonly<Config>;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #hooks: HandlerHooks;
  readonly #loginGate: LoginGate | undefined;
  readonly #flood: FloodGuard;
  /** The sender's own limits for `room.data` (PARLEY_ROOM_DATA_*), made on its first such frame. */
  #dataFlood: FloodGuard | undefined;
  #state: 'awaiting' | 'live' | 'closed' = 'awaiting';
  #session: Session | null = null;
  #busy = false;
  #relaysInFlight = 0;
  #pending: { data: InboundData; isBinary: boolean; at: number }[] = [];
  #helloTimer: NodeJS.Timeout | undefined;
  /**
   * Whether per-frame trace logging is on, read once: asking pino per frame costs measurable CPU
   * with many connections (a megamorphic lookup on child loggers; see docs/BENCHMARKS.md).
   */
  readonly #traceFrames: boolean;

  /** Handles `conn` from now on; `log` is the connection's child logger. */
  constructor(conn: Connection, context: HandlerContext, log: Logger) {
    const config = context.config;
    this.#conn = conn;
    this.#lifecycle = context.lifecycle;
    this.#services = context.services;
    this.#config = config;
    this.#log = log;
    this.#metrics = context.metrics;
    this.#hooks = context.hooks ?? NO_HOOKS;
    this.#loginGate = context.loginGate;
    this.#flood = new FloodGuard(config);
    this.#traceFrames = log.isLevelEnabled('trace');
    this.#helloTimer = setTimeout(() => {
      if (this.#state === 'awaiting')
        this.#fatal('HELLO_TIMEOUT', 'no hello within the time limit', undefined);
    }, config.helloTimeoutMs);
    this.#helloTimer.unref();
    conn.onFrame((data, isBinary) => this.#onMessage(data, isBinary));
    conn.onClose((code) => this.#onClose(code));
  }

  /** The session once `hello` succeeded. */
  get session(): Session | null {
    return this.#session;
  }

  #onMessage(data: InboundData, isBinary: boolean): void {
    const at = performance.now();
    if (this.#state === 'closed' || this.#conn.closing) return;
    // Frame and byte rate limits; flooding is judged over a window (session/flood-guard.ts).
    switch (this.#guardFor(data).check(rawBytes(data), at)) {
      case 'pass':
        break;
      case 'reply':
        this.#error('RATE_LIMITED', 'too many frames or bytes; this one was dropped', undefined);
        return;
      case 'silent':
        this.#metrics.rateLimitedSilent.inc();
        return;
      case 'close':
        this.#fatal('FLOODING', 'too many frames refused by the rate limits', undefined);
        return;
    }
    if (this.#busy) {
      if (this.#pending.length >= MAX_PENDING) {
        this.#fatal('FLOODING', 'too many frames waiting to be handled', undefined);
        return;
      }
      this.#pending.push({ data, isBinary, at });
      return;
    }
    this.#process(data, isBinary, at);
  }

  /**
   * The rate limits a frame counts against: room data (a frame starting with the SDK's
   * `{"type":"room.data",`) has its own per-sender buckets, so a game's stream of updates neither
   * starves the sender's signaling nor is held to signaling's rate. A `room.data` written another
   * way counts against the general buckets; a frame with the prefix that is not room data (a
   * second `type` key) counts against the room data ones and is refused (`#process`).
   */
  #guardFor(data: InboundData): FloodGuard {
    if (!Buffer.isBuffer(data) || !startsAsRoomData(data)) return this.#flood;
    const c = this.#config;
    this.#dataFlood ??= new FloodGuard({
      ...c,
      ratePerS: c.roomDataPerS,
      rateBurst: c.roomDataBurst,
      rateBytesPerS: c.roomDataBytesPerS,
      rateBytesBurst: c.roomDataBytesBurst,
    });
    return this.#dataFlood;
  }

  #process(data: InboundData, isBinary: boolean, at: number): void {
    if (this.#state === 'closed' || this.#conn.closing) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    // ws has already validated the UTF-8 of text frames (it closes with 1007 otherwise), so
    // Buffer#toString is safe and cheaper than the codec's fatal TextDecoder; binary frames get
    // the codec's checked decoding. Oversized frames skip the conversion entirely.
    const raw = isBinary || buf.length > this.#config.maxFrameBytes ? buf : buf.toString('utf8');
    const r = decodeClient(raw, this.#config.maxFrameBytes);
    if (!r.ok) {
      this.#metrics.frameIn('invalid');
      if (this.#log.isLevelEnabled('debug')) this.#log.debug({ code: r.code }, 'frame rejected');
      this.#error(r.code, r.message, r.re);
      return;
    }
    const msg = r.msg;
    // A frame charged to the room data buckets (it starts as room data) must be room data: with a
    // second `type` key further on, JSON.parse would make it any message, sent at room data's
    // rates instead of the general ones.
    if (msg.type !== 'room.data' && startsAsRoomData(buf)) {
      this.#metrics.frameIn('invalid');
      this.#error('BAD_MESSAGE', 'a frame that starts as room.data must be room.data', msg.id);
      return;
    }
    this.#metrics.frameIn(msg.type);
    if (this.#traceFrames) this.#log.trace({ type: msg.type }, 'frame received');
    let result: void | Promise<void>;
    try {
      result = this.#dispatch(msg, at, opaqueData(r, raw, buf));
    } catch (err) {
      this.#fail(err, msg.id);
      return;
    }
    // A signal waiting for its relation lookup (session/peer-relations.ts) holds up the frames
    // behind it like any other request, so nothing from this connection overtakes it.
    if (result && msg.type === 'signal' && this.#session?.relations.pending(msg.to) === undefined) {
      if (this.#relaysInFlight < MAX_RELAYS_IN_FLIGHT) {
        this.#relaysInFlight++;
        result
          .catch((err: unknown) => this.#fail(err, msg.id))
          .finally(() => {
            this.#relaysInFlight--;
          });
        return;
      }
    }
    if (result) {
      this.#busy = true;
      result.then(
        () => this.#resumeQueue(),
        (err: unknown) => {
          this.#fail(err, msg.id);
          this.#resumeQueue();
        },
      );
    }
  }

  #resumeQueue(): void {
    this.#busy = false;
    while (!this.#busy && this.#pending.length > 0) {
      const next = this.#pending.shift()!;
      this.#process(next.data, next.isBinary, next.at);
    }
  }

  /** `dataJson`: an opaque `data` as the client sent it (codec), relayed as is. */
  #dispatch(msg: ClientMessage, at: number, dataJson: OpaqueData | undefined): void | Promise<void> {
    this.#hooks.beforeDispatch?.(msg);
    if (this.#state === 'awaiting') {
      if (msg.type === 'hello') return this.#hello(msg);
      throw new ParleyError('NOT_LOGGED_IN', 'send hello first');
    }
    const s = this.#session!;
    const services = this.#services;
    switch (msg.type) {
      case 'hello':
        throw new ParleyError('ALREADY_LOGGED_IN', 'this connection already has a session');
      case 'bye':
        return this.#bye(s, msg);
      case 'leaving':
        this.#lifecycle.leaving(s);
        return this.#ackAfter(undefined, msg.id);
      case 'room.join':
        return services.rooms.join(s, msg);
      case 'room.leave':
        return services.rooms.leave(s, msg);
      case 'room.message':
        return this.#ackAfter(services.relay.roomMessage(s, msg, at, dataJson), msg.id);
      case 'room.data':
        return this.#ackAfter(services.relay.roomData(s, msg, at), msg.id);
      case 'signal':
        return this.#ackAfter(services.relay.signal(s, msg, at, dataJson), msg.id);
      case 'call.invite':
        return services.calls.invite(s, msg);
      case 'call.accept':
        return services.calls.accept(s, msg);
      case 'call.decline':
        return services.calls.decline(s, msg);
      case 'call.cancel':
        return services.calls.cancel(s, msg);
      case 'call.hangup':
        return services.calls.hangup(s, msg);
      case 'call.resume':
        return services.calls.resume(s, msg);
      case 'call.rejoin':
        return services.calls.rejoin(s, msg);
      case 'presence.subscribe':
        return services.presence.subscribe(s, msg);
      case 'presence.unsubscribe':
        services.presence.unsubscribe(s);
        return this.#ackAfter(undefined, msg.id);
      case 'sfu.publish':
      case 'sfu.unpublish':
      case 'sfu.subscribe':
      case 'sfu.answer':
      case 'sfu.trickle':
      case 'sfu.configure':
        return this.#sfu(s, msg);
      case 'host.role':
      case 'host.lock':
      case 'host.lobby':
      case 'host.admit':
      case 'host.refuse':
      case 'host.remove':
      case 'host.mute':
      case 'host.mute_all':
      case 'host.ask_unmute':
      case 'host.stop_share':
      case 'host.end':
        return services.rooms.moderation.host(s, msg);
      case 'participant.state':
        return services.rooms.moderation.state(s, msg);
      case 'recording.start':
      case 'recording.stop':
        return this.#recording(s, msg);
      case 'ping': {
        this.#send(frame({ type: 'pong', re: msg.id, ts: msg.ts }));
        return;
      }
      default:
        return assertNever(msg);
    }
  }

  async #hello(msg: ClientMessageOf<'hello'>): Promise<void> {
    const waitMs = this.#loginGate?.admit() ?? 0;
    if (waitMs > 0) {
      this.#metrics.errors.labels('BUSY').inc();
      this.#send(
        errorFrame(
          'BUSY',
          `the server is busy admitting logins; retry in ${waitMs} ms`,
          msg.id,
          undefined,
          waitMs,
        ),
      );
      this.#closeFor('BUSY');
      return;
    }
    const session = await this.#lifecycle.hello(this.#conn, msg, this.#log);
    if (!session) return;
    this.#session = session;
    this.#state = 'live';
    clearTimeout(this.#helloTimer);
    // A cleared timer object is still ~200 bytes (and its closure) while referenced.
    this.#helloTimer = undefined;
  }

  /** `sfu.*`: large rooms; SFU_UNAVAILABLE when this server has no SFU. */
  #sfu(s: Session, msg: ClientMessageOf<`sfu.${string}` & ClientMessage['type']>): Promise<void> {
    const sfu = this.#services.sfu;
    if (!sfu) throw new ParleyError('SFU_UNAVAILABLE', 'this server has no SFU; rooms are peer to peer');
    switch (msg.type) {
      case 'sfu.publish':
        // A viewer receives only (rooms/moderation.ts).
        return this.#services.rooms.moderation.mayPublish(s, msg.room).then(() => sfu.publish(s, msg));
      case 'sfu.unpublish':
        return sfu.unpublish(s, msg);
      case 'sfu.subscribe':
        return sfu.subscribe(s, msg);
      case 'sfu.answer':
        return sfu.answer(s, msg);
      case 'sfu.trickle':
        return sfu.trickle(s, msg);
      case 'sfu.configure':
        return sfu.configure(s, msg);
      default:
        return assertNever(msg);
    }
  }

  /** `recording.*`: server recording of SFU rooms; RECORDING_REFUSED `recording_off` without one. */
  #recording(s: Session, msg: ClientMessageOf<'recording.start' | 'recording.stop'>): Promise<void> {
    const recorder = this.#services.recorder;
    if (!recorder)
      throw new ParleyError('RECORDING_REFUSED', 'this server has no SFU to record with', {
        reason: 'recording_off',
      });
    return msg.type === 'recording.start' ? recorder.start(s, msg) : recorder.stop(s, msg);
  }

  async #bye(session: Session, msg: ClientMessageOf<'bye'>): Promise<void> {
    this.#ackAfter(undefined, msg.id);
    this.#state = 'closed';
    await this.#lifecycle.bye(session);
    this.#conn.close(1000, 'bye');
  }

  /** Sends `ack {re}` once `result` settles successfully, when the request had an id. */
  #ackAfter(result: void | Promise<void>, re: ReqId): void | Promise<void> {
    if (re === undefined) return result;
    const ack = frame({ type: 'ack', re });
    if (result) return result.then(() => this.#send(ack));
    this.#send(ack);
  }

  /** Sends on this connection directly (replies before, or without, a session). */
  #send(out: Frame): void {
    this.#metrics.frameOut(out.type);
    this.#conn.send(out.text);
  }

  /** The error boundary: anything thrown by a handler becomes one error frame. */
  #fail(err: unknown, re: ReqId): void {
    const reply = toErrorReply(err, re, this.#log);
    this.#metrics.errors.labels(reply.code).inc();
    this.#send(reply.frame);
    if (reply.fatal) {
      this.#log.warn({ code: reply.code }, 'connection closed for a protocol error');
      this.#closeFor(reply.code);
    } else if (this.#log.isLevelEnabled('debug')) this.#log.debug({ code: reply.code }, 'request refused');
  }

  #error(code: ErrorCode, message: string, re: ReqId): void {
    if (ERRORS[code].fatal) {
      this.#fatal(code, message, re);
      return;
    }
    this.#metrics.errors.labels(code).inc();
    this.#send(errorFrame(code, message, re));
  }

  #fatal(code: ErrorCode, message: string, re: ReqId): void {
    this.#metrics.errors.labels(code).inc();
    this.#send(errorFrame(code, message, re));
    this.#log.warn({ code }, 'connection closed for a protocol error');
    this.#closeFor(code);
  }

  #closeFor(code: ErrorCode): void {
    if (this.#state === 'awaiting') this.#state = 'closed';
    this.#pending = [];
    this.#conn.closeFor(code);
  }

  /** `code`: the close code the client sent; GOING_AWAY is a page unloading, like `leaving`. */
  #onClose(code: number): void {
    this.#state = 'closed';
    this.#pending = [];
    clearTimeout(this.#helloTimer);
    const s = this.#session;
    // A replaced socket no longer owns its session: only the current socket's loss detaches it.
    if (!s || s.connection !== this.#conn) return;
    if (code === GOING_AWAY) this.#lifecycle.leaving(s);
    this.#lifecycle.connectionLost(s);
  }
}
