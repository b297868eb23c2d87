/**
 * Browser side of the server-less interop proofs: one bare RTCPeerConnection per page, driven
 * by the test process through `window.rawPeer`. Signals (descriptions and trickled candidates)
 * wait in an outbox until the test process drains them and hands them to the other page, so the
 * test process is the signaling channel and no Parley code is involved: this isolates what the
 * two browser engines do with each other from what our SDK does.
 *
 * Bundled with esbuild (test/helpers/browser.ts bundlePages) and loaded by raw-peer.html.
 */

/** One signaling message between the two pages. */
export type RawSignal =
  | { kind: 'description'; description: RTCSessionDescriptionInit }
  | { kind: 'candidate'; candidate: RTCIceCandidateInit | null };

/** What a page reports about the media it receives, read from getStats(). */
export interface InboundReport {
  videoFramesDecoded: number;
  videoBytes: number;
  audioBytes: number;
  /** e.g. `video/VP8`, from the codec stats entry the inbound video stream points at. */
  videoCodec: string | null;
  audioCodec: string | null;
}

export interface PeerState {
  signaling: RTCSignalingState;
  ice: RTCIceConnectionState;
  connection: RTCPeerConnectionState;
  channel: RTCDataChannelState | null;
  /** negotiationneeded events fired so far. */
  negotiationNeeded: number;
}

/** Wall-clock times (Date.now(), shared by every page on the machine) of call-setup milestones. */
export interface Timeline {
  /** When this page started creating its offer (only on the offering page). */
  offerAt: number | null;
  /** When ICE first reached `connected` or `completed`. */
  iceConnectedAt: number | null;
  /** When getStats() first showed a decoded remote video frame (polled every 5 ms). */
  firstFrameAt: number | null;
}

export interface RawPeerApi {
  /**
   * Makes a fresh peer connection (closing any earlier one) and clears the outbox. An
   * `impolite` peer ignores an offer that collides with its own (and that offer's candidates),
   * as the impolite side of perfect negotiation does.
   */
  init(options?: { impolite?: boolean }): void;
  /** Adds the fake camera and microphone (one stream, two tracks). */
  addCamera(): Promise<void>;
  /**
   * Creates the data channel `proof` (call before offering so it is in the first offer);
   * `negotiated` makes it an out-of-band channel with stream id 0 (create it on both pages).
   */
  createChannel(negotiated?: boolean): void;
  /** Creates an offer and queues it. */
  offer(): Promise<void>;
  /**
   * The polite side of a glare, back to back: creates and queues its own offer, then at once
   * applies the colliding `remote` offer (an implicit rollback of its own) and queues the answer.
   * `gapMs` between its own offer and the remote one lets its ICE gathering start first;
   * `cameraBeforeAnswer` adds camera and microphone after the remote offer, before answering
   * (the order a client takes when its media arrives late).
   */
  offerThenAnswer(
    remote: RTCSessionDescriptionInit,
    options?: { gapMs?: number; cameraBeforeAnswer?: boolean },
  ): Promise<void>;
  /** ICE gathering state, local candidates gathered, remote candidates refused. */
  gathering(): { state: RTCIceGatheringState; candidates: number; rejected: number };
  /** Takes every queued signal. */
  drain(): RawSignal[];
  /** Applies signals from the other page in order (answering offers). */
  receive(signals: RawSignal[]): Promise<void>;
  state(): PeerState;
  /** Local candidates gathered so far, as SDP `candidate:` lines. */
  localCandidates(): string[];
  /** The SDP of the latest local and remote descriptions. */
  descriptions(): { local: string | null; remote: string | null };
  inbound(): Promise<InboundReport>;
  /** Sends a text message on the data channel. */
  send(text: string): void;
  /** Text messages received on the data channel. */
  messages(): string[];
  /** Every getStats() entry as a plain object (to compare the engines' stats). */
  stats(): Promise<Record<string, unknown>[]>;
  /** The negotiated SCTP maxMessageSize (bytes), or null before the data channel transport exists. */
  maxMessageSize(): number | null;
  /** Call-setup milestones, for bench/interop/pairings.ts. */
  timeline(): Timeline;
  close(): void;
}

declare global {
  interface Window {
    rawPeer: RawPeerApi;
  }
}

let pc: RTCPeerConnection | null = null;
let channel: RTCDataChannel | null = null;
let outbox: RawSignal[] = [];
let received: string[] = [];
let candidates: string[] = [];
let impolite = false;
let negotiationNeeded = 0;
let rejectedCandidates = 0;
let ignoringOffer = false;
let timeline: Timeline = { offerAt: null, iceConnectedAt: null, firstFrameAt: null };

/**
 * Watches for the first decoded remote video frame. Polling getStats() every 5 ms for at most
 * 20 s is cheap enough for a benchmark and works the same in both engines (Firefox and Chromium
 * both count framesDecoded on inbound-rtp).
 */
