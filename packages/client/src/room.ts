/**
 * A room: everyone in it is connected to everyone else (a mesh), one {@link PeerSession} per
 * other member. In a large room the server switches the room to its SFU (`room.mode sfu`, or
 * from the start with `join(…, { mode: 'sfu' })`): media then goes through one
 * {@link SfuSession} (one upstream, one downstream), while the peer sessions stay for data
 * (chat, files) and media-state signals; `track` events keep their shape. When the room shrinks
 * the server may switch it back (`room.mode mesh`): media goes peer to peer again. Members come
 * and go with `peer.joined` / `peer.left`; our local media is sent to each of them through the
 * room's {@link LocalMedia}.
 *
 * The room's active speaker comes from polling its connections' audio levels
 * (`room-speaker.ts`); the client drives the room through {@link RoomControl} (`host.ts`), fed
 * by `conversations.ts`.
 *
 * After a signaling outage the server may have forgotten us (it restarted): the client then
 * joins again, and members we still have a working peer connection with are kept while they
 * come back, so media never stops for a server restart. Members that do not come back within
 * the server's resume grace (plus a margin) are dropped.
 *
 * Just over 500 lines: mesh membership, the SFU switch and the restart recovery all act on the
 * same member map; the speaker polling and the frame routing already live apart.
 */
import { isE2eeMessage, type JsonValue, type PeerLeftReason, type RoomMode } from '@parley/protocol';
import { InvalidStateError } from './errors.ts';
import { TypedEmitter } from './events.ts';
import { type AppChannel, type AppChannelOptions, channelFor } from './features/app-channel.ts';
import { RoomDataRelay } from './features/app-channel-relay.ts';
import { roomChannelScope } from './features/app-channel-scopes.ts';
import { ChatRoom } from './features/chat.ts';
import type { E2eeSession } from './features/e2ee/e2ee-session.ts';
import type { RoomKeys } from './features/e2ee/room-keys.ts';
import type { LocalMedia } from './features/media.ts';
import type { ConversationHost, RoomControl } from './host.ts';
import type { Logger } from './log.ts';
import type { PeerSession, RemoteMediaState } from './peer/peer-session.ts';
import type { Scope, SignalData } from './peer/signal-data.ts';
import { RoomModeration } from './room-moderation.ts';
import { SpeakerPoll } from './room-speaker.ts';
import type { VideoView } from './sfu/layer-choice.ts';
import { tracksToPublish } from './sfu/sfu-publisher.ts';
import { SfuSession } from './sfu/sfu-session.ts';

/** `joining`, `joined`, `rejoining` (signaling came back without our session), `left`. */
export type RoomState = 'joining' | 'joined' | 'rejoining' | 'left';

/**
 * Why a member left: the server's `left` (on purpose) and `gone` (its connection dropped and
 * the resume grace ran out), or `lost` when it did not come back after a server restart.
 */
export type RoomPeerLeftReason = PeerLeftReason | 'lost';

/** Events of {@link Room}. */
export type RoomEvents = {
  /** The room state changed; `reason` accompanies `left` (`left`, `closed`, or an error code). */
  state: [state: RoomState, reason?: string];
  /** A member's peer session was created (they joined, or were there when we joined). */
  'peer-joined': [peer: PeerSession];
  /** A member left; its peer session is closed. */
  'peer-left': [name: string, reason: RoomPeerLeftReason];
  /** A remote track from a member. */
  track: [peer: PeerSession, track: MediaStreamTrack, stream: MediaStream];
  /** A member removed a track (e.g. stopped sharing its screen). */
  'track-removed': [peer: PeerSession, track: MediaStreamTrack, stream: MediaStream];
  /** A member muted/unmuted or started/stopped a screen share. */
  'media-state': [peer: PeerSession, state: RemoteMediaState];
  /** A `room.message` from a member (relayed by the server to everyone in the room). */
  message: [from: string, data: JsonValue];
  /**
   * The room moved its media to the server's SFU (`sfu`, e.g. it grew large; again after the
   * SFU restarted) or back to peer-to-peer (`mesh`, it shrank).
   */
  mode: [mode: RoomMode];
  /** The member speaking loudest now, or undefined when nobody speaks (see {@link Room.activeSpeaker}). */
  'active-speaker': [name: string | undefined];
};

