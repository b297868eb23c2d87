/**
 * A client for Janus's WebSocket API (subprotocol `janus-protocol`), the way the Parley server
 * drives its SFU. Only the server uses it: browsers never see Janus's API, secrets or ids.
 *
 * The API (https://janus.conf.meetecho.com/docs/rest.html, "The WebSockets API"):
 * - every request carries a `transaction`; the reply carries it back. Core requests (`create`,
 *   `attach`, `destroy`, `detach`) and synchronous plugin requests (VideoRoom `create`,
 *   `listparticipants`…) answer `success` or `error` directly;
 * - an asynchronous plugin `message` (VideoRoom `join`, `publish`, `start`, `configure`…) is
 *   answered with an `ack`, then an `event` with the same transaction; a `trickle` or
 *   `keepalive` gets only the `ack`;
 * - events without a pending transaction (a publisher joined, `webrtcup`, `hangup`…) name the
 *   handle in `sender` and are delivered to that handle's listeners;
 * - a session with no request for `session_timeout` seconds (60 by default) is destroyed: a
 *   keepalive goes out every 25 s.
 *
 * Failures are typed: `JanusError` with `kind` `janus` (a core error code, e.g. 458 no such
 * session), `plugin` (the plugin's `error_code`, e.g. VideoRoom 426 no such room), `timeout`,
 * or `closed` (the socket closed with the request pending).
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/** How a Janus request failed. */
export type JanusErrorKind = 'janus' | 'plugin' | 'timeout' | 'closed';

/** A failed Janus request. `code` is Janus's numeric code for `janus` and `plugin` errors. */
export class JanusError extends Error {
  override readonly name = 'JanusError';
  readonly kind: JanusErrorKind;
  readonly code: number | undefined;
  constructor(kind: JanusErrorKind, message: string, code?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.code = code;
  }
}

/** A session description as Janus carries it (`jsep`). */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
  /** Janus marks offers/answers that include simulcast. */
  [key: string]: unknown;
}

/** An ICE candidate for `trickle` (`null` ends gathering). */
export interface TrickleCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** What a plugin request returns: the plugin's `data` and, for negotiations, Janus's `jsep`. */
export interface PluginReply {
  data: Record<string, unknown>;
  jsep?: Jsep;
}

/** Events for a handle that arrive without a pending transaction. */
export type HandleEvent =
  | { kind: 'event'; data: Record<string, unknown>; jsep?: Jsep }
  | { kind: 'webrtcup' }
  | { kind: 'media'; type: string; receiving: boolean }
  | { kind: 'hangup'; reason: string }
  | { kind: 'slowlink'; uplink: boolean }
  | { kind: 'detached' };

/** Options of `JanusClient.connect`. */
export interface JanusClientOptions {
  /** `apisecret` of the Janus instance, when it requires one. */
  apiSecret?: string;
  /** How long a request may wait for its reply. Default 10 s. */
  requestTimeoutMs?: number;
  /** Interval of session keepalives. Default 25 s (Janus drops a session silent for 60 s). */
  keepaliveMs?: number;
  /** How long connecting may take. Default 5 s. */
  connectTimeoutMs?: number;
}

type Msg = Record<string, unknown> & { janus?: string; transaction?: string };

interface Pending {
  resolve(msg: Msg): void;
  reject(err: JanusError): void;
  timer: NodeJS.Timeout;
  /** The request ends with its `ack` (trickle, keepalive). */
  ackIsFinal: boolean;
}

/** One WebSocket connection to Janus. */
export class JanusClient {
  readonly #ws: WebSocket;
  readonly #options: Required<Omit<JanusClientOptions, 'apiSecret'>> & { apiSecret?: string };
  readonly #pending = new Map<string, Pending>();
  readonly #sessions = new Map<number, JanusSession>();
  readonly #closeListeners = new Set<(err: JanusError) => void>();
  #closed = false;

