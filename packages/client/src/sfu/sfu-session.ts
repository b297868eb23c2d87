/**
 * Media of one room in SFU mode: two RTCPeerConnections with the server's SFU, negotiated with
 * Parley's `sfu.*` frames (docs/PROTOCOL.md, "Large rooms (SFU)"), instead of one connection per
 * member.
 *
 * - The **publisher** connection sends our tracks (send-only). We offer; the server answers
 *   with `sfu.published`. A second `publish()` renegotiates the same connection.
 * - The **subscriber** connection receives every other member's media (receive-only). The SFU
 *   offers (`sfu.offer`, whose `streams` map each `mid` to a member's name) and we answer
 *   (`sfu.answer`). Whenever `sfu.feeds` changes who publishes, we ask for the new set with
 *   `sfu.subscribe` and answer the renegotiation.
 *
 * Descriptions are sent once ICE gathering completed (host candidates gather in milliseconds),
 * so no candidate trickling is needed in either direction: the SFU's own descriptions carry its
 * candidates as well. Every negotiation runs one at a time, in order.
 */
import type { ClientMessage, ServerMessage, SfuStream } from '@parley/protocol';
import { InvalidStateError, ParleyError } from '../errors.ts';
import { TypedEmitter } from '../events.ts';
import type { RTCPeerConnectionConstructor } from '../peer/peer-session.ts';

/** What the session needs from signaling: requests answered by `re`, and fire-and-forget sends. */
export interface SfuSignaling {
  request(msg: ClientMessage): Promise<ServerMessage>;
}

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
  /** Longest wait for ICE gathering before sending a description anyway. Default 3000 ms. */
  gatherTimeoutMs?: number;
}

/** Events of {@link SfuSession}. */
export type SfuSessionEvents = {
  /** A member's track arrived (same shape as the mesh `track`, keyed by name). */
  track: [name: string, track: MediaStreamTrack, stream: MediaStream];
  /** A member's track went away (it stopped publishing or left). */
  'track-removed': [name: string, track: MediaStreamTrack, stream: MediaStream];
  /** Who publishes in the room now (from `sfu.feeds`). */
  feeds: [names: string[]];
  /** A negotiation failed; the session keeps going and retries on the next change. */
  error: [error: Error];
};

/** One room's media through the SFU. */
export class SfuSession extends TypedEmitter<SfuSessionEvents> {
  readonly room: string;
  readonly #o: SfuSessionOptions;
  readonly #PC: RTCPeerConnectionConstructor;
  #pub: RTCPeerConnection | undefined;
  #sub: RTCPeerConnection | undefined;
  /** Names publishing in the room (from `sfu.feeds`). */
  #feeds: string[] = [];
  /** mid → stream of the current subscriber offer. */
  #streams = new Map<string, SfuStream>();
  /** Received tracks by mid, with the per-member stream they were announced in. */
  readonly #tracks = new Map<string, { name: string; track: MediaStreamTrack; stream: MediaStream }>();
  /** One MediaStream per member, so its audio and video play in sync. */
  readonly #memberStreams = new Map<string, MediaStream>();
  #queue: Promise<unknown> = Promise.resolve();
  #resubscribing = false;
  #resubscribeAgain = false;
  #closed = false;

  constructor(options: SfuSessionOptions) {
    super();
    this.room = options.room;
    this.#o = options;
    const PC = options.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    if (!PC) throw new InvalidStateError('no RTCPeerConnection in this environment');
    this.#PC = PC;
  }

  /** The publisher connection (undefined until `publish`). */
  get publisher(): RTCPeerConnection | undefined {
    return this.#pub;
  }
  /** The subscriber connection (undefined until there is someone to receive). */
  get subscriber(): RTCPeerConnection | undefined {
    return this.#sub;
  }
  /** Members publishing now. */
  get feeds(): readonly string[] {
    return this.#feeds;
  }

