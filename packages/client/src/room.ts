/**
 * A room: everyone in it is connected to everyone else (a mesh), one {@link PeerSession} per
 * other member. In a large room the server switches the room to its SFU (`room.mode`): media
 * then goes through one {@link SfuSession} (one upstream, one downstream), while the peer
 * sessions stay for data (chat, files); `track` events keep their shape. Members come and go with `peer.joined` / `peer.left`; our local media is sent
 * to each of them through the room's {@link LocalMedia}.
 *
 * After a signaling outage the server may have forgotten us (it restarted): the client then
 * joins again, and members we still have a working peer connection with are kept while they
 * come back, so media never stops for a server restart. Members that do not come back within
 * the server's resume grace (plus a margin) are dropped.
 */
import type { JsonValue, PeerLeftReason, RoomMode } from '@parley/protocol';
import { InvalidStateError } from './errors.ts';
import { TypedEmitter } from './events.ts';
import { ChatRoom } from './features/chat.ts';
import type { LocalMedia } from './features/media.ts';
import type { ConversationHost } from './host.ts';
import type { Logger } from './log.ts';
import type { PeerSession, RemoteMediaState } from './peer/peer-session.ts';
import type { Scope, SignalData } from './peer/signal-data.ts';
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
  /** The room moved its media to the server's SFU (`sfu`), e.g. when it grew large. */
  mode: [mode: RoomMode];
};