  private constructor(ws: WebSocket, options: JanusClientOptions) {
    this.#ws = ws;
    this.#options = {
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      keepaliveMs: options.keepaliveMs ?? 25_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      ...(options.apiSecret !== undefined ? { apiSecret: options.apiSecret } : {}),
    };
    ws.on('message', (data) => this.#onMessage(String(data)));
    ws.on('close', () => this.#shutdown(new JanusError('closed', 'the connection to Janus closed')));
    ws.on('error', () => {
      // 'close' follows and rejects what is pending.
    });
  }

  /**
   * Connects to a Janus WebSocket API.
   *
   * @example
   * const janus = await JanusClient.connect('ws://127.0.0.1:8188', { apiSecret });
   * const session = await janus.createSession();
   * const handle = await session.attach();
   */
  static connect(url: string, options: JanusClientOptions = {}): Promise<JanusClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'janus-protocol', { maxPayload: 8 * 1024 * 1024 });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new JanusError('timeout', 'connecting to Janus timed out'));
      }, options.connectTimeoutMs ?? 5_000);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(new JanusError('closed', 'could not connect to Janus', undefined, { cause: err }));
      };
      ws.once('error', onError);
      ws.once('open', () => {
        clearTimeout(timer);
        ws.off('error', onError);
        resolve(new JanusClient(ws, options));
      });
    });
  }

  /** True once the connection closed (on purpose or not). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `listener` once when the connection ends, with why. */
  onClose(listener: (err: JanusError) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Janus's `info` (version, plugins, transports). */
  info(): Promise<Msg> {
    return this.request({ janus: 'info' });
  }

  /** Creates a Janus session, kept alive until `destroy()` or the connection closes. */
  async createSession(): Promise<JanusSession> {
    const reply = await this.request({ janus: 'create' });
    const id = (reply.data as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number') throw new JanusError('janus', 'create answered without a session id');
    const session = new JanusSession(this, id, this.#options.keepaliveMs);
    this.#sessions.set(id, session);
    return session;
  }

  /**
   * Sends one request and resolves with its final reply (`success`, `event`, or the `ack` of
   * a trickle/keepalive); rejects with a `JanusError` on `error`, plugin `error_code`, timeout
   * or close. The transaction and `apisecret` are added here.
   */
  request(body: Record<string, unknown>, opts: { ackIsFinal?: boolean } = {}): Promise<Msg> {
    if (this.#closed) return Promise.reject(new JanusError('closed', 'the connection to Janus is closed'));
    const transaction = randomBytes(9).toString('base64url');
    const msg: Record<string, unknown> = { ...body, transaction };
    if (this.#options.apiSecret !== undefined) msg.apisecret = this.#options.apiSecret;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new JanusError('timeout', `Janus did not answer "${String(body.janus)}" in time`));
      }, this.#options.requestTimeoutMs);
      timer.unref();
      this.#pending.set(transaction, { resolve, reject, timer, ackIsFinal: opts.ackIsFinal ?? false });
      this.#ws.send(JSON.stringify(msg), (err) => {
        if (!err) return;
        const p = this.#pending.get(transaction);
        if (!p) return;
        this.#pending.delete(transaction);
        clearTimeout(p.timer);
        reject(new JanusError('closed', 'could not send to Janus', undefined, { cause: err }));
      });
    });
  }

  /** Closes the connection; pending requests reject with `closed`. Idempotent. */
  close(): void {
    this.#shutdown(new JanusError('closed', 'the Janus client was closed'));
  }

  /** @internal A session was destroyed (or timed out): forget it. */
  forget(id: number): void {
    this.#sessions.delete(id);
  }

  #onMessage(text: string): void {
    let msg: Msg;
    try {
      msg = JSON.parse(text) as Msg;
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const tx = typeof msg.transaction === 'string' ? msg.transaction : undefined;
    const pending = tx !== undefined ? this.#pending.get(tx) : undefined;
    if (pending && tx !== undefined) {
      if (msg.janus === 'ack' && !pending.ackIsFinal) return;
      this.#pending.delete(tx);
      clearTimeout(pending.timer);
      const err = errorOf(msg);
      if (err) pending.reject(err);
      else pending.resolve(msg);
      return;
    }
    // No pending transaction: an event for a handle or session.
    const session = typeof msg.session_id === 'number' ? this.#sessions.get(msg.session_id) : undefined;
    if (!session) return;
    if (msg.janus === 'timeout') {
      session.lost();
      return;
    }
    session.deliver(msg);
  }

  #shutdown(err: JanusError): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
    for (const s of [...this.#sessions.values()]) s.lost();
    this.#sessions.clear();
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(1000);
    }
    for (const l of [...this.#closeListeners]) {
      try {
        l(err);
      } catch {
        // A throwing listener must not stop the others.
      }
    }
    this.#closeListeners.clear();
  }
}

/** The error a reply carries, if any: a core `error`, or a plugin's `error_code`. */
function errorOf(msg: Msg): JanusError | undefined {
  if (msg.janus === 'error') {
    const e = msg.error as { code?: number; reason?: string } | undefined;
    return new JanusError('janus', e?.reason ?? 'Janus error', e?.code);
  }
  const data = pluginData(msg);
  if (data && typeof data.error_code === 'number') {
    return new JanusError(
      'plugin',
      typeof data.error === 'string' ? data.error : 'plugin error',
      data.error_code,
    );
  }
  return undefined;
}

function pluginData(msg: Msg): Record<string, unknown> | undefined {
  const pd = msg.plugindata as { data?: Record<string, unknown> } | undefined;
  return pd?.data;
}

/** A Janus session: the container of handles, kept alive with keepalives. */
export class JanusSession {
  readonly id: number;
  readonly #client: JanusClient;
  readonly #handles = new Map<number, JanusHandle>();
  readonly #keepalive: NodeJS.Timeout;
  #closed = false;

