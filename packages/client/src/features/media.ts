/**
 * Local media shared by every peer of a call or a room: the camera/microphone stream, an
 * optional screen share, mute state, device switches and the mesh bitrate cap.
 *
 * - Mute keeps the track and sets `track.enabled = false` (the peer receives black frames or
 *   silence, no renegotiation), then tells every peer with a `media-state` signal.
 * - Switching camera or microphone uses `RTCRtpSender.replaceTrack`: no renegotiation.
 * - A screen share is an extra video track; adding or removing it renegotiates by itself
 *   (`negotiationneeded`).
 * - Without a camera or microphone (none, or permission denied) the peers get `recvonly`
 *   transceivers, so the call still works one way.
 * - Video senders are capped by {@link videoBitrateForPeers}: a mesh sends one copy per peer,
 *   so the per-peer cap falls as the room grows.
 */
import { TypedEmitter } from '../events.ts';
import { type Logger, silentLogger } from '../log.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { MediaStateData } from '../peer/signal-data.ts';

/** How a call or room gets its local media. */
export interface MediaOptions {
  /**
   * A stream the app already has. The SDK sends its tracks and never stops them. When absent,
   * the SDK asks for `media` itself and stops those tracks when the call or room ends.
   */
  stream?: MediaStream;
  /**
   * Constraints for getUserMedia when no `stream` is given. Default `{ audio: true, video: true }`;
   * `false` joins receive-only. If the request fails (no device, permission denied), the SDK
   * retries with audio only, then joins receive-only.
   */
  media?: MediaStreamConstraints | false;
}

/** A stream, or {@link MediaOptions}: `call.accept(stream)` is short for `call.accept({ stream })`. */
export type MediaInput = MediaOptions | MediaStream;

/** Normalises a {@link MediaInput} to {@link MediaOptions}. */
export function toMediaOptions(input: MediaInput | undefined): MediaOptions {
  if (!input) return {};
  return typeof (input as MediaStream).getTracks === 'function'
    ? { stream: input as MediaStream }
    : (input as MediaOptions);
}

/** getUserMedia (or a stand-in for tests and Node). */
export type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;
/** getDisplayMedia (or a stand-in for tests and Node). */
export type GetDisplayMedia = (options?: DisplayMediaStreamOptions) => Promise<MediaStream>;

/** The browser's getUserMedia, if any. */
export function defaultGetUserMedia(): GetUserMedia | undefined {
  const md = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices;
  return md?.getUserMedia ? (c) => md.getUserMedia(c) : undefined;
}

/** The browser's getDisplayMedia, if any. */
export function defaultGetDisplayMedia(): GetDisplayMedia | undefined {
  const md = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices;
  return md?.getDisplayMedia ? (o) => md.getDisplayMedia(o) : undefined;
}

/** Result of {@link acquireMedia}. */
export interface AcquiredMedia {
  /** The stream obtained, or null when joining receive-only. */
  stream: MediaStream | null;
  /** True when the SDK obtained the stream (and so stops its tracks at the end). */
  owned: boolean;
  /** Why the full request failed, if it did (e.g. a NotAllowedError). */
  error?: unknown;
}

/**
 * Resolves the media of a call or room from {@link MediaOptions}: the app's stream, or
 * getUserMedia with graceful fallbacks (all requested → audio only → receive-only).
 */
export async function acquireMedia(
  options: MediaOptions,
  getUserMedia: GetUserMedia | undefined = defaultGetUserMedia(),
  log: Logger = silentLogger,
): Promise<AcquiredMedia> {
  if (options.stream) return { stream: options.stream, owned: false };
  if (options.media === false || !getUserMedia) return { stream: null, owned: false };
  const wanted = options.media ?? { audio: true, video: true };
  try {
    return { stream: await getUserMedia(wanted), owned: true };
  } catch (error) {
    log.info('getUserMedia failed', { error: String(error) });
    if (wanted.video && wanted.audio) {
      try {
        return { stream: await getUserMedia({ audio: wanted.audio }), owned: true, error };
      } catch {
        // Fall through to receive-only.
      }
    }
    return { stream: null, owned: false, error };
  }
}

/**
 * The video bitrate cap per peer, in bits per second, for a mesh where we send to `peers`
 * peers: a total upload budget of about 4 Mbit/s shared out, at most 2.5 Mbit/s and at least
 * 150 kbit/s per peer. 1 → 2.5 M, 2 → 2 M, 3 → 1.33 M, 4 → 1 M, 8 → 500 k, 26+ → 150 k.
 */
