/**
 * The signaling connection: one WebSocket to a Parley server, kept alive across drops.
 *
 * - Logs in with `hello`, resumes with the stored session token after a drop or a page reload,
 *   and reports `welcome.resumed` so the layers above know whether the server kept their rooms.
 * - Reconnects with the app's {@link ReconnectPolicy}; frames sent meanwhile wait in an
 *   {@link Outbox} and are flushed after the next `welcome`.
 * - Correlates requests and replies by `id`/`re`; pending requests time out, and are rejected
 *   when the client closes or gives up (mediasoup's `Channel` does the same with `#sents`).
 * - Decodes every inbound frame with the protocol's `decodeServer`; invalid frames are logged
 *   and dropped, never thrown into the app.
 * - Sends an app-level `ping` every `heartbeatMs`; a silent server is asked (a probe) before the
 *   link is declared dead, so a throttled or frozen timer never kills a healthy link
 *   ({@link LivenessMonitor}): browsers cannot see WebSocket pings, and a half-open TCP
 *   connection would otherwise look open for minutes.
 * - Reconnects at once, without a backoff wait, when the socket closes after being open and when
 *   the page wakes up ({@link WakeSource}: visible again, resumed, back online) while down; when
 *   the page wakes up while open, it probes the link with a 1 s deadline.
 * - Knows when the page is going away: a socket the browser closed with 1001 (Firefox does so as
 *   a reload or navigation starts, while the old page still runs) is redialled only after a hold,
 *   and after {@link SignalingClient.leaving} (`pagehide`) never, so a dying page does not resume
 *   the session and spend the token its reloaded self is about to present.
 *
 * Somewhat over 500 lines: login, resume, reconnect, requests and liveness all act on the one
 * socket and its state; the pieces that stand alone already live beside it (outbox.ts,
 * reconnect-policy.ts).
 */
import {
  type ClientMessage,
  decodeServer,
  ERRORS,
  type ErrorCode,
  encode,
  isErrorCode,
  ParleyError,
  PROTOCOL_VERSIONS,
  type ServerMessage,
  type ServerMessageOf,
} from '@parley/protocol';
import { ConnectionError, type ConnectionErrorReason, InvalidStateError, TimeoutError } from '../errors.ts';
import { TypedEmitter } from '../events.ts';
import { type Logger, silentLogger } from '../log.ts';
import { type LivenessClock, LivenessMonitor } from './liveness.ts';
import { Outbox } from './outbox.ts';
import { ExponentialBackoffPolicy, type ReconnectPolicy } from './reconnect-policy.ts';
import { browserWakeSource, type WakeReason, type WakeSource } from './wake-signals.ts';

/**
 * `connecting` (first connection), `open` (logged in), `reconnecting` (dropped, retrying),
 * `closed` (the app closed it) or `failed` (gave up; the reason says why).
 */
export type SignalingState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/** The part of the WebSocket API the client uses (the browser's, `ws`, or a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

const ignore = (): void => {};

/** A WebSocket constructor: the global one in browsers, `ws`'s in Node, a fake in tests. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of the Web Storage API used to keep the session token across page reloads. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What is kept in storage for one server URL. */
export interface StoredSession {
  name: string;
  session: string;
  /** Calls this page had in progress; a reloaded page that resumes hangs them up. */
  calls?: string[];
}

/** Options of {@link SignalingClient}. */
export interface SignalingClientOptions {
  /** The name to log in with. */
  name: string;
  /** Access token for servers with access control on (`hello.token`). */
  token?: string;
  /** WebSocket constructor; default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Where the session token is kept; default `sessionStorage` in browsers, none elsewhere. */
  storage?: StorageLike | null;
  /** When to reconnect; default {@link ExponentialBackoffPolicy}. */
  reconnectPolicy?: ReconnectPolicy;
  /** How long a request waits for its reply. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** How long a connection attempt may take from socket creation to `welcome`. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Logger for this layer. */
  logger?: Logger;
  /**
   * Where "the page may have been away" signals come from; default the browser's
   * (`visibilitychange`, `pageshow`, `resume`, `online`), none outside a browser; null for none.
   */
  wakeSource?: WakeSource | null;
  /** How long a wake-up probe waits for the server before the link counts as dead. Default 1 000 ms. */
  wakeProbeMs?: number;
  /** Clock of the liveness check, injectable for tests. */
  livenessClock?: LivenessClock;
  /**
   * How long to wait before redialling when the browser closed the socket as going away (1001:
   * the page is unloading). A page that really unloads is gone well before; one whose navigation
   * was abandoned reconnects then, or at once on a wake signal. Default 3 000 ms, under the
   * server's default reload grace so that such a page still resumes its session.
   */
  goingAwayHoldMs?: number;
}