  /** @internal Use `JanusClient.createSession()`. */
  constructor(client: JanusClient, id: number, keepaliveMs: number) {
    this.#client = client;
    this.id = id;
    this.#keepalive = setInterval(() => {
      this.#client.request({ janus: 'keepalive', session_id: this.id }, { ackIsFinal: true }).catch(() => {
        // A failed keepalive shows up as a closed connection or a `timeout` event.
      });
    }, keepaliveMs);
    this.#keepalive.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Attaches a handle to a plugin (default the VideoRoom). */
  async attach(plugin = 'janus.plugin.videoroom'): Promise<JanusHandle> {
    const reply = await this.#client.request({ janus: 'attach', session_id: this.id, plugin });
    const id = (reply.data as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number') throw new JanusError('janus', 'attach answered without a handle id');
    const handle = new JanusHandle(this.#client, this, id);
    this.#handles.set(id, handle);
    return handle;
  }

  /** Destroys the session and its handles in Janus. Idempotent; never throws. */
  async destroy(): Promise<void> {
    if (this.#closed) return;
    this.lost();
    await this.#client.request({ janus: 'destroy', session_id: this.id }).catch(() => {});
  }

  /** @internal The session ended (destroyed, timed out, or the connection closed). */
  lost(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    this.#client.forget(this.id);
    for (const h of [...this.#handles.values()]) h.deliver({ janus: 'detached' });
    this.#handles.clear();
  }

  /** @internal Routes an event to its handle. */
  deliver(msg: Msg): void {
    const handle = typeof msg.sender === 'number' ? this.#handles.get(msg.sender) : undefined;
    handle?.deliver(msg);
    if (msg.janus === 'detached' && typeof msg.sender === 'number') this.#handles.delete(msg.sender);
  }

  /** @internal */
  forgetHandle(id: number): void {
    this.#handles.delete(id);
  }
}

/** A handle attached to a plugin: plugin requests, negotiation and trickle. */
export class JanusHandle {
  readonly id: number;
  readonly session: JanusSession;
  readonly #client: JanusClient;
  readonly #listeners = new Set<(e: HandleEvent) => void>();
  #detached = false;

  /** @internal Use `JanusSession.attach()`. */
  constructor(client: JanusClient, session: JanusSession, id: number) {
    this.#client = client;
    this.session = session;
    this.id = id;
  }

  get detached(): boolean {
    return this.#detached;
  }

  /** Listens to this handle's events (those not answering a request). Returns the remover. */
  on(listener: (e: HandleEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sends a plugin message and resolves with the plugin's reply: for synchronous requests the
   * `success` data, for asynchronous ones the `event` after the `ack` (with Janus's `jsep`
   * when the request negotiated). A plugin `error_code` rejects with a `plugin` JanusError.
   */
  async message(body: Record<string, unknown>, jsep?: Jsep): Promise<PluginReply> {
    const req: Record<string, unknown> = {
      janus: 'message',
      session_id: this.session.id,
      handle_id: this.id,
      body,
    };
    if (jsep) req.jsep = jsep;
    const reply = await this.#client.request(req);
    const data = pluginData(reply) ?? {};
    const out: PluginReply = { data };
    if (reply.jsep) out.jsep = reply.jsep as Jsep;
    return out;
  }

  /** Sends one ICE candidate, or `null` when gathering completed. */
  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    await this.#client.request(
      {
        janus: 'trickle',
        session_id: this.session.id,
        handle_id: this.id,
        candidate: candidate ?? { completed: true },
      },
      { ackIsFinal: true },
    );
  }

  /** Closes the handle's PeerConnection, keeping the handle. */
  async hangup(): Promise<void> {
    await this.#client.request({ janus: 'hangup', session_id: this.session.id, handle_id: this.id });
  }

  /** Detaches the handle in Janus. Idempotent; never throws. */
  async detach(): Promise<void> {
    if (this.#detached) return;
    this.#detached = true;
    this.session.forgetHandle(this.id);
    await this.#client
      .request({ janus: 'detach', session_id: this.session.id, handle_id: this.id })
      .catch(() => {});
    this.#listeners.clear();
  }

  /** @internal Turns a raw Janus event into a `HandleEvent` for the listeners. */
  deliver(msg: Msg): void {
    let e: HandleEvent | undefined;
    switch (msg.janus) {
      case 'event': {
        const ev: HandleEvent = { kind: 'event', data: pluginData(msg) ?? {} };
        if (msg.jsep) ev.jsep = msg.jsep as Jsep;
        e = ev;
        break;
      }
      case 'webrtcup':
        e = { kind: 'webrtcup' };
        break;
      case 'media':
        e = { kind: 'media', type: String(msg.type ?? ''), receiving: msg.receiving === true };
        break;
      case 'hangup':
        e = { kind: 'hangup', reason: String(msg.reason ?? '') };
        break;
      case 'slowlink':
        e = { kind: 'slowlink', uplink: msg.uplink === true };
        break;
      case 'detached':
        e = { kind: 'detached' };
        this.#detached = true;
        break;
      default:
        return;
    }
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        // A throwing listener must not stop the others.
      }
    }
    if (e.kind === 'detached') this.#listeners.clear();
  }
}
