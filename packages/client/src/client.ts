/**
 * `connect()` and {@link ParleyClient}: the SDK's entry point. The client owns the signaling
 * connection, hands the frames of calls and rooms to `conversations.ts` (which routes them),
 * creates the peer sessions, and keeps rooms and calls alive across signaling drops and server
 * restarts.
 *
 * Somewhat over 500 lines: about 120 of them are the documented option and event types apps
 * read next to the class they construct (`ConnectOptions`, `JoinOptions`, `ClientEvents`).
 */
import {
  assertNever,
  type ClientMessage,
  type JsonValue,
  type ParleyError,
  type RoomLimits,
  type RoomMode,
  type ServerMessage,
  type ServerMessageOf,
} from '@parley/protocol';
import { Call, type CallEndedReason, callControl } from './call.ts';
import { type ConversationFrame, Conversations } from './conversations.ts';
import { InvalidStateError } from './errors.ts';
import { TypedEmitter } from './events.ts';
import type { E2eeSession, E2eeSetup } from './features/e2ee/e2ee-session.ts';
import type { FileTransferOptions } from './features/file-transfer.ts';
import {
  type AcquiredMedia,
  acquireMedia,
  type GetDisplayMedia,
  type GetUserMedia,
  LocalMedia,
  type MediaInput,
  type MediaOptions,
  toMediaOptions,
} from './features/media.ts';
import { attachPeerFeatures } from './features/peer-features.ts';
import type { ConversationHost } from './host.ts';
import { createLoggerFactory, LOGGER_NAMES, type Logger, type LoggerOptions } from './log.ts';
import {
  PeerSession,
  type PeerSessionOptions,
  type RTCPeerConnectionConstructor,
} from './peer/peer-session.ts';
import type { Scope } from './peer/signal-data.ts';
import { Room, roomControl } from './room.ts';
import type { ReconnectPolicy } from './signaling/reconnect-policy.ts';
import {
  SignalingClient,
  type SignalingState,
  type StorageLike,
  type WebSocketConstructor,
} from './signaling/signaling-client.ts';
import type { WakeSource } from './signaling/wake-signals.ts';

/** What `join(room, { mode: 'sfu' })` asks getUserMedia for when the app gives no media options. */
export const SFU_DEFAULT_MEDIA: MediaStreamConstraints = {
  audio: true,
  video: { width: { ideal: 1280 }, height: { ideal: 720 } },
};

/** Options of {@link ParleyClient.join}: local media, plus the room's password and mode. */
export interface JoinOptions extends MediaOptions {
  /** The room's password, when it has one. */
  password?: string;
  /**
   * `sfu`: a room whose media goes through the server's SFU from the start (when this join
   * creates it; otherwise the room keeps its mode). Default: the server decides (`mesh` until the
   * room grows past its threshold). Without `stream` or `media`, an `sfu` join asks for a 1280x720
   * camera ({@link SFU_DEFAULT_MEDIA}) so the camera can go out in simulcast layers.
   */
  mode?: RoomMode;
  /**
   * End-to-end encrypt the room's media with a secret the members share (never sent to the
   * server): `e2ee({ secret, worker })` from `@parley/client/e2ee`. Rejects with
   * `InvalidStateError` when this browser cannot.
   */
  e2ee?: E2eeSetup;
  /**
   * With `e2ee`: when this join creates the room, the server refuses every later join that does
   * not encrypt (`FORBIDDEN`, reason `e2ee_required`). The server cannot check encryption: this
   * protects against joining in clear by mistake, not against a modified client.
   */
  requireE2ee?: boolean;
}

/** The client's connection state (that of its signaling connection). */
export type ClientState = SignalingState;