async function watchFirstFrame(conn: RTCPeerConnection): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (pc === conn && timeline.firstFrameAt === null && Date.now() < deadline) {
    const stats = await conn.getStats();
    for (const s of stats.values()) {
      if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'video' && (s.framesDecoded ?? 0) > 0) {
        timeline.firstFrameAt ??= Date.now();
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function current(): RTCPeerConnection {
  if (!pc) throw new Error('rawPeer.init() was not called');
  return pc;
}

function watchChannel(ch: RTCDataChannel): void {
  channel = ch;
  ch.onmessage = (e) => {
    received.push(typeof e.data === 'string' ? e.data : `<binary ${String(e.data)}>`);
  };
}

function codecOf(stats: RTCStatsReport, codecId: string | undefined): string | null {
  if (!codecId) return null;
  const codec = stats.get(codecId) as { mimeType?: string } | undefined;
  return codec?.mimeType ?? null;
}

const api: RawPeerApi = {
  init(options = {}) {
    pc?.close();
    impolite = options.impolite ?? false;
    negotiationNeeded = 0;
    rejectedCandidates = 0;
    ignoringOffer = false;
    outbox = [];
    received = [];
    candidates = [];
    channel = null;
    timeline = { offerAt: null, iceConnectedAt: null, firstFrameAt: null };
    // No ICE servers: the machine is offline and both pages share it, host candidates suffice.
    const conn = new RTCPeerConnection();
    pc = conn;
    conn.onicecandidate = (e) => {
      if (e.candidate) candidates.push(e.candidate.candidate);
      outbox.push({ kind: 'candidate', candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    conn.ondatachannel = (e) => watchChannel(e.channel);
    conn.onnegotiationneeded = () => {
      negotiationNeeded++;
    };
    conn.oniceconnectionstatechange = () => {
      const ice = conn.iceConnectionState;
      if (ice === 'connected' || ice === 'completed') timeline.iceConnectedAt ??= Date.now();
    };
    conn.ontrack = (e) => {
      if (e.track.kind === 'video') void watchFirstFrame(conn);
    };
  },

  async addCamera() {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    for (const track of stream.getTracks()) current().addTrack(track, stream);
  },

  createChannel(negotiated = false) {
    watchChannel(current().createDataChannel('proof', negotiated ? { negotiated: true, id: 0 } : {}));
  },

  async offer() {
    const conn = current();
    timeline.offerAt ??= Date.now();
    await conn.setLocalDescription();
    outbox.push({ kind: 'description', description: conn.localDescription!.toJSON() });
  },

  async offerThenAnswer(remote, { gapMs = 0, cameraBeforeAnswer = false } = {}) {
    const conn = current();
    await conn.setLocalDescription();
    outbox.push({ kind: 'description', description: conn.localDescription!.toJSON() });
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    await conn.setRemoteDescription(remote);
    if (cameraBeforeAnswer) await api.addCamera();
    await conn.setLocalDescription();
    outbox.push({ kind: 'description', description: conn.localDescription!.toJSON() });
  },

  gathering() {
    return {
      state: current().iceGatheringState,
      candidates: candidates.length,
      rejected: rejectedCandidates,
    };
  },

  drain() {
    const out = outbox;
    outbox = [];
    return out;
  },

  async receive(signals) {
    const conn = current();
    for (const signal of signals) {
      if (signal.kind === 'candidate') {
        if (ignoringOffer) continue; // candidates of the offer we ignored
        try {
          // A null candidate is the remote end-of-candidates; both engines accept it as undefined.
          await conn.addIceCandidate(signal.candidate ?? undefined);
        } catch {
          // A candidate of an offer the other side rolled back (stale ufrag) is refused: harmless.
          rejectedCandidates++;
        }
        continue;
      }
      const collision = signal.description.type === 'offer' && conn.signalingState !== 'stable';
      ignoringOffer = impolite && collision;
      if (ignoringOffer) continue;
      await conn.setRemoteDescription(signal.description);
      if (signal.description.type === 'offer') {
        await conn.setLocalDescription();
        outbox.push({ kind: 'description', description: conn.localDescription!.toJSON() });
      }
    }
  },

  state() {
    const conn = current();
    return {
      signaling: conn.signalingState,
      ice: conn.iceConnectionState,
      connection: conn.connectionState,
      channel: channel?.readyState ?? null,
      negotiationNeeded,
    };
  },

  localCandidates() {
    return [...candidates];
  },

  descriptions() {
    const conn = current();
    return { local: conn.localDescription?.sdp ?? null, remote: conn.remoteDescription?.sdp ?? null };
  },

  async inbound() {
    const stats = await current().getStats();
    const report: InboundReport = {
      videoFramesDecoded: 0,
      videoBytes: 0,
      audioBytes: 0,
      videoCodec: null,
      audioCodec: null,
    };
    for (const s of stats.values()) {
      if (s.type !== 'inbound-rtp') continue;
      const kind = (s.kind ?? s.mediaType) as string;
      if (kind === 'video') {
        report.videoFramesDecoded += s.framesDecoded ?? 0;
        report.videoBytes += s.bytesReceived ?? 0;
        report.videoCodec ??= codecOf(stats, s.codecId);
      } else if (kind === 'audio') {
        report.audioBytes += s.bytesReceived ?? 0;
        report.audioCodec ??= codecOf(stats, s.codecId);
      }
    }
    return report;
  },

  send(text) {
    if (channel?.readyState !== 'open') throw new Error('data channel is not open');
    channel.send(text);
  },

  messages() {
    return [...received];
  },

  async stats() {
    const report = await current().getStats();
    return [...report.values()].map((s) => ({ ...s }) as Record<string, unknown>);
  },

  maxMessageSize() {
    return current().sctp?.maxMessageSize ?? null;
  },

  timeline() {
    return { ...timeline };
  },

  close() {
    pc?.close();
    pc = null;
    channel = null;
  },
};

window.rawPeer = api;
