/**
 * The publisher half of an {@link SfuSession}: one send-only connection with the SFU, one
 * transceiver per source (`microphone`, `camera`, `screen`), the camera in simulcast layers where
 * the browser can (`simulcast.ts`). We offer, with `sources` naming each m-line; the server
 * answers with `sfu.published`. Publishing again renegotiates the same connection. Publishes run
 * one at a time in the publisher's own queue; a failed one is retried with backoff on a fresh
 * connection.
 *
 * Imports: protocol, errors, command-queue, sfu-candidates (connections and their candidates),
 * simulcast.
 */
import type { ClientMessage, ServerMessage, SfuSource } from '@parley/protocol';
import { ParleyError } from '../errors.ts';
import { CommandQueue } from '../peer/command-queue.ts';
import { gathered, type SfuCandidates } from './sfu-candidates.ts';
import { simulcastLayers } from './simulcast.ts';

/** A track to publish and what it is. */
export interface SfuTrack {
  track: MediaStreamTrack;
  /** `microphone` / `camera` by default, from the track's kind. */
  source?: SfuSource;
  /** The stream it belongs to (its id reaches subscribers as the msid). */
  stream?: MediaStream;
}

/** What a room publishes from its local media: one microphone, one camera, one screen. */
export function tracksToPublish(stream: MediaStream | null, screen: MediaStream | null): SfuTrack[] {
  const out: SfuTrack[] = [];
  if (stream) {
    for (const t of stream.getAudioTracks().slice(0, 1)) out.push({ track: t, source: 'microphone', stream });
    for (const t of stream.getVideoTracks().slice(0, 1)) out.push({ track: t, source: 'camera', stream });
  }
  if (screen)
    for (const t of screen.getVideoTracks().slice(0, 1))
      out.push({ track: t, source: 'screen', stream: screen });
  return out;
}

/** What the publisher needs from its session. */
export interface SfuPublisherHost {
  room: string;
  request(msg: ClientMessage): Promise<ServerMessage>;
  candidates: SfuCandidates;
  /** False: wait for ICE gathering (at most `gatherTimeoutMs`) and send a complete offer. */
  trickle: boolean;
  gatherTimeoutMs: number;
  /** Send the camera in simulcast layers where the browser can. */
  simulcast: boolean;
  /** Attempts of one publish before giving up. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt. */
  retryBaseMs: number;
  /** A publish attempt failed (`final` when the retries ran out). */
  onError(error: Error, final: boolean): void;
}

/** Our media going to the SFU. */
export class SfuPublisher {
  readonly #host: SfuPublisherHost;
  /** Publishes run one at a time, in order; closing rejects those still waiting. */
  readonly #queue = new CommandQueue();
  #pc: RTCPeerConnection | undefined;
  #negotiated = false;
  /** Publisher transceivers by source. */
  readonly #senders = new Map<SfuSource, RTCRtpTransceiver>();
  /** What the app wants published now (retries and rebuilds use the latest). */
  #wanted: SfuTrack[] = [];

  constructor(host: SfuPublisherHost) {
    this.#host = host;
  }

  /** The publisher connection (undefined until `publish`). */
  get pc(): RTCPeerConnection | undefined {
    return this.#pc;
  }

  /** Sets what is sent (see `SfuSession.publish`); resolves once the SFU accepted it. */
  publish(tracks: SfuTrack[]): Promise<void> {
    this.#wanted = tracks;
    return this.#queue.push('publish', () => this.#withRetries());
  }

  /** Stops publishing (the others get `sfu.feeds` without us). */
  unpublish(): Promise<void> {
    this.#wanted = [];
    if (this.#queue.closed) return Promise.resolve(); // closing dropped the connection already
    return this.#queue.push('unpublish', async () => {
      if (!this.#pc) return;
      this.#drop();
      await this.#host.request({ type: 'sfu.unpublish', room: this.#host.room });
    });
  }

  close(): void {
    this.#queue.close();
    this.#pc?.close();
    this.#pc = undefined;
  }