/** A hook run for every new peer session (used to attach chat, file transfer, stats…). */
export type PeerFeature = (peer: PeerSession) => void;

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The name to be known by (1–32 of `A–Z a–z 0–9 _ . -`); unique on the server. */
  name: string;
  /** Access token, for servers with access control on. */
  token?: string;
  /** WebSocket constructor; default `globalThis.WebSocket` (pass `ws`'s in Node). */
  WebSocket?: WebSocketConstructor;
  /** RTCPeerConnection constructor; default `globalThis.RTCPeerConnection` (pass a polyfill in Node). */
  RTCPeerConnection?: RTCPeerConnectionConstructor;
  /**
   * Keeps the session token so a page reload resumes the session (same name, no NAME_TAKEN).
   * Default `sessionStorage` in browsers; `null` disables it.
   */
  storage?: StorageLike | null;
  /** When to reconnect after a drop. Default: exponential backoff with jitter, up to 5 minutes. */
  reconnectPolicy?: ReconnectPolicy;
  /** Log level and sink. Quiet by default. */
  logger?: LoggerOptions;
  /** How long a request waits for its reply. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** How long connecting may take until `welcome`. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Where "the page may have been away" signals come from (visible again, resumed, back online):
   * the client then checks its link or redials at once, and restarts ICE on live calls when back
   * online. Default the browser's events; null for none.
   */
  wakeSource?: WakeSource | null;
  /** getUserMedia stand-in (Node, tests). Default `navigator.mediaDevices.getUserMedia`. */
  getUserMedia?: GetUserMedia;
  /** getDisplayMedia stand-in. Default `navigator.mediaDevices.getDisplayMedia`. */
  getDisplayMedia?: GetDisplayMedia;
  /** Extra RTCConfiguration for every peer connection (ICE servers come from the server). */
  rtcConfiguration?: RTCConfiguration;
  /** ICE and negotiation recovery timing of peer sessions (see {@link PeerSessionOptions}). */
  peer?: Pick<
    PeerSessionOptions,
    | 'iceDisconnectedGraceMs'
    | 'politeBackupMs'
    | 'iceRestartTimeoutMs'
    | 'maxIceRestarts'
    | 'answerTimeoutMs'
    | 'maxNegotiationRecoveries'
    | 'maxOffersPerWindow'
    | 'offerWindowMs'
  >;
  /** Hooks run for every new peer session. */
  features?: PeerFeature[];
  /** Cap video bitrate by the number of peers (mesh). Default true. */
  scaleBitrate?: boolean;
  /** Open chat and file-transfer data channels with every peer. Default true. */
  dataChannels?: boolean;
  /** File transfer tuning (chunk size, watermarks, resume). */
  fileTransfer?: FileTransferOptions;
  /**
   * What a reloaded page means to take up again (see {@link ParleyClient.rejoinCall} and
   * {@link ParleyClient.join}): when the session resumes, these rooms are not left and these
   * calls not hung up at once; whatever is not taken up within `windowMs` (default 15 000) is
   * then left or hung up. Without it a resumed page leaves the rooms and hangs up the calls a
   * previous page left in progress.
   */
  rejoin?: { rooms?: readonly string[]; calls?: readonly string[]; windowMs?: number };
}

/** Which online names {@link ParleyClient.watchPresence} follows. */
export interface PresenceView {
  /**
   * Just these names (up to 256), e.g. a contact list. Without it: the directory, the first
   * `limit` online names in order (only those starting with `prefix` when given).
   */
  watch?: readonly string[];
  /** Directory: names starting with this (a search as the person types). */
  prefix?: string;
  /** Directory: page size, 1–200 (default 200). */
  limit?: number;
}

/** One `presence` event: what changed in the view, and how many match in the directory in all. */
export interface PresenceChange {
  online: readonly string[];
  offline: readonly string[];
  /** Directory views: online names matching the view in all (the page may show fewer). */
  total: number | undefined;
}

/** Events of {@link ParleyClient}. */
export type ClientEvents = {
  /** The connection state changed; `reason` says why for `reconnecting`, `failed` and `closed`. */
  state: [state: ClientState, reason?: string];
  /** Someone is calling: answer with `call.accept()`, or `decline()` / `busy()`. */
  incoming: [call: Call];
  /**
   * Names in the presence view came online or went offline (after {@link ParleyClient.watchPresence});
   * the server coalesces changes, so one event may carry many names.
   */
  presence: [change: PresenceChange];
  /** An error from the server not tied to a request (e.g. PEER_NOT_FOUND for a signal). */
  error: [error: ParleyError];
  /** Logged in again after a drop; `resumed` is false when the server had forgotten us. */
  reconnected: [resumed: boolean];
  /** A new peer session (call or room): attach app features here. */
  peer: [peer: PeerSession];
  /**
   * A call rang here and ended unanswered (the caller gave up, the ring timed out, or the
   * caller left), also when the client was away meanwhile and learnt of it on resuming.
   */
  'missed-call': [missed: MissedCall];
  /**
   * A room you are in started or stopped being recorded by the server (also right after joining
   * a recorded room). Show it for as long as `active` is true: people must know.
   */
  recording: [state: RecordingNotice];
  /** Post-processing of a recording you started: `done` lists the files made. */
  'recording-progress': [progress: RecordingProgressNotice];
};

/** The `recording` event: whether `room` is recorded, who started it, why it stopped. */
export interface RecordingNotice {
  room: string;
  active: boolean;
  by?: string;
  /** Set when the server stopped it on its own: `empty`, `disk`, `shutdown`, `limit`. */
  reason?: string;
}

/** The `recording-progress` event. */
export interface RecordingProgressNotice {
  room: string;
  recording: string;
  stage: 'queued' | 'converting' | 'composing' | 'done' | 'failed';
  percent: number;
  files?: string[];
  /**
   * With `done`, to the room's hosts and whoever started it: signed download links (paths on the
   * server, no token needed; resolve them against the server's origin), valid until `expires`.
   */
  download?: { expires: number; links: { file: string; url: string }[] };
}