  /**
   * Sends `tracks` to the room through the SFU (send-only). Calling it again replaces what is
   * sent: tracks are swapped on the existing transceivers where kinds match, else renegotiated.
   */
  publish(tracks: readonly MediaStreamTrack[], stream?: MediaStream): Promise<void> {
    return this.#serial(async () => {
      this.#assertOpen();
      if (!this.#pub) this.#pub = new this.#PC({ iceServers: this.#o.iceServers ?? [] });
      const pc = this.#pub;
      const senders = pc.getSenders();
      let renegotiate = senders.length === 0;
      for (const track of tracks) {
        const free = senders.find((s) => s.track === null || s.track?.kind === track.kind);
        if (free) await free.replaceTrack(track);
        else {
          pc.addTransceiver(track, { direction: 'sendonly', streams: stream ? [stream] : [] });
          renegotiate = true;
        }
      }
      if (!renegotiate) return;
      await pc.setLocalDescription(await pc.createOffer());
      await this.#gathered(pc);
      const reply = await this.#o.signaling.request({
        type: 'sfu.publish',
        room: this.room,
        description: { type: 'offer', sdp: pc.localDescription!.sdp },
      });
      if (reply.type !== 'sfu.published') throw new ParleyError('INTERNAL', `unexpected ${reply.type}`);
      await pc.setRemoteDescription(reply.description);
    });
  }

  /** Stops publishing (the others get `sfu.feeds` without us). */
  unpublish(): Promise<void> {
    return this.#serial(async () => {
      if (!this.#pub) return;
      this.#pub.close();
      this.#pub = undefined;
      await this.#o.signaling.request({ type: 'sfu.unpublish', room: this.room });
    });
  }

  /**
   * Picks a simulcast layer (0 lowest … 2 highest) of one member's video, or pauses it.
   */
  async configure(name: string, change: { substream?: 0 | 1 | 2; paused?: boolean }): Promise<void> {
    await this.#o.signaling.request({ type: 'sfu.configure', room: this.room, feed: name, ...change });
  }

  /** @internal `sfu.feeds`: who publishes now; receive everyone else. */
  onFeeds(names: readonly string[]): void {
    if (this.#closed) return;
    this.#feeds = [...names];
    this.emit('feeds', this.#feeds);
    this.#resubscribe();
  }

  /** Closes both connections. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [mid, t] of this.#tracks) {
      this.#tracks.delete(mid);
      this.emit('track-removed', t.name, t.track, t.stream);
    }
    this.#pub?.close();
    this.#sub?.close();
    this.#pub = undefined;
    this.#sub = undefined;
  }

  // -------------------------------------------------------------------------------------------

  /** Asks for every publishing member but us; coalesces bursts of `sfu.feeds`. */
  #resubscribe(): void {
    if (this.#resubscribing) {
      this.#resubscribeAgain = true;
      return;
    }
    this.#resubscribing = true;
    void this.#serial(async () => {
      do {
        this.#resubscribeAgain = false;
        await this.#subscribeOnce().catch((err: unknown) => {
          if (!this.#closed) this.emit('error', err instanceof Error ? err : new Error(String(err)));
        });
      } while (this.#resubscribeAgain && !this.#closed);
    }).finally(() => {
      this.#resubscribing = false;
    });
  }

  async #subscribeOnce(): Promise<void> {
    if (this.#closed) return;
    const feeds = this.#feeds.filter((n) => n !== this.#o.self);
    const reply = await this.#o.signaling.request({ type: 'sfu.subscribe', room: this.room, feeds });
    if (reply.type !== 'sfu.offer') return; // `ack`: nothing changed, or nobody to receive yet
    if (!this.#sub) this.#sub = this.#newSubscriber();
    const pc = this.#sub;
    this.#streams = new Map(reply.streams.map((s) => [s.mid, s]));
    // Tracks whose mid is no longer offered are gone.
    for (const [mid, t] of [...this.#tracks]) {
      if (this.#streams.get(mid)?.feed === t.name) continue;
      this.#tracks.delete(mid);
      t.stream.removeTrack(t.track);
      this.emit('track-removed', t.name, t.track, t.stream);
    }
    await pc.setRemoteDescription(reply.description);
    await pc.setLocalDescription(await pc.createAnswer());
    await this.#gathered(pc);
    await this.#o.signaling.request({
      type: 'sfu.answer',
      room: this.room,
      description: { type: 'answer', sdp: pc.localDescription!.sdp },
    });
  }

  #newSubscriber(): RTCPeerConnection {
    const pc = new this.#PC({ iceServers: this.#o.iceServers ?? [] });
    pc.ontrack = (ev) => {
      const mid = ev.transceiver.mid;
      const info = mid !== null ? this.#streams.get(mid) : undefined;
      if (!info || mid === null) return;
      let stream = this.#memberStreams.get(info.feed);
      if (!stream) {
        stream = new MediaStream();
        this.#memberStreams.set(info.feed, stream);
      }
      stream.addTrack(ev.track);
      this.#tracks.set(mid, { name: info.feed, track: ev.track, stream });
      this.emit('track', info.feed, ev.track, stream);
    };
    return pc;
  }

  /** Resolves once ICE gathering completed (or after the timeout: send what we have). */
  #gathered(pc: RTCPeerConnection): Promise<void> {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      const check = () => {
        if (pc.iceGatheringState === 'complete') done();
      };
      const timer = setTimeout(done, this.#o.gatherTimeoutMs ?? 3000);
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError(`the SFU session of room ${this.room} is closed`);
  }
}