/** Extra margin, beyond the server's resume grace, to wait for members after a server restart. */
const REJOIN_MARGIN_MS = 15_000;

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
  readonly #password: string | undefined;
  readonly #log: Logger;
  readonly #peers = new Map<string, PeerSession>();
  /** Members kept through a server restart, waiting to be seen again, with their drop timers. */
  readonly #unconfirmed = new Map<string, ReturnType<typeof setTimeout>>();
  #state: RoomState = 'joining';
  #mode: RoomMode = 'mesh';
  /** Media through the server's SFU, in `sfu` mode. */
  #sfu: SfuSession | undefined;
  /** The last `sfu.feeds`, for an SFU session (re)started after it. */
  #sfuFeeds: string[] = [];

  /** @internal Created by the client. */
  constructor(host: ConversationHost, name: string, media: LocalMedia, password?: string) {
    super();
    this.#host = host;
    this.name = name;
    this.media = media;
    this.#password = password;
    this.#log = host.logger('parley:room');
  }

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
  /** Peer sessions with the other members, by name. */
  get peers(): ReadonlyMap<string, PeerSession> {
    return this.#peers;
  }
  /** The signaling scope of this room's peer sessions. */
  get scope(): Scope {
    return `room:${this.name}`;
  }

  /** Sends `data` to every other member through the server (`room.message`). */
  send(data: JsonValue): void {
    if (this.#state === 'left') throw new InvalidStateError(`room ${this.name} was left`);
    this.#host.send({ type: 'room.message', room: this.name, data });
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

  // ---- driven by the client --------------------------------------------------------------

  /** @internal Sends `room.join` (first join and rejoin). */
  join(): Promise<unknown> {
    return this.#host.request({
      type: 'room.join',
      room: this.name,
      ...(this.#password !== undefined ? { password: this.#password } : {}),
    });
  }

  /** @internal The signaling session is new (the server forgot us): join again, keep peers a while. */
  rejoin(): void {
    if (this.#state === 'left') return;
    this.#setState('rejoining');
    const waitMs = this.#host.graceMs + REJOIN_MARGIN_MS;
    for (const name of this.#peers.keys()) this.#expectBack(name, waitMs);
    this.join().catch((error: unknown) => {
      this.#log.warn('rejoin failed', { room: this.name, error: String(error) });
      const code = (error as { code?: string }).code;
      this.#teardown(typeof code === 'string' ? code : 'rejoin-failed');
    });
  }

  /** @internal `room.joined`: the members already there, and the room's mode. */
  onJoined(peers: readonly string[], mode?: RoomMode): void {
    if (this.#state === 'left') return;
    if (mode === 'sfu' && this.#mode !== 'sfu') this.#mode = 'sfu';
    for (const name of peers) this.#ensurePeer(name);
    this.#setState('joined');
    if (mode === 'sfu' && !this.#sfu) this.#useSfu();
  }

  /** @internal `room.mode`: `sfu` moves media to the SFU (again, after the SFU restarted). */
  onMode(mode: RoomMode): void {
    if (this.#state === 'left' || mode !== 'sfu') return;
    this.#useSfu();
  }

  /** @internal `sfu.feeds`: who publishes through the SFU. */
  onSfuFeeds(names: readonly string[]): void {
    this.#sfuFeeds = [...names];
    this.#sfu?.onFeeds(this.#sfuFeeds);
  }

  /** @internal `peer.joined`. */
  onPeerJoined(name: string): void {
    if (this.#state === 'left') return;
    this.#ensurePeer(name);
  }

  /** @internal `peer.left`. */
  onPeerLeft(name: string, reason: RoomPeerLeftReason): void {
    this.#dropPeer(name, reason);
  }

  /** @internal A signal for this room from `from`. */
  onSignal(from: string, data: SignalData): void {
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

  /** @internal `room.message`. */
  onMessage(from: string, data: JsonValue): void {
    this.emit('message', from, data);
  }

  /** @internal The client closes, or the server reported us out of the room. */
  teardown(reason: string): void {
    this.#teardown(reason);
  }

  // ------------------------------------------------------------------------------------------

  #ensurePeer(name: string): PeerSession {
    this.#confirm(name);
    const existing = this.#peers.get(name);
    if (existing && existing.state !== 'closed' && existing.state !== 'failed') return existing;
    if (existing) this.#dropPeer(name, 'lost');
    const peer = this.#host.createPeer(name, this.scope);
    this.#peers.set(name, peer);
    peer.on('track', (track, stream) => this.emit('track', peer, track, stream));
    peer.on('track-removed', (track, stream) => this.emit('track-removed', peer, track, stream));
    peer.on('media-state', (state) => this.emit('media-state', peer, state));
    if (peer.chat) this.chat.add(name, peer.chat);
    // In sfu mode our media reaches this member through the SFU, not this connection.
    if (this.#mode === 'mesh') void this.media.attach(peer);
    this.#log.debug('peer joined', { room: this.name, peer: name });
    this.emit('peer-joined', peer);
    return peer;
  }

  #dropPeer(name: string, reason: RoomPeerLeftReason): void {
    this.#confirm(name);
    const peer = this.#peers.get(name);
    if (!peer) return;
    this.#peers.delete(name);
    this.chat.remove(name);
    this.media.detach(peer);
    peer.close(`peer ${reason}`);
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
    const sfu = new SfuSession({
      room: this.name,
      self: this.#host.name,
      signaling: { request: (msg) => this.#host.request(msg) },
      iceServers: this.#host.iceServers ?? [],
      ...(this.#host.RTCPeerConnection ? { RTCPeerConnection: this.#host.RTCPeerConnection } : {}),
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
    sfu.on('error', (error) =>
      this.#log.warn('sfu negotiation failed', { room: this.name, error: String(error) }),
    );
    const stream = this.media.stream;
    if (wasMesh) {
      for (const peer of this.#peers.values()) {
        this.media.detach(peer);
        for (const t of stream?.getTracks() ?? []) void peer.removeTrack(t).catch(() => {});
      }
    }
    if (stream && stream.getTracks().length > 0) {
      sfu.publish(stream.getTracks(), stream).catch((error: unknown) => {
        this.#log.warn('sfu publish failed', { room: this.name, error: String(error) });
      });
    }
    if (this.#sfuFeeds.length > 0) sfu.onFeeds(this.#sfuFeeds);
    this.#log.info('room media through the sfu', { room: this.name });
    this.emit('mode', 'sfu');
  }

  #teardown(reason: string): void {
    if (this.#state === 'left') return;
    this.#sfu?.close();
    this.#sfu = undefined;
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