/** A call that rang and was not answered (see the client's `missed-call` event). */
export interface MissedCall {
  /** The call id. */
  call: string;
  /** Who called. */
  from: string;
  /** When the call rang here, or, told by the server after an absence, when it ended (epoch ms). */
  at: number;
  /** Why it ended: `no_answer`, `cancelled` or `peer_gone`. */
  reason: CallEndedReason;
}

/** Reasons that make an unanswered incoming call a missed one. */
const MISSED_REASONS: ReadonlySet<string> = new Set(['no_answer', 'cancelled', 'peer_gone']);

/**
 * A connection to a Parley server, as a named user. Create it with {@link connect}.
 *
 * @example
 * ```ts
 * import { connect } from '@parley/client';
 * const client = await connect('wss://parley.example/ws', { name: 'alice' });
 * client.on('incoming', (call) => call.accept());
 * const call = await client.call('bob');
 * const room = await client.join('standup');
 * client.close();
 * ```
 */
export class ParleyClient extends TypedEmitter<ClientEvents> {
  /** Our name on the server. */
  readonly name: string;
  /** The server's WebSocket URL. */
  readonly url: string;

  readonly #options: ConnectOptions;
  readonly #signaling: SignalingClient;
  readonly #loggers: (name: string) => Logger;
  readonly #log: Logger;
  /** Calls and rooms, and the routing of their frames (with those that arrive early). */
  readonly #conversations: Conversations;
  readonly #online = new Set<string>();
  /** Call ids already reported as missed (bounded). */
  readonly #missedIds = new Set<string>();
  #onlineTotal: number | undefined;
  #presenceView: PresenceView | undefined;
  readonly #peers = new Set<PeerSession>();
  readonly #host: ConversationHost;
  #iceServers: RTCIceServer[] = [];
  #graceMs = 20_000;
  #roomLimits: RoomLimits | undefined;
  #closed = false;
  #welcomed = false;
  #removePageHide: (() => void) | undefined;
  #rejoinTimer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Use {@link connect}. */
  constructor(url: string, options: ConnectOptions) {
    super();
    this.url = url;
    this.name = options.name;
    this.#options = options;
    this.#loggers = createLoggerFactory(options.logger);
    this.#log = this.#loggers(LOGGER_NAMES.client);
    this.#signaling = new SignalingClient(url, {
      name: options.name,
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
      ...(options.storage !== undefined ? { storage: options.storage } : {}),
      ...(options.reconnectPolicy ? { reconnectPolicy: options.reconnectPolicy } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.wakeSource !== undefined ? { wakeSource: options.wakeSource } : {}),
      logger: this.#loggers(LOGGER_NAMES.signaling),
    });
    this.#conversations = new Conversations({
      logger: this.#log,
      onCallsChanged: (ids) => this.#signaling.rememberCalls(ids),
    });
    this.#host = this.#makeHost();
    this.#signaling.on('state', (state, reason) => this.#onState(state, reason));
    this.#signaling.on('welcome', (w) => this.#onWelcome(w));
    this.#signaling.on('message', (m) => this.#onMessage(m));
    this.#signaling.on('wake', (reason) => {
      // Back online (maybe on another interface): live calls gather new candidates at once.
      if (reason === 'online') for (const peer of this.#peers) peer.restartIce();
    });
    this.#signaling.on('error', (e) => {
      // RATE_LIMITED carries no `re`: the server dropped one of our frames without saying which.
      // It may have been a signal (an offer, an answer, a candidate): each peer session resyncs
      // after a backoff if it is not settled (see PeerSession.signalingLost).
      if (e.code === 'RATE_LIMITED') for (const peer of this.#peers) peer.signalingLost('rate-limited');
      this.emit('error', e);
    });
  }

  /** Connection state. */
  get state(): ClientState {
    return this.#signaling.state;
  }
  /** Why the client is `reconnecting`, `failed` or `closed`. */
  get reason(): string | undefined {
    return this.#signaling.reason;
  }
  /** ICE servers currently in use (from the server). */
  get iceServers(): readonly RTCIceServer[] {
    return this.#iceServers;
  }
  /** Calls in progress (ringing, incoming or active), by id. */
  get calls(): ReadonlyMap<string, Call> {
    return this.#conversations.calls;
  }
  /** Rooms joined, by name. */
  get rooms(): ReadonlyMap<string, Room> {
    return this.#conversations.rooms;
  }
  /**
   * What the server allows in a room (its member cap, and with an SFU the size past which a room
   * moves to it), from the last `welcome`; undefined from a server that does not say.
   */
  get roomLimits(): Readonly<RoomLimits> | undefined {
    return this.#roomLimits;
  }
  /** Names online in the presence view, as far as {@link watchPresence} told us. */
  get online(): ReadonlySet<string> {
    return this.#online;
  }
  /** For a directory view: how many online names match it in all (the view holds a page of them). */
  get onlineTotal(): number | undefined {
    return this.#onlineTotal;
  }
  /** The signaling connection, for tools that need raw protocol access. */
  get signaling(): SignalingClient {
    return this.#signaling;
  }

  /** @internal Opens the connection; used by {@link connect}. */
  async open(): Promise<this> {
    await this.#signaling.open();
    this.#watchPageHide();
    return this;
  }

  /**
   * Calls `name`. Gets local media first (see {@link MediaOptions}), then invites; resolves
   * with the {@link Call} once the callee's client rings (state `ringing`) — or already `ended`
   * with reason `busy`. Rejects with a ParleyError such as `PEER_NOT_FOUND`.
   *
   * @example
   * ```ts
   * const call = await client.call('bob', { stream: await navigator.mediaDevices.getUserMedia({ video: true, audio: true }) });
   * call.on('accepted', () => console.log('bob answered'));
   * ```
   */
  async call(
    name: string,
    media: MediaInput | (MediaOptions & { data?: JsonValue; e2ee?: E2eeSetup }) = {},
  ): Promise<Call> {
    const options: MediaOptions & { data?: JsonValue; e2ee?: E2eeSetup } = toMediaOptions(media);
    this.#assertOpen();
    if (name === this.name) throw new InvalidStateError('cannot call yourself');
    const acquired = await this.#host.acquireMedia(options);
    // Both sides derive the call's keys from the secret and the two names (caller first); made
    // before the invite so it is in place when the callee's media arrives.
    const e2ee = options.e2ee ? await options.e2ee.create(this.name, `call:${this.name}:${name}`) : undefined;
    // Agreed keys: our key pair now, its commitment in the invite (see call-agreement.ts).
    const agreement = await options.e2ee?.agree?.();
    let reply: ServerMessage;
    try {
      reply = await this.#signaling.request({
        type: 'call.invite',
        to: name,
        ...(options.data !== undefined ? { data: options.data } : {}),
        ...(agreement ? { e2ee: { commit: await agreement.commitment() } } : {}),
      });
    } catch (error) {
      if (acquired.owned) for (const t of acquired.stream?.getTracks() ?? []) t.stop();
      e2ee?.close();
      throw error;
    }
    if (reply.type !== 'call.ringing' && reply.type !== 'call.ended') {
      throw new InvalidStateError(`unexpected reply to call.invite: ${reply.type}`);
    }
    const call = new Call(this.#host, { id: reply.call, remote: name, direction: 'outgoing' });
    const control = callControl(call);
    control.setMedia(this.#host.createLocalMedia(acquired));
    if (e2ee) control.setE2ee(e2ee, agreement);
    if (reply.type === 'call.ended') control.ended(reply.reason, reply.by);
    else {
      this.#conversations.addCall(call);
      if (reply.reach !== undefined) control.rings({ reach: reply.reach });
    }
    return call;
  }

  /**
   * Takes up a call again after a page reload: `id` and `remote` are what the previous page had
   * (kept by the app, e.g. in sessionStorage), `direction` who called. The session must have
   * resumed (the same tab's stored session token) and the call still be active on the server,
   * which holds it for its reload grace. Resolves with the {@link Call} (state `connecting`, then
   * `connected` once a new peer connection is up on both sides); rejects with `CALL_NOT_FOUND`
   * when the call is over or this is not a reloaded page of one of its parties.
   *
   * @example
   * ```ts
   * const client = await connect(url, { name, rejoin: { calls: [saved.id] } });
   * const call = await client.rejoinCall(saved.id, saved.remote, saved.direction, { stream });
   * ```
   */
  async rejoinCall(
    id: string,
    remote: string,
    direction: 'outgoing' | 'incoming',
    media: MediaInput = {},
  ): Promise<Call> {
    this.#assertOpen();
    if (this.#conversations.calls.has(id)) throw new InvalidStateError(`already in call ${id}`);
    const acquired = await this.#host.acquireMedia(toMediaOptions(media));
    const call = new Call(this.#host, { id, remote, direction, rejoined: true });
    const control = callControl(call);
    control.setMedia(this.#host.createLocalMedia(acquired));
    this.#conversations.addCall(call);
    try {
      // The reply, `call.resumed {restart}`, is routed to the call too: it starts the peer.
      await this.#signaling.request({ type: 'call.rejoin', call: id });
    } catch (error) {
      control.ended('peer_gone');
      throw error;
    }
    return call;
  }

  /**
   * Joins a room with local media (see {@link MediaOptions}); resolves once joined, with every
   * member already there connecting. Rejects with a ParleyError such as `ROOM_FULL` or `FORBIDDEN`.
   * `mode: 'sfu'` asks for a room that carries media through the server's SFU from the start
   * (honoured when this join creates the room and the server has an SFU).
   *
   * @example
   * ```ts
   * const room = await client.join('standup', { password: 's3cret' });
   * room.on('track', (peer, track, stream) => attach(peer.remoteName, stream));
   * const townHall = await client.join('all-hands', { mode: 'sfu' });
   * ```
   */
  async join(room: string, media: MediaInput | JoinOptions = {}): Promise<Room> {
    const options: JoinOptions = toMediaOptions(media);
    this.#assertOpen();
    if (options.requireE2ee && !options.e2ee) throw new TypeError('requireE2ee needs the e2ee option');
    if (this.#conversations.rooms.has(room)) throw new InvalidStateError(`already in room ${room}`);
    // An SFU room sends the camera in simulcast layers, which needs at least 540p (see
    // sfu/simulcast.ts); browsers open cameras at 640x480 unless asked for more.
    const acquired = await this.#host.acquireMedia(
      options.mode === 'sfu' && !options.stream && options.media === undefined
        ? { ...options, media: SFU_DEFAULT_MEDIA }
        : options,
    );
    let e2ee: E2eeSession | undefined;
    if (options.e2ee) {
      e2ee = await options.e2ee.create(this.name, `room:${room}`);
    }
    const r = new Room(this.#host, room, this.#host.createLocalMedia(acquired), {
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.mode !== undefined ? { mode: options.mode } : {}),
      ...(e2ee ? { e2ee } : {}),
      ...(e2ee && options.requireE2ee ? { requireE2ee: true } : {}),
    });
    this.#conversations.addRoom(r);
    try {
      await roomControl(r).join();
    } catch (error) {
      roomControl(r).teardown(
        typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'error',
      );
      throw error;
    }
    return r;
  }

  /**
   * Starts the server's recording of an SFU room you are in; resolves with the recording id.
   * Rejects with RECORDING_REFUSED (its `reason` says why) when it may not. Every member gets
   * the `recording` event.
   */
  startRecording(room: string): Promise<string> {
    return this.#record('start', room);
  }

  /** Stops the room's recording; resolves with its id (post-processing follows). */
  stopRecording(room: string): Promise<string> {
    return this.#record('stop', room);
  }

  async #record(what: 'start' | 'stop', room: string): Promise<string> {
    this.#assertOpen();
    const reply = await this.#signaling.request({ type: `recording.${what}`, room });
    return (reply as { recording: string }).recording;
  }

  /**
   * Subscribes to who is online: the directory's first page (optionally searched by `prefix`) or
   * a watch list. Resolves with the names online in that view now, then emits `presence` as they
   * change. Calling it again replaces the view.
   */
  async watchPresence(view: PresenceView = {}): Promise<string[]> {
    this.#assertOpen();
    this.#presenceView = view;
    const reply = await this.#signaling.request({
      type: 'presence.subscribe',
      ...(view.watch !== undefined ? { watch: [...view.watch] } : {}),
      ...(view.prefix !== undefined && view.prefix !== '' ? { prefix: view.prefix } : {}),
      ...(view.limit !== undefined ? { limit: view.limit } : {}),
    });
    if (reply.type === 'presence.listed') this.#listed(reply.names, reply.total);
    return [...this.#online];
  }

  #listed(names: readonly string[], total: number | undefined): void {
    this.#online.clear();
    for (const n of names) this.#online.add(n);
    this.#onlineTotal = total;
  }

  /**
   * Hangs up every call, leaves every room, says `bye` (the server frees the name at once) and
   * closes. Pending requests reject with InvalidStateError. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#removePageHide?.();
    clearTimeout(this.#rejoinTimer);
    this.#conversations.close();
    this.#sayGoodbye();
    for (const call of [...this.#conversations.calls.values()]) callControl(call).terminate('closed');
    for (const room of [...this.#conversations.rooms.values()]) roomControl(room).teardown('closed');
    for (const peer of this.#peers) peer.close('client closed');
    this.#signaling.close({ bye: true });
  }

  // ------------------------------------------------------------------------------------------

  #makeHost(): ConversationHost {
    const client = this;
    return {
      name: this.name,
      get graceMs() {
        return client.#graceMs;
      },
      get iceServers() {
        return client.#iceServers;
      },
      get roomLimits() {
        return client.#roomLimits;
      },
      ...(this.#options.RTCPeerConnection ? { RTCPeerConnection: this.#options.RTCPeerConnection } : {}),
      send: (msg) => this.#signaling.send(msg),
      request: (msg) => this.#signaling.request(msg),
      createPeer: (remote, scope, options) => this.#createPeer(remote, scope, options),
      acquireMedia: (options) =>
        acquireMedia(options, this.#options.getUserMedia, this.#loggers(LOGGER_NAMES.media)),
      createLocalMedia: (acquired: AcquiredMedia) =>
        new LocalMedia(acquired.stream, {
          owned: acquired.owned,
          ...(this.#options.getUserMedia ? { getUserMedia: this.#options.getUserMedia } : {}),
          ...(this.#options.getDisplayMedia ? { getDisplayMedia: this.#options.getDisplayMedia } : {}),
          scaleBitrate: this.#options.scaleBitrate ?? true,
          logger: this.#loggers(LOGGER_NAMES.media),
        }),
      callReady: (call) => this.#conversations.callReady(call),
      forget: (what) => this.#conversations.forget(what),
      logger: (name) => this.#loggers(name),
    };
  }

  #createPeer(remote: string, scope: Scope, extra: { holdFirstOffer?: boolean } = {}): PeerSession {
    const peer = new PeerSession({
      localName: this.name,
      remoteName: remote,
      scope,
      send: (data) => this.#signaling.send({ type: 'signal', to: remote, data }),
      signalingUp: () => this.#signaling.state === 'open',
      iceServers: this.#iceServers,
      ...(this.#options.rtcConfiguration ? { rtcConfiguration: this.#options.rtcConfiguration } : {}),
      ...(this.#options.RTCPeerConnection ? { RTCPeerConnection: this.#options.RTCPeerConnection } : {}),
      ...this.#options.peer,
      ...extra,
      logger: this.#loggers(LOGGER_NAMES.peer),
    });
    // The built-in features first, in the same task (their channels belong in the first offer),
    // so the app's hooks and `peer` listeners find `peer.chat`, `peer.files` and `peer.stats`.
    attachPeerFeatures(peer, {
      ...(this.#options.dataChannels !== undefined ? { dataChannels: this.#options.dataChannels } : {}),
      ...(this.#options.fileTransfer ? { fileTransfer: this.#options.fileTransfer } : {}),
    });
    this.#peers.add(peer);
    peer.on('state', (state) => {
      if (state === 'closed') this.#peers.delete(peer);
    });
    for (const feature of this.#options.features ?? []) {
      try {
        feature(peer);
      } catch (error) {
        this.#log.warn('peer feature threw', { error: String(error) });
      }
    }
    this.emit('peer', peer);
    return peer;
  }

  #onState(state: SignalingState, reason?: string): void {
    if (state === 'failed' || state === 'closed') {
      // Without signaling, calls cannot be ended or renegotiated any more: end them.
      for (const call of [...this.#conversations.calls.values()])
        callControl(call).terminate(state === 'closed' ? 'closed' : 'failed');
      for (const room of [...this.#conversations.rooms.values()]) roomControl(room).teardown(reason ?? state);
      this.#removePageHide?.();
    }
    this.emit('state', state, reason);
  }

  #onWelcome(w: ServerMessageOf<'welcome'>): void {
    this.#iceServers = w.iceServers as RTCIceServer[];
    this.#graceMs = w.graceMs;
    this.#roomLimits = w.roomLimits;
    for (const peer of this.#peers) peer.setIceServers(this.#iceServers);
    const first = !this.#welcomed;
    this.#welcomed = true;
    const { calls, rooms } = this.#conversations;
    if (w.resumed) {
      // Rooms the server kept for us but this page does not know (a reload): leave them, unless
      // the app means to join them again (then after its rejoin window).
      const keep = first ? this.#options.rejoin : undefined;
      const keptRooms = w.rooms.filter((room) => keep?.rooms?.includes(room) === true);
      for (const room of w.rooms)
        if (!rooms.has(room) && !keptRooms.includes(room)) this.#safeSend({ type: 'room.leave', room });
      // Rooms we are in but the server does not list (should not happen; be safe): join again.
      for (const room of rooms.values()) if (!w.rooms.includes(room.name)) roomControl(room).rejoin();
      if (first) {
        // Calls a previous page left in progress: hang them up, unless the app means to rejoin.
        const stored = this.#signaling.storedCalls;
        const keptCalls = stored.filter((id) => keep?.calls?.includes(id) === true);
        for (const id of stored)
          if (!calls.has(id) && !keptCalls.includes(id)) this.#safeSend({ type: 'call.hangup', call: id });
        this.#signaling.rememberCalls([...calls.keys()]);
        if (keptRooms.length > 0 || keptCalls.length > 0)
          this.#expireRejoin(keptRooms, keptCalls, keep?.windowMs ?? 15_000);
      }
    } else {
      for (const room of rooms.values()) roomControl(room).rejoin();
      // The server forgot our calls (it restarted, or our node died). Claim each answered call
      // again: the server knows it once both parties claimed it, and only then relays our
      // signals to the peer (see CallControl.resumed).
      for (const call of calls.values())
        if (call.peer !== null && call.state !== 'ended')
          this.#safeSend({ type: 'call.resume', call: call.id, peer: call.remote });
    }
    if (!first) {
      this.#log.info('reconnected', { resumed: w.resumed });
      // A fresh session has no presence subscription: ask again for the same view, and tell the
      // app what changed while we were away.
      if (!w.resumed && this.#presenceView) void this.#rewatchPresence(this.#presenceView);
      this.emit('reconnected', w.resumed);
    }
  }

  async #rewatchPresence(view: PresenceView): Promise<void> {
    const before = new Set(this.#online);
    try {
      await this.watchPresence(view);
    } catch {
      return; // closed or refused meanwhile: the app sees the state change
    }
    const online = [...this.#online].filter((n) => !before.has(n));
    const offline = [...before].filter((n) => !this.#online.has(n));
    this.emit('presence', { online, offline, total: this.#onlineTotal });
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome':
      case 'ack':
      case 'error':
      case 'pong':
      case 'room.left':
      case 'server.draining':
        return; // handled by the signaling layer or by the request that caused it
      case 'sfu.published':
      case 'sfu.offer':
        return; // replies to the room's SFU session requests
      case 'signal':
      case 'call.accepted':
      case 'call.ended':
      case 'call.resumed':
      case 'call.held':
      case 'room.joined':
      case 'room.mode':
      case 'sfu.feeds':
      case 'peer.joined':
      case 'peer.left':
      case 'room.message':
      case 'room.data':
        this.#conversations.route(msg satisfies ConversationFrame);
        return;
      case 'room.participants':
      case 'participant.updated':
      case 'room.updated':
      case 'lobby.updated':
      case 'room.waiting':
      case 'room.admitted':
      case 'room.refused':
      case 'room.removed':
      case 'room.ended':
      case 'unmute.requested':
      case 'share.stopped':
        this.#conversations.rooms.get(msg.room)?.moderation.handle(msg); // room-moderation.ts
        return;
      case 'host.role.done':
      case 'host.lock.done':
      case 'host.lobby.done':
      case 'host.admit.done':
      case 'host.refuse.done':
      case 'host.remove.done':
      case 'host.mute.done':
      case 'host.mute_all.done':
      case 'host.ask_unmute.done':
      case 'host.stop_share.done':
      case 'host.end.done':
        return; // replies to the room's host actions
      case 'call.missed':
        for (const m of msg.calls)
          this.#missed(m.call, { call: m.call, from: m.from, at: m.at, reason: m.reason });
        return;
      case 'call.ringing': {
        // With `re`: the reply to our invite (handled by `call()`); without: the callee's
        // client, away when we invited, has the call now.
        const call = msg.re === undefined ? this.#conversations.calls.get(msg.call) : undefined;
        if (call) callControl(call).rings({ ...(msg.reach !== undefined ? { reach: msg.reach } : {}) });
        return;
      }
      case 'call.incoming': {
        const known = this.#conversations.calls.get(msg.call);
        if (known) {
          // The server renews the ring after we resumed: the same call, with the time left.
          if (msg.ringMs !== undefined) callControl(known).rings({ ringMs: msg.ringMs });
          return;
        }
        const call = new Call(this.#host, {
          id: msg.call,
          remote: msg.from,
          direction: 'incoming',
          ...(msg.data !== undefined ? { data: msg.data } : {}),
          ...(msg.e2ee ? { e2eeCommit: msg.e2ee.commit } : {}),
        });
        this.#conversations.addCall(call);
        if (msg.ringMs !== undefined) callControl(call).rings({ ringMs: msg.ringMs });
        this.#watchMissed(call);
        if (this.listenerCount('incoming') === 0) {
          // Nobody can answer: say so at once instead of ringing until the timeout.
          void call.decline().catch(() => {});
          return;
        }
        this.emit('incoming', call);
        return;
      }
      case 'presence.listed':
        this.#listed(msg.names, msg.total);
        return;
      case 'presence.changed':
        for (const n of msg.offline) this.#online.delete(n);
        for (const n of msg.online) this.#online.add(n);
        if (msg.total !== undefined) this.#onlineTotal = msg.total;
        this.emit('presence', { online: msg.online, offline: msg.offline, total: msg.total });
        return;
      case 'recording.started':
      case 'recording.stopped':
        return; // replies to startRecording / stopRecording
      case 'recording.state':
      case 'recording.progress': {
        const { type, re: _re, ...event } = msg;
        if (type === 'recording.state') this.emit('recording', event as RecordingNotice);
        else this.emit('recording-progress', event as RecordingProgressNotice);
        return;
      }
      case 'ice.updated':
        this.#iceServers = msg.iceServers as RTCIceServer[];
        for (const peer of this.#peers) peer.setIceServers(this.#iceServers);
        return;
      default:
        assertNever(msg);
    }
  }

  /** Emits `missed-call` if `call` (incoming) ends before anyone answered it. */
  #watchMissed(call: Call): void {
    const at = Date.now();
    let answered = false;
    call.on('accepted', () => {
      answered = true;
    });
    call.once('ended', (reason) => {
      if (answered || !MISSED_REASONS.has(reason) || this.#closed) return;
      this.#missed(call.id, { call: call.id, from: call.remote, at, reason });
    });
  }

  /** Emits `missed-call` once per call id (the server's `call.missed` may repeat what we saw). */
  #missed(id: string, missed: MissedCall): void {
    if (this.#missedIds.has(id)) return;
    this.#missedIds.add(id);
    if (this.#missedIds.size > 256) this.#missedIds.delete(this.#missedIds.values().next().value as string);
    this.emit('missed-call', missed);
  }

  /** Tells the server we are out of every call (cancel, decline or hang up) and every room. */
  #sayGoodbye(): void {
    for (const call of this.#conversations.calls.values()) {
      if (call.state === 'ringing') this.#safeSend({ type: 'call.cancel', call: call.id });
      else if (call.state === 'incoming') this.#safeSend({ type: 'call.decline', call: call.id });
      else this.#safeSend({ type: 'call.hangup', call: call.id });
    }
    for (const room of this.#conversations.rooms.values())
      this.#safeSend({ type: 'room.leave', room: room.name });
  }

  /** After the rejoin window, leaves the kept rooms and hangs up the kept calls not taken up. */
  #expireRejoin(rooms: readonly string[], calls: readonly string[], windowMs: number): void {
    this.#rejoinTimer = setTimeout(() => {
      if (this.#closed) return;
      for (const room of rooms)
        if (!this.#conversations.rooms.has(room)) this.#safeSend({ type: 'room.leave', room });
      for (const id of calls)
        if (!this.#conversations.calls.has(id)) this.#safeSend({ type: 'call.hangup', call: id });
    }, windowMs);
    (this.#rejoinTimer as { unref?: () => void }).unref?.();
  }

  /**
   * The page is unloading: ringing calls are over; the rest waits for a reload (`leaving`, and the
   * signaling stops dialling: see {@link SignalingClient.leaving}).
   */
  #sayLeaving(): void {
    for (const call of this.#conversations.calls.values()) {
      if (call.state === 'ringing') this.#safeSend({ type: 'call.cancel', call: call.id });
      else if (call.state === 'incoming') this.#safeSend({ type: 'call.decline', call: call.id });
    }
    this.#signaling.leaving();
  }

  #safeSend(msg: ClientMessage): void {
    try {
      this.#signaling.send(msg);
    } catch {
      // Closed already: nothing left to tell the server.
    }
  }

  #assertOpen(): void {
    if (this.#closed || this.state === 'closed' || this.state === 'failed') {
      throw new InvalidStateError(`the client is ${this.#closed ? 'closed' : this.state}`);
    }
  }

  /**
   * When the page goes away (a reload or a closed tab; the two cannot be told apart here), says
   * `leaving`: the server then keeps the session only for its short reload grace, holds an active
   * call meanwhile (the other party sees `held`, not "hung up") and keeps our rooms, so a reload
   * resumes and rejoins (see {@link rejoinCall}) while a closed tab frees the name in seconds.
   * Calls still ringing cannot be taken up again: those are cancelled or declined now. No `bye`.
   */
  #watchPageHide(): void {
    const target = globalThis as {
      addEventListener?: typeof addEventListener;
      removeEventListener?: typeof removeEventListener;
    };
    if (
      typeof target.addEventListener !== 'function' ||
      typeof (globalThis as { document?: unknown }).document !== 'object'
    )
      return;
    const onHide = (ev: Event) => {
      if ((ev as PageTransitionEvent).persisted) return; // back/forward cache: the page may come back
      this.#sayLeaving();
    };
    target.addEventListener('pagehide', onHide);
    this.#removePageHide = () => target.removeEventListener?.('pagehide', onHide);
  }
}

/**
 * Connects to a Parley server and logs in as `options.name`. Resolves once logged in; rejects
 * with a ParleyError (`NAME_TAKEN`, `UNAUTHORIZED`…) or a ConnectionError.
 *
 * @param url the server's WebSocket URL, e.g. `wss://parley.example/ws`
 *
 * @example
 * ```ts
 * const client = await connect('wss://parley.example/ws', { name: 'alice' });
 * client.on('state', (state, reason) => console.log('signaling', state, reason ?? ''));
 * ```
 */
export async function connect(url: string, options: ConnectOptions): Promise<ParleyClient> {
  const client = new ParleyClient(url, options);
  return client.open();
}