export function videoBitrateForPeers(peers: number, uploadBudgetBps = 4_000_000): number {
  const n = Math.max(1, Math.floor(peers));
  return Math.round(Math.min(2_500_000, Math.max(150_000, uploadBudgetBps / n)));
}

/** Events of {@link LocalMedia}. */
export type LocalMediaEvents = {
  /** Mute or share state changed (also sent to every peer). */
  change: [state: MediaStateData];
  /** A local track was swapped (camera/mic switch). */
  'track-replaced': [oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack];
  /** Screen sharing started (the stream) or stopped (null). */
  screen: [stream: MediaStream | null];
};

/** Options of {@link LocalMedia}. */
export interface LocalMediaOptions {
  /** True when the SDK obtained the stream and should stop its tracks at the end. */
  owned?: boolean;
  getUserMedia?: GetUserMedia;
  getDisplayMedia?: GetDisplayMedia;
  /** Cap video bitrate by mesh size. Default true. */
  scaleBitrate?: boolean;
  logger?: Logger;
}

/**
 * The local side of a call or room. Get it as `call.media` or `room.media`.
 *
 * @example
 * ```ts
 * room.media.setMuted('audio', true);            // mute the microphone
 * await room.media.shareScreen();                // start a screen share (renegotiates)
 * await room.media.switchDevice('video', camId); // another camera, no renegotiation
 * ```
 */
export class LocalMedia extends TypedEmitter<LocalMediaEvents> {
  #stream: MediaStream | null;
  #owned: boolean;
  #screen: MediaStream | null = null;
  #muted = { audio: false, video: false };
  readonly #peers = new Set<PeerSession>();
  readonly #getUserMedia: GetUserMedia | undefined;
  readonly #getDisplayMedia: GetDisplayMedia | undefined;
  readonly #scaleBitrate: boolean;
  readonly #log: Logger;
  #stopped = false;

  constructor(stream: MediaStream | null, options: LocalMediaOptions = {}) {
    super();
    this.#stream = stream;
    this.#owned = options.owned ?? false;
    this.#getUserMedia = options.getUserMedia ?? defaultGetUserMedia();
    this.#getDisplayMedia = options.getDisplayMedia ?? defaultGetDisplayMedia();
    this.#scaleBitrate = options.scaleBitrate ?? true;
    this.#log = options.logger ?? silentLogger;
  }

  /** The camera/microphone stream, or null when receive-only. */
  get stream(): MediaStream | null {
    return this.#stream;
  }
  /** The screen being shared, or null. */
  get screen(): MediaStream | null {
    return this.#screen;
  }
  /** True when no camera and no microphone are sent. */
  get receiveOnly(): boolean {
    return !this.#stream || this.#stream.getTracks().length === 0;
  }
  /** What the peers are told: audio/video on (present and unmuted), screen shared. */
  get state(): MediaStateData {
    return {
      audio: this.#has('audio') && !this.#muted.audio,
      video: this.#has('video') && !this.#muted.video,
      screen: this.#screen !== null,
    };
  }
  /** Whether `kind` is muted by the app (true even when there is no such track). */
  isMuted(kind: 'audio' | 'video'): boolean {
    return this.#muted[kind];
  }

  /** Starts sending to `peer`: our tracks, recvonly for kinds we lack, media state, bitrate cap. */
  async attach(peer: PeerSession): Promise<void> {
    this.#peers.add(peer);
    const jobs: Promise<unknown>[] = [];
    const stream = this.#stream;
    const screen = this.#screen;
    // Audio first, then video (camera, then screen), whether sent or only received: two sides
    // that add their first media to a connection at the same moment (a room back to mesh) then
    // lay out their new m-sections in the same order, so a glare rollback finds the same kind
    // under each mid (Chromium cannot roll back an offer whose mids the remote offer gives
    // another kind: see holdsFirstMediaOffer in peer/negotiation.ts).
    for (const kind of ['audio', 'video'] as const) {
      const own = this.#tracks(kind);
      if (stream) for (const t of own) jobs.push(peer.addTrack(t, stream));
      if (kind === 'video' && screen) for (const t of screen.getTracks()) jobs.push(peer.addTrack(t, screen));
      // Receive-only for a kind we do not send (a no-op when the screen share's transceiver is there).
      if (own.length === 0) jobs.push(peer.ensureReceiving(kind));
    }
    peer.sendMediaState(this.state);
    this.#updateBitrate();
    await Promise.allSettled(jobs);
  }

