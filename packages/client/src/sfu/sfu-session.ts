/**
 * Media of one room in SFU mode: two RTCPeerConnections with the server's SFU, negotiated with
 * Parley's `sfu.*` frames (docs/PROTOCOL.md, "Large rooms (SFU)"), instead of one connection per
 * member.
 *
 * - The **publisher** connection sends our tracks (send-only), one transceiver per source
 *   (`microphone`, `camera`, `screen`); the camera goes out in simulcast layers where the
 *   browser can (see `simulcast.ts`). We offer, with `sources` naming each m-line; the server
 *   answers with `sfu.published`. Publishing again renegotiates the same connection.
 * - The **subscriber** connection receives every other member's media (receive-only). The SFU
 *   offers (`sfu.offer`, whose `streams` map each `mid` to a member and, when the publisher said,
 *   a source) and we answer (`sfu.answer`). Whenever `sfu.feeds` changes who publishes, we ask
 *   for the new set with `sfu.subscribe` and answer the renegotiation. A member's camera and
 *   microphone arrive in one MediaStream, its screen share in another.
 * - Which layer of each member's camera we receive, or whether it is paused, follows the app's
 *   view of it, the active speaker and the subscriber link's health (`layer-choice.ts`); changes
 *   go out as `sfu.configure`, debounced, only when they change something.
 *
 * Descriptions go out at once and our ICE candidates follow with `sfu.trickle` (held until the
 * SFU has the connection: after `sfu.published`, after our `sfu.answer`); the SFU's own
 * descriptions carry its candidates. Negotiations of each connection run one at a time, in order; the two
 * connections negotiate independently (a newcomer subscribes while it publishes). A failed negotiation is
 * retried with backoff (a few times, on a fresh connection); a subscriber connection whose ICE
 * fails is rebuilt and everything subscribed again.
 *
 * This file holds the session and its subscriber half; the publisher half is `sfu-publisher.ts`,
 * the layer control `sfu-layers.ts`, the connections' candidates `sfu-candidates.ts`. Imports:
 * protocol, errors, events, command-queue, and those three.
 */
import type { ClientMessage, ServerMessage, SfuSource, SfuStream } from '@parley/protocol';
import { InvalidStateError, ParleyError } from '../errors.ts';
import { TypedEmitter } from '../events.ts';
import type { StatsReportLike } from '../features/stats.ts';
import { CommandQueue } from '../peer/command-queue.ts';
import type { RTCPeerConnectionConstructor } from '../peer/peer-session.ts';
import type { FeedLayer, Substream, VideoView } from './layer-choice.ts';
import { gathered, SfuCandidates } from './sfu-candidates.ts';
import { SfuLayers } from './sfu-layers.ts';
import { SfuPublisher, type SfuTrack } from './sfu-publisher.ts';

/** What the session needs from signaling: requests answered by `re`. */
export interface SfuSignaling {
  request(msg: ClientMessage): Promise<ServerMessage>;
}

export type { SfuTrack } from './sfu-publisher.ts';

/** How often, and how far apart, a new source of a member is asked for before taking it afresh. */
const REFRESH_ATTEMPTS = 5;
const REFRESH_WAIT_MS = 300;

/** Options of {@link SfuSession}. */
export interface SfuSessionOptions {
  /** The room (already joined, in `sfu` mode). */
  room: string;
  /** Our own name, never subscribed to. */
  self: string;
  signaling: SfuSignaling;
  iceServers?: RTCIceServer[];
  /** RTCPeerConnection constructor (default: the global one). */
  RTCPeerConnection?: RTCPeerConnectionConstructor;
  /**
   * Send descriptions at once and our ICE candidates after them with `sfu.trickle` (default
   * true). False: wait for ICE gathering and send complete descriptions, as before trickling.
   */
  trickle?: boolean;
  /** Without `trickle`, the longest wait for ICE gathering. Default 3000 ms. */
  gatherTimeoutMs?: number;
  /** Send the camera in simulcast layers where the browser can. Default true. */
  simulcast?: boolean;
  /** Device pixels per CSS pixel, for view sizes. Default `globalThis.devicePixelRatio` or 1. */
  devicePixelRatio?: number;
  /** Attempts of one negotiation before giving up (and emitting `error`). Default 4. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt. Default 500 ms. */
  retryBaseMs?: number;
  /** Wait before `sfu.configure` goes out, so bursts of view changes coalesce. Default 150 ms. */
  configureDebounceMs?: number;
}