/** Events of {@link SignalingClient}. */
export type SignalingEvents = {
  /** The connection state changed; `reason` is set for `reconnecting`, `failed` and `closed`. */
  state: [state: SignalingState, reason?: string];
  /** Logged in (first time or after a reconnect). `resumed` tells whether the server kept the session. */
  welcome: [welcome: ServerMessageOf<'welcome'>];
  /** Every valid frame from the server, replies included, after `welcome`. */
  message: [msg: ServerMessage];
  /** An `error` frame that answers no pending request. */
  error: [error: ParleyError];
  /** The page woke up (visible, resumed, back online); the link is being checked or redialled. */
  wake: [reason: WakeReason];
};

/** Fields the client adds itself. */
type Outgoing = ClientMessage;
type WireId = string | number;

interface Pending {
  resolve: (msg: ServerMessage) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  type: ClientMessage['type'];
}

const OPEN = 1;
/** The close code of a socket the browser closed because its page is going away (RFC 6455). */
const GOING_AWAY = 1001;
const DEFAULT_GOING_AWAY_HOLD_MS = 3_000;

/** Key under which the session token for `url` is stored. */
export function storageKey(url: string): string {
  return `parley:session:${url}`;
}

/** Reads the stored session for `url`, if any and well-formed. */
export function readStoredSession(storage: StorageLike | null, url: string): StoredSession | null {
  if (!storage) return null;
  try {
    const raw = storage.getItem(storageKey(url));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.name !== 'string' || typeof v.session !== 'string') return null;
    const calls = Array.isArray(v.calls) ? v.calls.filter((c): c is string => typeof c === 'string') : [];
    return { name: v.name, session: v.session, calls };
  } catch {
    return null;
  }
}

/** The browser's `sessionStorage` when there is one (per tab, survives reloads), else null. */
export function defaultStorage(): StorageLike | null {
  try {
    const s = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
    return s ?? null;
  } catch {
    // Access can throw (storage disabled, sandboxed iframe).
    return null;
  }
}

/**
 * A resilient, typed signaling connection. Most apps use {@link connect} instead, which wraps
 * this in a `ParleyClient`; use this class directly for tools that only need signaling.
 *
 * @example
 * ```ts
 * const sig = new SignalingClient('wss://parley.example/ws', { name: 'alice' });
 * const welcome = await sig.open();
 * sig.on('message', (msg) => console.log(msg.type));
 * const joined = await sig.request({ type: 'room.join', room: 'standup' });
 * ```
 */
export class SignalingClient extends TypedEmitter<SignalingEvents> {
  readonly url: string;
  readonly name: string;
  readonly #options: SignalingClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  readonly #storage: StorageLike | null;
  readonly #policy: ReconnectPolicy;
  readonly #log: Logger;
  readonly #requestTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #outbox = new Outbox();
  readonly #pending = new Map<WireId, Pending>();

  #state: SignalingState = 'connecting';
  #reason: string | undefined;
  #socket: WebSocketLike | null = null;
  #session: string | null = null;
  #welcome: ServerMessageOf<'welcome'> | null = null;
  #nextId = 1;
  #helloId: WireId | null = null;
  #everOpen = false;
  #attempt = 0;
  #droppedAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #liveness: LivenessMonitor | null = null;
  #unwatchWake: (() => void) | null = null;
  #drainHintMs: number | null = null;
  /** `BUSY`'s `retryMs`: the server's slot for our next login (a reconnect storm). */
  #busyHintMs: number | null = null;
  #fatalCode: ErrorCode | null = null;
  #firstOpen: { resolve: (w: ServerMessageOf<'welcome'>) => void; reject: (e: Error) => void } | null = null;
  #calls: string[] = [];
  /** The page said it is going away for good (see {@link leaving}): no more dialling. */
  #pageGone = false;