  /**
   * Runs one publish, retrying a failure after 0.5 s, 1 s, 2 s … (on a fresh connection) up to
   * `maxAttempts`; each failure is reported, the last as final.
   */
  async #withRetries(): Promise<void> {
    const max = this.#host.maxAttempts;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#publishOnce();
        return;
      } catch (err) {
        if (this.#queue.closed) throw err;
        const final = attempt >= max;
        const error = err instanceof Error ? err : new Error(String(err));
        this.#host.onError(new Error(`publish failed (attempt ${attempt}/${max}): ${error.message}`), final);
        if (final) throw error;
        this.#drop();
        await new Promise((r) => setTimeout(r, this.#host.retryBaseMs * 2 ** (attempt - 1)));
        if (this.#queue.closed) throw error;
        // The SFU may still hold the half-done publish: drop it before offering afresh.
        await this.#host.request({ type: 'sfu.unpublish', room: this.#host.room }).catch(() => {});
      }
    }
  }

  async #publishOnce(): Promise<void> {
    if (!this.#pc) this.#pc = this.#host.candidates.create('publisher');
    const pc = this.#pc;
    let renegotiate = !this.#negotiated;
    const wanted = new Map(this.#wanted.map((t) => [t.source ?? 'camera', t]));
    for (const [source, want] of wanted) {
      const t = this.#senders.get(source);
      if (t) {
        if (t.sender.track !== want.track) await t.sender.replaceTrack(want.track);
        if (t.direction !== 'sendonly') {
          t.direction = 'sendonly';
          renegotiate = true;
        }
        continue;
      }
      this.#senders.set(source, this.#addSender(pc, source, want));
      renegotiate = true;
    }
    for (const [source, t] of this.#senders) {
      if (wanted.has(source) || t.direction === 'inactive') continue;
      await t.sender.replaceTrack(null);
      t.direction = 'inactive';
      renegotiate = true;
    }
    if (!renegotiate) return;
    await pc.setLocalDescription(await pc.createOffer());
    if (!this.#host.trickle) await gathered(pc, this.#host.gatherTimeoutMs);
    const sources: { mid: string; source: SfuSource }[] = [];
    for (const [source, t] of this.#senders)
      if (t.mid !== null && t.direction !== 'inactive') sources.push({ mid: t.mid, source });
    const reply = await this.#host.request({
      type: 'sfu.publish',
      room: this.#host.room,
      description: { type: 'offer', sdp: pc.localDescription!.sdp },
      sources,
    });
    if (reply.type !== 'sfu.published') throw new ParleyError('INTERNAL', `unexpected ${reply.type}`);
    await pc.setRemoteDescription(reply.description);
    this.#negotiated = true;
    // The SFU holds our publisher now: the candidates gathered meanwhile can go.
    this.#host.candidates.release(pc, 'publisher');
  }

  /** A send-only transceiver for `source`; the camera in simulcast layers where possible. */
  #addSender(pc: RTCPeerConnection, source: SfuSource, want: SfuTrack): RTCRtpTransceiver {
    const init: RTCRtpTransceiverInit = { direction: 'sendonly', streams: want.stream ? [want.stream] : [] };
    if (source === 'camera' && want.track.kind === 'video' && this.#host.simulcast) {
      const settings = typeof want.track.getSettings === 'function' ? want.track.getSettings() : {};
      const layers = simulcastLayers(settings.width, settings.height);
      if (layers.length > 1) {
        try {
          const t = pc.addTransceiver(want.track, { ...init, sendEncodings: layers });
          // Engines that ignore sendEncodings report a single encoding: it is one layer then.
          return t;
        } catch {
          // No simulcast here (e.g. an engine that rejects rids): one layer.
        }
      }
    }
    return pc.addTransceiver(want.track, init);
  }

  #drop(): void {
    this.#host.candidates.forget(this.#pc);
    this.#pc?.close();
    this.#pc = undefined;
    this.#negotiated = false;
    this.#senders.clear();
  }
}