/** Events of {@link SfuSession}. */
export type SfuSessionEvents = {
  /** A member's track arrived (same shape as the mesh `track`, keyed by name). */
  track: [name: string, track: MediaStreamTrack, stream: MediaStream];
  /** A member's track went away (it stopped publishing or left). */
  'track-removed': [name: string, track: MediaStreamTrack, stream: MediaStream];
  /** Who publishes in the room now (from `sfu.feeds`). */
  feeds: [names: string[]];
  /** The subscriber link's layer cap changed (2: no cap; lower: the link struggles). */
  'link-cap': [cap: Substream];
  /** A negotiation failed (it is retried; `final` when the retries ran out). */
  error: [error: Error, final: boolean];
};

interface Received {
  name: string;
  track: MediaStreamTrack;
  stream: MediaStream;
  group: string;
  source: SfuSource | undefined;
}

/** One room's media through the SFU. */
export class SfuSession extends TypedEmitter<SfuSessionEvents> {
  readonly room: string;
  readonly #o: SfuSessionOptions;
  readonly #candidates: SfuCandidates;
  readonly #layers: SfuLayers;
  readonly #publisher: SfuPublisher;
  #sub: RTCPeerConnection | undefined;
  /** Names publishing in the room (from `sfu.feeds`). */
  #feeds: string[] = [];
  /** mid → stream of the current subscriber offer. */
  #streams = new Map<string, SfuStream>();
  /** Received tracks by mid. */
  readonly #tracks = new Map<string, Received>();
  /** One MediaStream per member and group (camera + microphone together, the screen apart). */
  readonly #groups = new Map<string, MediaStream>();
  /**
   * The subscriber's negotiations run one at a time, in order. The publisher has its own queue:
   * the two are independent, so a newcomer receives while it publishes, and a publish retrying
   * with backoff holds up no subscription. Closing the session closes both: queued work rejects
   * with InvalidStateError.
   */
  readonly #queue = new CommandQueue();
  #resubscribing = false;
  #resubscribeAgain = false;
  #subscribeFailures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: SfuSessionOptions) {
    super();
    this.room = options.room;
    this.#o = options;
    const PC = options.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    if (!PC) throw new InvalidStateError('no RTCPeerConnection in this environment');
    const request = (msg: ClientMessage) => options.signaling.request(msg);
    const emitError = (error: Error) => this.emit('error', error, false);
    this.#candidates = new SfuCandidates({
      room: this.room,
      request,
      PC,
      iceServers: options.iceServers ?? [],
      trickle: this.#trickling,
      isCurrent: (pc, target) => (target === 'publisher' ? this.#publisher.pc : this.#sub) === pc,
      onError: emitError,
    });
    this.#layers = new SfuLayers({
      room: this.room,
      request,
      streams: () => this.#streams,
      enqueue: (name, fn) => this.#queue.push(name, fn),
      onError: emitError,
      onLinkCap: (cap) => this.emit('link-cap', cap),
      ...(options.devicePixelRatio !== undefined ? { devicePixelRatio: options.devicePixelRatio } : {}),
      debounceMs: options.configureDebounceMs ?? 150,
    });
    this.#publisher = new SfuPublisher({
      room: this.room,
      request,
      candidates: this.#candidates,
      trickle: this.#trickling,
      gatherTimeoutMs: options.gatherTimeoutMs ?? 3000,
      simulcast: options.simulcast !== false,
      maxAttempts: options.maxAttempts ?? 4,
      retryBaseMs: options.retryBaseMs ?? 500,
      onError: (error, final) => this.emit('error', error, final),
    });
  }

  /** The publisher connection (undefined until `publish`). */
  get publisher(): RTCPeerConnection | undefined {
    return this.#publisher.pc;
  }
  /** The subscriber connection (undefined until there is someone to receive). */
  get subscriber(): RTCPeerConnection | undefined {
    return this.#sub;
  }
  /** The member whose feed the subscriber transceiver `mid` carries (for E2EE keys). */
  feedOf(mid: string | null): string | undefined {
    return mid === null ? undefined : this.#streams.get(mid)?.feed;
  }
  /** Members publishing now. */
  get feeds(): readonly string[] {
    return this.#feeds;
  }
  /** The highest layer the subscriber link gets now (2 unless it struggled). */
  get linkCap(): Substream {
    return this.#layers.cap;
  }
  /** What the SFU was last told for `name`'s video (for tests and diagnostics). */
  layerOf(name: string): FeedLayer | undefined {
    return this.#layers.sentTo(name);
  }
  /** The member a received track (by id) or m-line (by mid) belongs to. */
  memberOf(ref: { trackIdentifier?: string; mid?: string }): string | undefined {
    if (ref.mid !== undefined) {
      const s = this.#streams.get(ref.mid);
      if (s) return s.feed;
    }
    if (ref.trackIdentifier !== undefined)
      for (const t of this.#tracks.values()) if (t.track.id === ref.trackIdentifier) return t.name;
    return undefined;
  }

  /**
   * Sends `tracks` to the room through the SFU (send-only). Calling it again sets what is sent:
   * tracks are swapped on the existing transceivers of their source, new sources are added and
   * sources left out stop (both renegotiate). Plain tracks are the microphone (audio) and the
   * camera (video). Resolves once the SFU accepted it; a failure is retried with backoff on a
   * fresh connection, and rejects when the retries ran out.
   */
  publish(tracks: readonly (MediaStreamTrack | SfuTrack)[], stream?: MediaStream): Promise<void> {
    return this.#publisher.publish(
      tracks.map((t) =>
        isSfuTrack(t)
          ? t
          : { track: t, source: t.kind === 'audio' ? 'microphone' : 'camera', ...(stream ? { stream } : {}) },
      ),
    );
  }

  /** Stops publishing (the others get `sfu.feeds` without us). */
  unpublish(): Promise<void> {
    return this.#publisher.unpublish();
  }

  /**
   * Picks a simulcast layer (0 lowest … 2 highest) of one member's video, or pauses it, at once
   * and regardless of views (prefer {@link setVideoView}, which also follows speaker and link).
   */
  async configure(name: string, change: { substream?: Substream; paused?: boolean }): Promise<void> {
    await this.#o.signaling.request({ type: 'sfu.configure', room: this.room, feed: name, ...change });
    this.#layers.configured(name, change);
  }

  /** How the app shows `name`'s camera (CSS pixels, or `hidden`); picks its layer. */
  setVideoView(name: string, view: VideoView | undefined): void {
    this.#layers.setView(name, view);
  }

  /** The active speaker gets one layer more. */
  setActiveSpeaker(name: string | undefined): void {
    this.#layers.setSpeaker(name);
  }

  /**
   * A `getStats()` report of the subscriber connection (the room polls it for audio levels):
   * judges the link about once a second and lowers or raises the layer cap.
   */
  onSubscriberStats(report: StatsReportLike, nowMs = Date.now()): void {
    this.#layers.onStats(report, nowMs);
  }

  /** @internal `sfu.feeds`: who publishes now; receive everyone else. */
  onFeeds(names: readonly string[]): void {
    if (this.#closed) return;
    this.#feeds = [...names];
    this.emit('feeds', this.#feeds);
    this.#resubscribe();
  }

  /**
   * Follows a publisher that added or removed a source (a screen share) on its live connection,
   * which the SFU does not announce with `sfu.feeds`. A new source is asked for alone
   * (`sfu.subscribe {refresh}`: the member's other streams go on untouched), a few times while
   * the SFU has not taken it yet; a removed one, or an addition the SFU never shows, makes the
   * member received afresh (its streams dropped and taken again: its camera freezes a moment).
   */
  refresh(name: string): void {
    if (this.#closed || !this.#feeds.includes(name)) return;
    const adding = !this.hasScreen(name);
    this.#queue
      .push('refresh', async () => {
        if (adding) {
          for (let attempt = 0; attempt < REFRESH_ATTEMPTS && !this.#closed; attempt++) {
            if (await this.#subscribeOnce(this.#feeds, false, [name]).catch(() => false)) return;
            await new Promise((r) => setTimeout(r, REFRESH_WAIT_MS));
          }
        }
        await this.#subscribeOnce(this.#feeds.filter((n) => n !== name)).catch(() => {});
      })
      .then(
        () => this.#resubscribe(),
        () => {}, // closed meanwhile
      );
  }

  /** Whether `name`'s offered streams include a screen share (by source, else by a second video). */
  hasScreen(name: string): boolean {
    const videos = [...this.#streams.values()].filter((s) => s.feed === name && s.kind === 'video');
    if (videos.some((s) => s.source !== undefined)) return videos.some((s) => s.source === 'screen');
    return videos.length > 1;
  }

  /** Closes both connections. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#publisher.close();
    this.#queue.close();
    clearTimeout(this.#retryTimer);
    this.#layers.close();
    this.#removeAllTracks();
    this.#candidates.close();
    this.#sub?.close();
    this.#sub = undefined;
  }

  // ---- subscribing ------------------------------------------------------------------------------

  /** Asks for every publishing member but us; coalesces bursts of `sfu.feeds`. */
  #resubscribe(): void {
    if (this.#resubscribing) {
      this.#resubscribeAgain = true;
      return;
    }
    this.#resubscribing = true;
    this.#queue
      .push('subscribe', async () => {
        do {
          this.#resubscribeAgain = false;
          try {
            await this.#subscribeOnce(this.#feeds);
            this.#subscribeFailures = 0;
          } catch (err) {
            if (!this.#closed) this.#subscribeFailed(err);
            return;
          }
        } while (this.#resubscribeAgain && !this.#closed);
      })
      .catch(() => {}) // closed before it ran
      .finally(() => {
        this.#resubscribing = false;
      });
  }

  /**
   * A subscribe or its answer failed: the SFU and we may disagree on the subscription now, so
   * start over (a fresh subscriber connection, everything subscribed again) after a backoff.
   */
  #subscribeFailed(err: unknown): void {
    this.#subscribeFailures++;
    const max = this.#o.maxAttempts ?? 4;
    const final = this.#subscribeFailures >= max;
    this.emit('error', err instanceof Error ? err : new Error(String(err)), final);
    if (final) return;
    const delay = (this.#o.retryBaseMs ?? 500) * 2 ** (this.#subscribeFailures - 1);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#restartSubscriber(), delay);
  }

  /**
   * Receives everything afresh on a new subscriber connection: the old connection is closed (its
   * tracks end with `track-removed`) and every publisher is subscribed again with
   * `sfu.subscribe {restart: true}`, for which the server drops the old subscription and offers
   * the whole set anew. Runs when the subscriber's ICE fails or a subscribe fails.
   */
  #restartSubscriber(): Promise<void> {
    return this.#queue
      .push('restart subscriber', async () => {
        this.#candidates.forget(this.#sub);
        this.#sub?.close();
        this.#sub = undefined;
        this.#removeAllTracks();
        this.#layers.reset();
        // Subscribe afresh in this same turn of the queue, so the caller's promise covers it.
        this.#resubscribeAgain = false;
        await this.#subscribeOnce(this.#feeds, true);
        if (!this.#sub && this.#feeds.some((n) => n !== this.#o.self))
          throw new ParleyError('SFU_UNAVAILABLE', 'the SFU did not offer the subscription again');
        this.#subscribeFailures = 0;
      })
      .catch((err: unknown) => {
        if (!this.#closed) this.#subscribeFailed(err);
      });
  }

  /** One `sfu.subscribe` and, if the SFU offers, its answer; resolves whether it offered. */
  async #subscribeOnce(names: readonly string[], restart = false, refresh?: string[]): Promise<boolean> {
    if (this.#closed) return false;
    const feeds = names.filter((n) => n !== this.#o.self);
    const reply = await this.#o.signaling.request({
      type: 'sfu.subscribe',
      room: this.room,
      feeds,
      ...(restart ? { restart } : {}),
      ...(refresh ? { refresh } : {}),
    });
    if (reply.type !== 'sfu.offer') return false; // `ack`: nothing changed, or nobody to receive yet
    if (!this.#sub) this.#sub = this.#newSubscriber();
    const pc = this.#sub;
    const before = new Set([...this.#streams.values()].map((s) => s.feed));
    this.#streams = new Map(reply.streams.map((s) => [s.mid, s]));
    // Tracks whose mid is no longer offered (or now carries someone else) are gone.
    for (const [mid, t] of [...this.#tracks]) {
      const s = this.#streams.get(mid);
      if (s?.feed === t.name && s.source === t.source) continue;
      this.#removeTrack(mid, t);
    }
    this.#layers.subscriptionChanged(before, new Set([...this.#streams.values()].map((s) => s.feed)));
    await pc.setRemoteDescription(reply.description);
    await pc.setLocalDescription(await pc.createAnswer());
    if (!this.#trickling) await gathered(pc, this.#o.gatherTimeoutMs ?? 3000);
    const answered = this.#o.signaling.request({
      type: 'sfu.answer',
      room: this.room,
      description: { type: 'answer', sdp: pc.localDescription!.sdp },
    });
    // Candidates follow the answer on the wire (frames keep their order), while it is on its way.
    this.#candidates.release(pc, 'subscriber');
    await answered;
    this.#layers.schedule();
    return true;
  }

  #newSubscriber(): RTCPeerConnection {
    const pc = this.#candidates.create('subscriber');
    pc.ontrack = (ev) => {
      const mid = ev.transceiver.mid;
      const info = mid !== null ? this.#streams.get(mid) : undefined;
      if (!info || mid === null) return;
      const old = this.#tracks.get(mid);
      if (old?.track === ev.track) return;
      if (old) this.#removeTrack(mid, old);
      const group = groupOf(info, ev.streams[0]?.id);
      const key = `${info.feed}\n${group}`;
      let stream = this.#groups.get(key);
      if (!stream) {
        stream = new MediaStream();
        this.#groups.set(key, stream);
      }
      stream.addTrack(ev.track);
      this.#tracks.set(mid, { name: info.feed, track: ev.track, stream, group: key, source: info.source });
      this.emit('track', info.feed, ev.track, stream);
    };
    pc.addEventListener('iceconnectionstatechange', () => {
      if (pc !== this.#sub || this.#closed || pc.iceConnectionState !== 'failed') return;
      this.emit('error', new Error('subscriber ICE failed: subscribing afresh'), false);
      void this.#restartSubscriber();
    });
    return pc;
  }

  #removeTrack(mid: string, t: Received): void {
    this.#tracks.delete(mid);
    t.stream.removeTrack(t.track);
    if (t.stream.getTracks().length === 0) this.#groups.delete(t.group);
    this.emit('track-removed', t.name, t.track, t.stream);
  }

  #removeAllTracks(): void {
    for (const [mid, t] of [...this.#tracks]) this.#removeTrack(mid, t);
    this.#groups.clear();
  }

  get #trickling(): boolean {
    return this.#o.trickle ?? true;
  }
}

function isSfuTrack(t: MediaStreamTrack | SfuTrack): t is SfuTrack {
  return typeof (t as SfuTrack).track === 'object' && (t as SfuTrack).track !== null;
}

/**
 * Which of a member's MediaStreams a received track joins: by the source the publisher named
 * (camera and microphone together, the screen apart); without one, by the publisher's stream id
 * as the SFU relays it in the msid; else the camera's.
 */
function groupOf(info: SfuStream, msidStream: string | undefined): string {
  if (info.source === 'screen') return 'screen';
  if (info.source !== undefined) return 'camera';
  return msidStream ? `msid:${msidStream}` : 'camera';
}