/** Options of a room, from `client.join`. */
export interface RoomOptions {
  password?: string;
  /** `sfu`: ask for a room that carries media through the SFU from the start (when this join creates it). */
  mode?: RoomMode;
  /** End-to-end encryption of the room's media, started (see features/e2ee/). */
  e2ee?: E2eeSession;
  /** With `e2ee`: when this join creates the room, every later join must declare E2EE too. */
  requireE2ee?: boolean;
}

export { STATS_INTERVAL_MS } from './room-speaker.ts';

/** How long after a member's media-state a missing (or stale) screen share is fetched from the SFU. */
const SCREEN_REFRESH_MS = 500;

/** Extra margin, beyond the server's resume grace, to wait for members after a server restart. */
const REJOIN_MARGIN_MS = 15_000;

/** Set by the class's static block, which alone may reach its private members. */
let control: (room: Room) => RoomControl;

/** @internal The client's handle on `room` (not exported from the package). */
export function roomControl(room: Room): RoomControl {
  return control(room);
}

/**
 * A joined room. Get one from `client.join(name)`.
 *
 * @example
 * ```ts
 * const room = await client.join('standup', { media: { audio: true, video: true } });
 * room.on('track', (peer, track, stream) => show(peer.remoteName, stream));
 * room.on('peer-left', (name) => hide(name));
 * room.send({ text: 'hi all' });   // room.message to everyone
 * await room.leave();
 * ```
 */
export class Room extends TypedEmitter<RoomEvents> {
  /** The room name. */
  readonly name: string;
  /** Local media sent to every member. */
  readonly media: LocalMedia;
  /**
   * Chat with every member over the peer-to-peer chat channels (not through the server):
   * `room.chat.sendText('hi')`, `room.chat.on('chat', (from, msg) => …)`.
   */
  readonly chat = new ChatRoom();

  readonly #host: ConversationHost;
  readonly #options: RoomOptions;
  readonly #log: Logger;
  readonly #peers = new Map<string, PeerSession>();
  /** Members kept through a server restart, waiting to be seen again, with their drop timers. */
  readonly #unconfirmed = new Map<string, ReturnType<typeof setTimeout>>();
  #state: RoomState = 'joining';
  #mode: RoomMode = 'mesh';
  #e2eeRequired = false;
  /** Media through the server's SFU, in `sfu` mode. */
  #sfu: SfuSession | undefined;
  /** The last `sfu.feeds`, for an SFU session (re)started after it. */
  #sfuFeeds: string[] = [];
  /** The app's view of each member's camera (kept in mesh mode, applied in SFU mode). */
  readonly #views = new Map<string, VideoView>();
  readonly #speaker: SpeakerPoll;
  /** The SFU publish in progress, so media-state goes out after the media it describes. */
  #sfuPublishing: Promise<unknown> = Promise.resolve();
  readonly #screenChecks = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #onMediaChange = () => this.#mediaChanged();
  /** Who rekeys the room's E2EE when members come and go (with `e2ee`). */
  readonly #keys: RoomKeys | undefined;
  /** App channels through the server, in SFU mode (features/app-channel-relay.ts). */
  readonly #dataRelay: RoomDataRelay;