  constructor(url: string, options: SignalingClientOptions) {
    super();
    this.url = url;
    this.name = options.name;
    this.#options = options;
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new InvalidStateError('no WebSocket implementation: pass options.WebSocket');
    this.#WebSocket = WS;
    this.#storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.#policy = options.reconnectPolicy ?? new ExponentialBackoffPolicy();
    this.#log = options.logger ?? silentLogger;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const wake = options.wakeSource === undefined ? browserWakeSource() : options.wakeSource;
    if (wake) this.#unwatchWake = wake((reason) => this.#onWake(reason));
    const stored = readStoredSession(this.#storage, url);
    if (stored && stored.name === this.name) {
      this.#session = stored.session;
      this.#calls = stored.calls ?? [];
    }
  }

  /** Current state. */
  get state(): SignalingState {
    return this.#state;
  }
  /** Why the connection is `reconnecting`, `failed` or `closed`. */
  get reason(): string | undefined {
    return this.#reason;
  }
  /** The last `welcome` (ICE servers, heartbeat, grace…), or null before the first. */
  get welcome(): ServerMessageOf<'welcome'> | null {
    return this.#welcome;
  }
  /** Call ids a previous page stored (see {@link StoredSession.calls}); consumed by the client. */
  get storedCalls(): readonly string[] {
    return this.#calls;
  }

  /**
   * Opens the connection and logs in. Resolves with the first `welcome`; rejects with a
   * {@link ParleyError} (e.g. `NAME_TAKEN`) or a {@link ConnectionError}. Only the first
   * connection is awaited: later drops are handled by reconnecting.
   */
  open(): Promise<ServerMessageOf<'welcome'>> {
    if (this.#everOpen || this.#firstOpen || this.#state !== 'connecting') {
      return Promise.reject(new InvalidStateError(`open() called in state ${this.#state}`));
    }
    return new Promise((resolve, reject) => {
      this.#firstOpen = { resolve, reject };
      this.#dial();
    });
  }

  /**
   * Sends a frame without waiting for a reply. While the connection is down the frame waits in
   * the outbox (pings are dropped). Throws {@link InvalidStateError} once closed or failed.
   */
  send(msg: Outgoing): void {
    this.#assertUsable();
    this.#transmit({ msg });
  }

  /**
   * Sends a request with a fresh `id` and resolves with the frame that carries it as `re`
   * (`ack`, `room.joined`, `call.ringing`…). An `error` reply rejects with {@link ParleyError};
   * no reply within `timeoutMs` rejects with {@link TimeoutError}.
   */
  request(
    msg: Outgoing,
    { timeoutMs = this.#requestTimeoutMs }: { timeoutMs?: number } = {},
  ): Promise<ServerMessage> {
    this.#assertUsable();
    const id = this.#nextId++;
    const withId = { ...msg, id } as Outgoing;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.#outbox.remove(id);
        reject(new TimeoutError(`no reply to ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, type: msg.type });
      this.#transmit({
        msg: withId,
        onDrop: (reason) =>
          this.#settle(id, new ConnectionError('not-sent', `${msg.type} not sent: ${reason}`)),
      });
    });
  }

  /**
   * Closes the connection for good: sends `bye` when `bye` is true (the server then ends the
   * session at once, freeing the name) and rejects pending requests with InvalidStateError.
   * Idempotent.
   */
  close({ bye = true, reason = 'closed' }: { bye?: boolean; reason?: string } = {}): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (bye && this.#socket?.readyState === OPEN && this.#welcome) {
      try {
        this.#socket.send(encode({ type: 'bye' }));
      } catch {
        // The socket is going away anyway.
      }
    }
    if (bye) this.#forgetSession();
    this.#finish('closed', reason, new InvalidStateError(`signaling closed: ${reason}`));
  }

  /**
   * The page is going away for good (`pagehide`, not into the back/forward cache: a reload, a
   * navigation or a closed tab): says `leaving` now if the link is open, and stops dialling. A
   * dying page that resumed the session would spend the stored token, and its reloaded self
   * would then present a dead one (and find its own name taken). A socket still connecting is
   * dropped. A later wake signal (the page shown again after all) dials again.
   */
  leaving(): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#pageGone = true;
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    if (!socket) return;
    if (this.#state === 'open' && socket.readyState === OPEN) {
      this.#log.debug('page leaving');
      try {
        socket.send(encode({ type: 'leaving' }));
      } catch {
        // The browser is closing it already; its close code (1001) says the same to the server.
      }
    } else if (this.#state !== 'open') {
      this.#detach(socket);
      try {
        socket.close(1000, 'leaving');
      } catch {
        // Already closing.
      }
    }
  }

  /** Records the calls in progress so a reloaded page can hang them up after resuming. */
  rememberCalls(calls: readonly string[]): void {
    this.#calls = [...calls];
    this.#persist();
  }

  // -------------------------------------------------------------------------------------------

  #assertUsable(): void {
    if (this.#state === 'closed' || this.#state === 'failed') {
      throw new InvalidStateError(`signaling is ${this.#state}${this.#reason ? ` (${this.#reason})` : ''}`);
    }
  }

  #transmit(entry: { msg: Outgoing; onDrop?: (reason: string) => void }): void {
    const socket = this.#socket;
    if (this.#state === 'open' && socket && socket.readyState === OPEN) {
      this.#log.trace('send', { type: entry.msg.type });
      socket.send(encode(entry.msg));
      return;
    }
    this.#outbox.push(entry);
  }

  #dial(): void {
    clearTimeout(this.#retryTimer);
    if (this.#pageGone) return;
    this.#fatalCode = null;
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.url);
    } catch (error) {
      this.#log.warn('socket constructor threw', { error: String(error) });
      this.#dropped('socket-error');
      return;
    }
    this.#socket = socket;
    this.#log.debug('dialing', { url: this.url, attempt: this.#attempt });
    this.#connectTimer = setTimeout(() => this.#abandon(socket, 'timeout'), this.#connectTimeoutMs);
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#helloId = `hello-${this.#nextId++}`;
      const hello: Outgoing = {
        type: 'hello',
        id: this.#helloId,
        versions: [...PROTOCOL_VERSIONS],
        name: this.name,
        ...(this.#session ? { resume: this.#session } : {}),
        ...(this.#options.token ? { token: this.#options.token } : {}),
      };
      socket.send(encode(hello));
    };
    socket.onmessage = (ev) => {
      if (socket !== this.#socket) return;
      this.#onFrame(ev.data);
    };
    socket.onerror = () => {
      // Always followed by `close`; nothing to do but note it.
      if (socket === this.#socket) this.#log.debug('socket error');
    };
    socket.onclose = (ev) => {
      if (socket !== this.#socket) return;
      const reason =
        this.#fatalCode ?? (ev.reason && isErrorCode(ev.reason) ? ev.reason : `close-${ev.code}`);
      this.#log.debug('socket closed', { code: ev.code, reason });
      this.#detach(socket);
      this.#dropped(reason);
    };
  }

  /** Gives up on a socket without waiting for its close event (a dead link may never send one). */
  #abandon(socket: WebSocketLike, reason: ConnectionErrorReason): void {
    if (socket !== this.#socket) return;
    this.#log.debug('abandoning socket', { reason });
    this.#detach(socket);
    try {
      socket.close(4000, reason);
    } catch {
      // Already closing.
    }
    this.#dropped(reason);
  }

  #detach(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    // Not null: Node's `ws` emits `error` when a socket still connecting is closed, and an
    // EventEmitter `error` nobody listens to ends the process (a Node peer whose connect timed out).
    socket.onerror = ignore;
    if (this.#socket === socket) this.#socket = null;
    clearTimeout(this.#connectTimer);
    this.#liveness?.stop();
    this.#liveness = null;
  }

  #onFrame(raw: unknown): void {
    this.#liveness?.frameReceived();
    if (typeof raw !== 'string' && !(raw instanceof ArrayBuffer) && !(raw instanceof Uint8Array)) {
      this.#log.warn('frame of unexpected kind dropped');
      return;
    }
    const decoded = decodeServer(raw);
    if (!decoded.ok) {
      this.#log.warn('invalid frame from server dropped', { code: decoded.code, message: decoded.message });
      return;
    }
    const msg = decoded.msg;
    this.#log.trace('recv', { type: msg.type });

    if (!this.#welcome || this.#state !== 'open') {
      // Before welcome only the reply to hello matters (welcome or its error).
      if (msg.type === 'welcome') this.#onWelcome(msg);
      else if (msg.type === 'error') this.#onHelloError(msg);
      else this.#log.debug('frame before welcome ignored', { type: msg.type });
      return;
    }

    if (msg.type === 'error') {
      if (msg.fatal) this.#fatalCode = msg.code;
      const error = new ParleyError(msg.code, msg.message, { reason: msg.reason });
      if (msg.re !== undefined && this.#settle(msg.re, error)) return;
      this.#log.warn('server error', { code: msg.code, message: msg.message });
      this.emit('error', error);
      return;
    }
    if (msg.type === 'server.draining') {
      this.#drainHintMs = msg.reconnectMs;
      this.#log.info('server draining', { reconnectMs: msg.reconnectMs });
    }
    if (msg.re !== undefined) {
      const p = this.#pending.get(msg.re);
      if (p) {
        this.#pending.delete(msg.re);
        clearTimeout(p.timer);
        p.resolve(msg);
      }
    }
    this.emit('message', msg);
  }

  #onWelcome(msg: ServerMessageOf<'welcome'>): void {
    clearTimeout(this.#connectTimer);
    const resumed = msg.resumed;
    this.#welcome = msg;
    this.#session = msg.session;
    this.#persist();
    this.#attempt = 0;
    this.#drainHintMs = null;
    this.#reason = undefined;
    this.#startHeartbeat(msg.heartbeatMs);
    this.#log.info('logged in', { resumed, rooms: msg.rooms.length });
    this.#setState('open');
    const first = this.#firstOpen;
    this.#firstOpen = null;
    this.#everOpen = true;
    this.emit('welcome', msg);
    // Flush after the app's welcome handlers ran, so rejoins go out before queued frames.
    for (const entry of this.#outbox.drain()) this.#transmit(entry);
    first?.resolve(msg);
  }

  #onHelloError(msg: ServerMessageOf<'error'>): void {
    const error = new ParleyError(msg.code, msg.message, { reason: msg.reason });
    this.#log.warn('login refused', { code: msg.code });
    if (msg.fatal) this.#fatalCode = msg.code;
    if (msg.retryMs !== undefined) this.#busyHintMs = msg.retryMs;
    const socket = this.#socket;
    if (!socket) return;
    if (!this.#everOpen) {
      // The first login fails fast: the app must pick another name, fix its token, etc.
      this.#detach(socket);
      socket.close(1000, msg.code);
      this.#finish('failed', msg.code, error);
      return;
    }
    // While reconnecting, e.g. NAME_TAKEN because the old session is gone and someone took
    // the name meanwhile: the policy decides whether to keep trying.
    this.#abandon(socket, msg.code);
  }

  #startHeartbeat(heartbeatMs: number): void {
    this.#liveness?.stop();
    const socket = this.#socket;
    if (!socket) return;
    const liveness = new LivenessMonitor({
      heartbeatMs,
      ...(this.#options.livenessClock ? { clock: this.#options.livenessClock } : {}),
      ping: () => {
        if (socket.readyState !== OPEN) return;
        try {
          socket.send(encode({ type: 'ping', ts: Date.now() }));
        } catch {
          // The socket is closing; its close event reconnects.
        }
      },
      onDead: (detail) => {
        this.#log.info('link dead: no answer to a probe', { ...detail });
        this.#abandon(socket, 'timeout');
      },
    });
    this.#liveness = liveness;
    liveness.start();
  }

  /** The page may have been away: check the link now, or redial at once if it is down. */
  #onWake(reason: WakeReason): void {
    if (this.#state === 'closed' || this.#state === 'failed' || !this.#everOpen) return;
    this.#log.debug('wake', { reason, state: this.#state });
    // Shown again after all (a page said gone may still come back from the back/forward cache).
    this.#pageGone = false;
    if (this.#state === 'open') {
      this.#liveness?.check(reason, this.#options.wakeProbeMs ?? 1_000);
    } else if (this.#state === 'reconnecting' && !this.#socket) {
      // Waiting out a backoff timer that a hidden page may run late: dial now.
      clearTimeout(this.#retryTimer);
      this.#dial();
    }
    this.emit('wake', reason);
  }

  /** The socket is gone: reconnect per policy, or fail. */
  #dropped(reason: ConnectionErrorReason): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    clearTimeout(this.#connectTimer);
    if (!this.#everOpen) {
      // The first connection never got a welcome: fail fast, the app shows the reason.
      const spec = isErrorCode(reason) ? ERRORS[reason] : undefined;
      const error = spec ? new ParleyError(reason as never) : new ConnectionError(reason);
      this.#finish('failed', reason, error);
      return;
    }
    if (reason === 'SESSION_REPLACED') this.#session = null;
    const wasOpen = this.#state !== 'reconnecting';
    if (wasOpen) {
      this.#droppedAt = Date.now();
      this.#attempt = 0;
      this.#setState('reconnecting', reason);
    }
    let delay = this.#policy.nextDelayMs({
      attempt: this.#attempt,
      elapsedMs: Date.now() - this.#droppedAt,
      reason,
    });
    if (delay === null) {
      this.#finish('failed', reason, new ConnectionError(reason));
      return;
    }
    if (this.#drainHintMs !== null && this.#attempt === 0) delay = Math.max(delay, this.#drainHintMs);
    // The browser closed it because the page is unloading (a reload, in Firefox, before
    // `pagehide`): hold on, the page is most likely gone before the hold is over.
    else if (wasOpen && reason === `close-${GOING_AWAY}`)
      delay = this.#options.goingAwayHoldMs ?? DEFAULT_GOING_AWAY_HOLD_MS;
    // A link that was open and dropped is redialled at once (a hidden page may run the backoff
    // timer a minute late); the server's draining hint and later attempts keep their delay.
    else if (wasOpen) delay = 0;
    // A BUSY refusal came with the server's slot for us: take it as it is (the backoff, grown by
    // the refusals, would push us past it and the crowd out of the order the server planned).
    if (this.#busyHintMs !== null) delay = this.#busyHintMs;
    this.#busyHintMs = null;
    this.#attempt++;
    this.#log.debug('reconnecting', { reason, delayMs: delay, attempt: this.#attempt });
    this.#retryTimer = setTimeout(() => this.#dial(), delay);
  }

  #finish(state: 'closed' | 'failed', reason: string, error: Error): void {
    clearTimeout(this.#retryTimer);
    this.#unwatchWake?.();
    this.#unwatchWake = null;
    clearTimeout(this.#connectTimer);
    const socket = this.#socket;
    if (socket) {
      this.#detach(socket);
      try {
        socket.close(1000, reason.slice(0, 100));
      } catch {
        // Ignore: already closed.
      }
    }
    this.#reason = reason;
    for (const [id] of this.#pending) this.#settle(id, error);
    this.#outbox.clear(state);
    const first = this.#firstOpen;
    this.#firstOpen = null;
    this.#setState(state, reason);
    first?.reject(error);
  }

  /** Settles a pending request with an error; false if there was none. */
  #settle(id: WireId, error: Error): boolean {
    const p = this.#pending.get(id);
    if (!p) return false;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.reject(error);
    return true;
  }

  #setState(state: SignalingState, reason?: string): void {
    if (this.#state === state && reason === undefined) return;
    this.#state = state;
    this.emit('state', state, reason);
  }

  #persist(): void {
    if (!this.#storage || !this.#session) return;
    const value: StoredSession = { name: this.name, session: this.#session, calls: this.#calls };
    try {
      this.#storage.setItem(storageKey(this.url), JSON.stringify(value));
    } catch {
      // Quota or privacy mode: resuming after a reload is a convenience, not a requirement.
    }
  }

  #forgetSession(): void {
    this.#session = null;
    try {
      this.#storage?.removeItem(storageKey(this.url));
    } catch {
      // See #persist.
    }
  }
}