  /** Stops tracking `peer` (its session is closing or closed). */
  detach(peer: PeerSession): void {
    if (this.#peers.delete(peer)) this.#updateBitrate();
  }

  /** Mutes or unmutes the microphone (`audio`) or camera (`video`) and tells the peers. */
  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    this.#muted[kind] = muted;
    for (const t of this.#tracks(kind)) t.enabled = !muted;
    this.#broadcastState();
  }

  /**
   * Replaces the current track of `track.kind` with `track` on every peer (replaceTrack, no
   * renegotiation) and in {@link stream}. The old track is stopped if the SDK owned it.
   */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    const kind = track.kind as 'audio' | 'video';
    const old = this.#tracks(kind)[0];
    track.enabled = !this.#muted[kind];
    if (!old) {
      // No track of this kind yet (receive-only so far): adding one needs a renegotiation.
      if (!this.#stream) this.#stream = newStream([]);
      this.#stream.addTrack(track);
      await Promise.allSettled([...this.#peers].map((p) => p.addTrack(track, this.#stream ?? undefined)));
      this.#broadcastState();
      return;
    }
    await Promise.allSettled([...this.#peers].map((p) => p.replaceTrack(old, track)));
    this.#stream?.removeTrack(old);
    this.#stream?.addTrack(track);
    if (this.#owned) old.stop();
    this.emit('track-replaced', old, track);
    this.#broadcastState();
  }

  /** Switches to another camera (`video`) or microphone (`audio`) by device id. */
  async switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<MediaStreamTrack> {
    if (!this.#getUserMedia) throw new Error('getUserMedia is not available');
    const s = await this.#getUserMedia({ [kind]: { deviceId: { exact: deviceId } } });
    const track = s.getTracks().find((t) => t.kind === kind);
    if (!track) throw new Error(`no ${kind} track from device ${deviceId}`);
    this.#owned = true;
    await this.replaceTrack(track);
    return track;
  }

  /**
   * Shares a screen: `stream` if given (a canvas capture, say), else getDisplayMedia. Each peer
   * renegotiates to add the track. Sharing stops by itself when the user ends it in the browser.
   */
  async shareScreen(stream?: MediaStream): Promise<MediaStream> {
    if (this.#screen) await this.stopScreenShare();
    let screen = stream;
    if (!screen) {
      if (!this.#getDisplayMedia) throw new Error('getDisplayMedia is not available');
      screen = await this.#getDisplayMedia({ video: true });
    }
    const s = screen;
    this.#screen = s;
    for (const t of s.getVideoTracks()) t.addEventListener?.('ended', () => void this.stopScreenShare(s));
    await Promise.allSettled(
      [...this.#peers].flatMap((p) => s.getVideoTracks().map((t) => p.addTrack(t, s))),
    );
    this.#updateBitrate();
    this.emit('screen', s);
    this.#broadcastState();
    return s;
  }

  /** Stops the screen share (renegotiates to remove the track) and stops its tracks. */
  async stopScreenShare(which?: MediaStream): Promise<void> {
    const s = this.#screen;
    if (!s || (which && which !== s)) return;
    this.#screen = null;
    await Promise.allSettled([...this.#peers].flatMap((p) => s.getTracks().map((t) => p.removeTrack(t))));
    for (const t of s.getTracks()) t.stop();
    this.emit('screen', null);
    this.#broadcastState();
  }

  /** Ends local media: stops the screen share and, if the SDK obtained them, the camera and mic. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#screen) for (const t of this.#screen.getTracks()) t.stop();
    this.#screen = null;
    if (this.#owned && this.#stream) for (const t of this.#stream.getTracks()) t.stop();
    this.#peers.clear();
  }

  #has(kind: 'audio' | 'video'): boolean {
    return this.#tracks(kind).length > 0;
  }

  #tracks(kind: 'audio' | 'video'): MediaStreamTrack[] {
    if (!this.#stream) return [];
    return kind === 'audio' ? this.#stream.getAudioTracks() : this.#stream.getVideoTracks();
  }

  #broadcastState(): void {
    const state = this.state;
    for (const p of this.#peers) p.sendMediaState(state);
    this.emit('change', state);
  }

  #updateBitrate(): void {
    if (!this.#scaleBitrate) return;
    const bps = videoBitrateForPeers(this.#peers.size);
    this.#log.debug('video bitrate cap', { peers: this.#peers.size, bps });
    for (const p of this.#peers) void p.setMaxVideoBitrate(bps).catch(() => {});
  }
}

function newStream(tracks: MediaStreamTrack[]): MediaStream {
  const MS = (globalThis as { MediaStream?: new (tracks?: MediaStreamTrack[]) => MediaStream }).MediaStream;
  if (!MS) throw new Error('no MediaStream implementation');
  return new MS(tracks);
}