  /** @internal Created by the client. */
  constructor(host: ConversationHost, name: string, media: LocalMedia, options: RoomOptions = {}) {
    super();
    this.#host = host;
    this.name = name;
    this.media = media;
    this.#options = options;
    this.#log = host.logger('parley:room');
    this.#dataRelay = new RoomDataRelay(
      name,
      (msg) => host.send(msg),
      () => host.roomLimits?.data,
    );
    if (options.e2ee)
      this.#keys = options.e2ee.roomKeys({
        self: host.name,
        send: (data) => this.#host.send({ type: 'room.message', room: this.name, data }),
        log: this.#log,
      });
    media.on('change', this.#onMediaChange);
    this.moderation = new RoomModeration({
      self: host.name,
      room: name,
      request: (msg) => host.request(msg),
      rejoin: () => {
        this.#join().catch((error: unknown) => {
          const code = (error as { code?: unknown }).code;
          this.#teardown(typeof code === 'string' ? code : 'error');
        });
      },
      end: (reason) => this.#teardown(reason),
      muteMicrophone: () => media.setMuted('audio', true),
      stopScreenShare: () => void media.stopScreenShare().catch(() => {}),
      mediaState: () => ({ audio: media.state.audio, screen: media.state.screen }),
    });
    media.on('change', () => this.moderation.mediaChanged());
    this.#speaker = new SpeakerPoll({
      room: name,
      log: this.#log,
      sfu: () => this.#sfu,
      peers: () => this.#peers.values(),
      left: () => this.#state === 'left',
      onChange: (speaker) => {
        this.#sfu?.setActiveSpeaker(speaker);
        this.emit('active-speaker', speaker);
      },
    });
  }

  /** Roles, hands, the door and host actions (room-moderation.ts). */
  readonly moderation: RoomModeration;

  /** Current state. */
  get state(): RoomState {
    return this.#state;
  }
  /** How media flows: `mesh` (to each member directly) or `sfu` (through the server's SFU). */
  get mode(): RoomMode {
    return this.#mode;
  }
  /** The SFU connections in `sfu` mode (for stats), else undefined. */
  get sfu(): SfuSession | undefined {
    return this.#sfu;
  }
  /**
   * End-to-end encryption of this room's media when joined with `e2ee` (else undefined): its
   * safety code, each member's decrypt state, and `key` / `member-state` events.
   */
  get e2ee(): E2eeSession | undefined {
    return this.#options.e2ee;
  }
  /**
   * Whether the room requires end-to-end encryption (its creator joined with `requireE2ee`), as
   * the last `room.joined` said: every member must join with `e2ee`. False before the join, and
   * when the creator's `requireE2ee` lost the race to a plain join that created the room first.
   */
  get e2eeRequired(): boolean {
    return this.#e2eeRequired;
  }
  /** Peer sessions with the other members, by name. */
  get peers(): ReadonlyMap<string, PeerSession> {
    return this.#peers;
  }
  /** The signaling scope of this room's peer sessions. */
  get scope(): Scope {
    return `room:${this.name}`;
  }

  /**
   * The member speaking loudest now, or undefined when nobody is above the speech threshold.
   * Read from received audio levels (`getStats()`, mesh and SFU alike) with hysteresis: a
   * member takes over after being loudest for about 0.6 s, and keeps the floor through pauses
   * under 1.5 s. Only remote members count. Changes come as the `active-speaker` event.
   */
  get activeSpeaker(): string | undefined {
    return this.#speaker.active;
  }

  /**
   * Tells the SDK how the app shows member `name`'s camera: its rendered size in CSS pixels
   * (the SDK multiplies by devicePixelRatio), or `'hidden'`. In SFU rooms this picks the
   * simulcast layer the SFU forwards (height up to 200 device px: the lowest, up to 400: the
   * middle, else the full one; one more for the active speaker; lower while the link struggles)
   * and pauses hidden members' video. In mesh rooms it is remembered (every peer sends one full
   * stream there) and applied when the room moves to the SFU.
   *
   * @example
   * ```ts
   * new ResizeObserver(([e]) =>
   *   room.setVideoView('bob', { width: e.contentRect.width, height: e.contentRect.height }),
   * ).observe(bobTile);
   * room.setVideoView('carol', 'hidden'); // scrolled out of view
   * ```
   */
  setVideoView(name: string, view: { width: number; height: number } | 'hidden'): void {
    if (view !== 'hidden' && !(Number.isFinite(view.width) && Number.isFinite(view.height)))
      throw new TypeError('setVideoView: width and height must be numbers (CSS pixels), or "hidden"');
    this.#views.set(name, view === 'hidden' ? view : { width: view.width, height: view.height });
    this.#sfu?.setVideoView(name, this.#views.get(name));
  }

  /** Sends `data` to every other member through the server (`room.message`). */
  send(data: JsonValue): void {
    if (this.#state === 'left') throw new InvalidStateError(`room ${this.name} was left`);
    this.#host.send({ type: 'room.message', room: this.name, data });
  }

  /**
   * The app data channel `label` to every member (each new member too), in mesh and SFU mode
   * alike (peer to peer in mesh, through the server in SFU mode): strings, binary and JSON,
   * reliable or lossy, with backpressure (features/app-channel.ts). Members open the same label
   * with the same options.
   */
  channel(label: string, options: AppChannelOptions = {}): AppChannel {
    return channelFor(this, label, options, () => roomChannelScope(this, this.#dataRelay));
  }

  /** Leaves the room: closes every peer session and stops media the SDK obtained. Idempotent. */
  async leave(): Promise<void> {
    if (this.#state === 'left') return;
    this.#teardown('left');
    try {
      await this.#host.request({ type: 'room.leave', room: this.name });
    } catch (error) {
      this.#log.debug('leave not confirmed', { room: this.name, error: String(error) });
    }
  }

  // ---- driven by the client (through RoomControl) -----------------------------------------

  static {
    control = (room) => ({
      room,
      join: () => room.#join(),
      rejoin: () => room.#rejoin(),
      joined: (peers, mode, e2eeRequired) => room.#onJoined(peers, mode, e2eeRequired === true),
      mode: (mode) => room.#onMode(mode),
      sfuFeeds: (names) => room.#onSfuFeeds(names),
      peerJoined: (name, restart) => {
        if (room.#state === 'left') return;
        // A reloaded member's old connection is gone with its page: start a new one.
        if (restart) room.#dropPeer(name, 'lost');
        room.#ensurePeer(name);
        room.#keys?.memberJoined(name, room.#peers.keys());
      },
      peerLeft: (name, reason) => {
        room.moderation.forget(name);
        room.#dataRelay.peerLeft(name);
        room.#dropPeer(name, reason);
      },
      signal: (from, data) => room.#onSignal(from, data),
      message: (from, data) => {
        if (room.#keys && isE2eeMessage(data)) room.#keys.onMessage(from, data);
        else room.emit('message', from, data);
      },
      data: (msg) => room.#dataRelay.receive(msg),
      teardown: (reason) => room.#teardown(reason),
    });
  }

  /** Sends `room.join` (first join and rejoin). */
  #join(): Promise<unknown> {
    return this.#host.request({
      type: 'room.join',
      room: this.name,
      ...(this.#options.password !== undefined ? { password: this.#options.password } : {}),
      ...(this.#options.mode !== undefined ? { mode: this.#options.mode } : {}),
      // Declared so that a room whose creator required E2EE lets this member in.
      ...(this.#options.e2ee ? { e2ee: true } : {}),
      ...(this.#options.e2ee && this.#options.requireE2ee ? { requireE2ee: true } : {}),
    });
  }

  /** The signaling session is new (the server forgot us): join again, keep peers a while. */
  #rejoin(): void {
    if (this.#state === 'left') return;
    this.#setState('rejoining');
    const waitMs = this.#host.graceMs + REJOIN_MARGIN_MS;
    for (const name of this.#peers.keys()) this.#expectBack(name, waitMs);
    this.#join().catch((error: unknown) => {
      this.#log.warn('rejoin failed', { room: this.name, error: String(error) });
      const code = (error as { code?: string }).code;
      this.#teardown(typeof code === 'string' ? code : 'rejoin-failed');
    });
  }

  /** `room.joined`: the members already there, the room's mode, and its E2EE requirement. */
  #onJoined(peers: readonly string[], mode?: RoomMode, e2eeRequired = false): void {
    if (this.#state === 'left') return;
    this.#e2eeRequired = e2eeRequired;
    // A rejoin means the server forgot our session (it restarted): our SFU connections went
    // with it, so an SFU room starts them afresh.
    const rejoined = this.#state === 'rejoining';
    if (mode === 'sfu' && this.#mode !== 'sfu') this.#mode = 'sfu';
    for (const name of peers) this.#ensurePeer(name);
    this.#setState('joined');
    this.#speaker.start();
    if (mode === 'sfu' && (!this.#sfu || rejoined)) this.#useSfu();
    // A rejoin after a server restart may find the room in mesh mode again.
    else if (mode !== 'sfu' && this.#mode === 'sfu') this.#useMesh();
  }

  /**
   * `room.mode`: `sfu` moves media to the SFU (again, after the SFU restarted);
   * `mesh` moves it back to the peer connections.
   */
  #onMode(mode: RoomMode): void {
    if (this.#state === 'left') return;
    if (mode === 'sfu') this.#useSfu();
    else if (this.#mode === 'sfu') this.#useMesh();
  }

  /** `sfu.feeds`: who publishes through the SFU. */
  #onSfuFeeds(names: readonly string[]): void {
    this.#sfuFeeds = [...names];
    this.#sfu?.onFeeds(this.#sfuFeeds);
  }

  /** A signal for this room from `from`. */
  #onSignal(from: string, data: SignalData): void {
    if (this.#state === 'left') return;
    // Only members get a session: the server announces a member (room.joined / peer.joined)
    // before relaying its signals, so anyone else signalling in our room's scope is not in it.
    const peer = this.#peers.get(from);
    if (!peer) {
      this.#log.debug('signal from a non-member dropped', { room: this.name, from });
      return;
    }
    peer.handleSignal(data);
  }

  // ------------------------------------------------------------------------------------------

  #ensurePeer(name: string): PeerSession {
    this.#confirm(name);
    const existing = this.#peers.get(name);
    if (existing && existing.state !== 'closed' && existing.state !== 'failed') return existing;
    if (existing) this.#dropPeer(name, 'lost');
    const peer = this.#host.createPeer(name, this.scope);
    this.#peers.set(name, peer);
    this.#options.e2ee?.attach(peer.pc, name);
    peer.on('track', (track, stream) => this.emit('track', peer, track, stream));
    peer.on('track-removed', (track, stream) => this.emit('track-removed', peer, track, stream));
    peer.on('media-state', (state) => {
      this.emit('media-state', peer, state);
      if (this.#mode === 'sfu') this.#checkScreen(name);
    });
    if (peer.chat) this.chat.add(name, peer.chat);
    // In sfu mode our media reaches this member through the SFU, not this connection; the
    // media state still goes peer to peer.
    if (this.#mode === 'mesh') void this.media.attach(peer);
    else peer.sendMediaState(this.media.state);
    this.#log.debug('peer joined', { room: this.name, peer: name });
    this.emit('peer-joined', peer);
    return peer;
  }

  #dropPeer(name: string, reason: RoomPeerLeftReason): void {
    this.#confirm(name);
    const peer = this.#peers.get(name);
    if (!peer) return;
    this.#peers.delete(name);
    clearTimeout(this.#screenChecks.get(name));
    this.#screenChecks.delete(name);
    this.chat.remove(name);
    this.media.detach(peer);
    peer.close(`peer ${reason}`);
    this.#keys?.memberLeft(name, this.#peers.keys());
    this.#log.debug('peer left', { room: this.name, peer: name, reason });
    this.emit('peer-left', name, reason);
  }

  #expectBack(name: string, waitMs: number): void {
    if (this.#unconfirmed.has(name)) return;
    this.#unconfirmed.set(
      name,
      setTimeout(() => {
        this.#unconfirmed.delete(name);
        this.#dropPeer(name, 'lost');
      }, waitMs),
    );
  }

  #confirm(name: string): void {
    const timer = this.#unconfirmed.get(name);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#unconfirmed.delete(name);
  }

  /**
   * Moves media to the SFU: stops sending it to each member directly, publishes it once, and
   * receives everyone who publishes. A fresh SFU session each time (after an SFU restart the
   * server says `room.mode sfu` again and the old connections are dead).
   */
  #useSfu(): void {
    this.#sfu?.close();
    const wasMesh = this.#mode === 'mesh' || !this.#sfu;
    this.#mode = 'sfu';
    this.#speaker.reset();
    const e2ee = this.#options.e2ee;
    const PC = this.#host.RTCPeerConnection;
    const sfu = new SfuSession({
      room: this.name,
      self: this.#host.name,
      signaling: { request: (msg) => this.#host.request(msg) },
      iceServers: this.#host.iceServers ?? [],
      // With E2EE, every SFU connection gets its transforms as it is created.
      ...(e2ee
        ? { RTCPeerConnection: e2ee.connections(PC, (t) => this.#sfu?.feedOf(t.mid)) }
        : PC
          ? { RTCPeerConnection: PC }
          : {}),
    });
    this.#sfu = sfu;
    sfu.on('track', (name, track, stream) => {
      const peer = this.#peers.get(name);
      if (peer) this.emit('track', peer, track, stream);
    });
    sfu.on('track-removed', (name, track, stream) => {
      const peer = this.#peers.get(name);
      if (peer) this.emit('track-removed', peer, track, stream);
    });
    sfu.on('error', (error, final) =>
      this.#log.warn(final ? 'sfu negotiation failed for good' : 'sfu negotiation failed: retrying', {
        room: this.name,
        error: String(error),
      }),
    );
    sfu.on('link-cap', (cap) => this.#log.info('sfu link layer cap', { room: this.name, cap }));
    for (const [name, view] of this.#views) sfu.setVideoView(name, view);
    if (wasMesh) {
      const local = [...(this.media.stream?.getTracks() ?? []), ...(this.media.screen?.getTracks() ?? [])];
      for (const peer of this.#peers.values()) {
        this.media.detach(peer);
        for (const t of local) void peer.removeTrack(t).catch(() => {});
      }
    }
    this.#publishToSfu();
    if (this.#sfuFeeds.length > 0) sfu.onFeeds(this.#sfuFeeds);
    this.#log.info('room media through the sfu', { room: this.name });
    this.emit('mode', 'sfu');
  }

  /**
   * Moves media back to the peer connections (the room shrank): closes the SFU connections
   * (their tracks end with `track-removed`) and sends local media to every member again, which
   * renegotiates each peer connection.
   */
  #useMesh(): void {
    const sfu = this.#sfu;
    this.#sfu = undefined;
    this.#mode = 'mesh';
    this.#sfuFeeds = [];
    sfu?.close();
    this.#speaker.reset();
    for (const t of this.#screenChecks.values()) clearTimeout(t);
    this.#screenChecks.clear();
    for (const peer of this.#peers.values()) {
      // A member met in sfu mode has a data-only connection: both sides now add their first
      // media at once, and the polite side must not offer too (see PeerSession.expectFirstMedia).
      peer.expectFirstMedia();
      void this.media.attach(peer);
    }
    this.#log.info('room media peer to peer', { room: this.name });
    this.emit('mode', 'mesh');
  }

  /** Publishes the current local media to the SFU (a no-op when nothing changed). */
  #publishToSfu(): void {
    const sfu = this.#sfu;
    if (!sfu) return;
    const tracks = tracksToPublish(this.media.stream, this.media.screen);
    if (tracks.length === 0 && !sfu.publisher) return;
    this.#sfuPublishing = sfu.publish(tracks).catch((error: unknown) => {
      this.#log.warn('sfu publish failed', { room: this.name, error: String(error) });
    });
  }

  /** Local media changed (mute, device, screen share): in SFU mode publish it, then say so. */
  #mediaChanged(): void {
    if (this.#mode !== 'sfu' || this.#state === 'left') return;
    this.#publishToSfu();
    const state = this.media.state;
    void this.#sfuPublishing.then(() => {
      for (const peer of this.#peers.values()) peer.sendMediaState(state);
    });
  }

  /**
   * A member's media-state in SFU mode: when it says a screen is shared (or not) and our
   * subscription disagrees, receive that member afresh (the SFU does not announce a source
   * added to a live publisher).
   */
  #checkScreen(name: string): void {
    clearTimeout(this.#screenChecks.get(name));
    this.#screenChecks.set(
      name,
      setTimeout(() => {
        this.#screenChecks.delete(name);
        const sfu = this.#sfu;
        const state = this.#peers.get(name)?.remoteMediaState;
        if (!sfu || !state || sfu.hasScreen(name) === state.screen) return;
        this.#log.debug('screen share changed: receiving the member afresh', { room: this.name, peer: name });
        sfu.refresh(name);
      }, SCREEN_REFRESH_MS),
    );
  }

  #teardown(reason: string): void {
    if (this.#state === 'left') return;
    this.#options.e2ee?.close();
    this.#speaker.stop();
    for (const t of this.#screenChecks.values()) clearTimeout(t);
    this.#screenChecks.clear();
    this.media.off('change', this.#onMediaChange);
    this.#sfu?.close();
    this.#sfu = undefined;
    this.#dataRelay.close();
    for (const name of [...this.#peers.keys()]) this.#dropPeer(name, 'left');
    for (const t of this.#unconfirmed.values()) clearTimeout(t);
    this.#unconfirmed.clear();
    this.media.stop();
    this.#host.forget({ room: this.name });
    this.#setState('left', reason);
  }

  #setState(state: RoomState, reason?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, reason);
  }
}
