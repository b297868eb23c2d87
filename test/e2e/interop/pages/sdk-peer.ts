/**
 * Browser side of the SDK interop tests: one Parley client per page (the real SDK, bundled with
 * esbuild, talking to the real server), with chat and file transfer attached to every peer
 * session, driven by the test process through `window.sdkPeer`. Everything the tests assert is
 * read here from the SDK's objects and from getStats(), never from a promise merely resolving.
 */

import {
  type Call,
  type ChatChannel,
  connect,
  type FileTransfers,
  type ParleyClient,
  type PeerSession,
  type StatsSummary,
  summarizeStats,
} from '@parley/client';

/** One decoded remote video stream, from getStats(). */
export interface RemoteVideo {
  trackIdentifier: string;
  framesDecoded: number;
  codec: string | null;
}

export interface MediaReport {
  video: RemoteVideo[];
  audioBytes: number;
  audioCodec: string | null;
}

/** A log record of the SDK's peer layer (message and context), in arrival order. */
export interface PeerLogRecord {
  at: number;
  msg: string;
  ctx?: Record<string, unknown>;
}

export interface FileOutcome {
  state: string;
  /** SHA-256 the SDK reports. */
  sdkSha256: string | null;
  /** SHA-256 computed here with WebCrypto over the bytes sent or received. */
  pageSha256: string;
  bytes: number;
}

/** Wall-clock milestones of the call (Date.now(), one clock for every page on the machine). */
export interface CallTimeline {
  callAt: number | null;
  acceptedAt: number | null;
  iceConnectedAt: number | null;
  firstFrameAt: number | null;
}

export interface IceDebug {
  ice: RTCIceConnectionState | null;
  gathering: RTCIceGatheringState | null;
  localUfrag: string | null;
  remoteUfrag: string | null;
  /** Candidates this page gathered (icecandidate events), by ufrag. */
  gathered: Record<string, number>;
  remoteCandidates: number;
  pairs: string[];
}

export interface SdkPeerApi {
  /**
   * Connects as `name`; incoming calls are accepted with camera and microphone. The peer
   * layer's debug log is recorded; `trace` records every SDK logger at trace level (SDPs too).
   */
  connect(wsUrl: string, name: string, options?: { trace?: boolean }): Promise<void>;
  /** Calls `name` with camera and microphone; resolves once the callee rings. */
  call(name: string): Promise<void>;
  /** State of the current call, or null before there is one. */
  callState(): string | null;
  /** The peer connection's signaling state. */
  signalingState(): RTCSignalingState | null;
  media(): Promise<MediaReport>;
  /** The SDK's stats summary over two getStats() snapshots `gapMs` apart. */
  statsSummary(gapMs: number): Promise<StatsSummary>;
  /**
   * Shares a "screen": a second fake-camera stream stands in for getDisplayMedia, which needs a
   * user gesture and a picker. What is under test is the renegotiation that adds the track.
   */
  shareScreen(): Promise<void>;
  /** Shares the screen at wall-clock time `at`, to make both sides renegotiate at once. */
  shareScreenAt(at: number): Promise<void>;
  stopScreen(): Promise<void>;
  /** Stops the screen share at wall-clock time `at`. */
  stopScreenAt(at: number): Promise<void>;
  /** Remote streams and the count of `track-removed` events. */
  remote(): { streams: number; liveVideoTracks: number; removedTracks: number };
  peerLog(): PeerLogRecord[];
  sendChat(text: string): void;
  chats(): string[];
  chatState(): string | null;
  /** Sends `bytes` pseudo-random bytes (seeded) as a file and resolves when the transfer ends. */
  sendFile(bytes: number, seed: number): Promise<FileOutcome>;
  /** Outcomes of files received so far. */
  receivedFiles(): FileOutcome[];
  timeline(): CallTimeline;
  /** ICE diagnostics for failure messages: ufrags, candidates seen, candidate-pair states. */
  iceDebug(): Promise<IceDebug>;
  /** Asks the SDK's peer session for an ICE restart (what an app would do on a stuck call). */
  restartIce(): void;
  hangup(): Promise<void>;
  close(): void;
}

declare global {
  interface Window {
    sdkPeer: SdkPeerApi;
  }
}

let client: ParleyClient | null = null;
let call: Call | null = null;
let chat: ChatChannel | null = null;
let files: FileTransfers | null = null;
let removedTracks = 0;
const gathered: Record<string, number> = {};
const chats: string[] = [];
const peerLog: PeerLogRecord[] = [];
const received: FileOutcome[] = [];
const timeline: CallTimeline = { callAt: null, acceptedAt: null, iceConnectedAt: null, firstFrameAt: null };

function currentCall(): Call {
  if (!call) throw new Error('no call');
  return call;
}

function currentPeer(): PeerSession {
  const peer = currentCall().peer;
  if (!peer) throw new Error('the call has no peer session yet');
  return peer;
}

async function sha256Hex(data: BufferSource): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Deterministic bytes (xorshift32), so a test can name a file by its size and seed. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Hooks the chat and file transfers of a new peer session (the SDK opens both itself). */
function attachFeatures(peer: PeerSession): void {
  if (!peer.chat || !peer.files) throw new Error('the peer session has no data channels');
  const channel = peer.chat;
  channel.on('chat', (m) => chats.push(m.text));
  chat = channel;
  const transfers = peer.files;
  transfers.on('offer', (incoming) => {
    incoming.accept();
    void incoming.finished.then(async (result) => {
      const blob = incoming.blob;
      const bytes = blob ? new Uint8Array(await blob.arrayBuffer()) : new Uint8Array(0);
      received.push({
        state: result.state,
        sdkSha256: result.sha256 ?? null,
        pageSha256: await sha256Hex(bytes),
        bytes: bytes.byteLength,
      });
    });
  });
  files = transfers;
  peer.pc.addEventListener('icecandidate', (e) => {
    const ufrag = e.candidate?.usernameFragment ?? (e.candidate ? '?' : 'end');
    gathered[ufrag] = (gathered[ufrag] ?? 0) + 1;
  });
  peer.pc.addEventListener('iceconnectionstatechange', () => {
    const ice = peer.pc.iceConnectionState;
    if (ice === 'connected' || ice === 'completed') timeline.iceConnectedAt ??= Date.now();
  });
  peer.on('track', (track) => {
    if (track.kind === 'video') void watchFirstFrame(peer);
  });
  peer.on('track-removed', () => {
    removedTracks++;
  });
}

/** Polls getStats() every 5 ms (for at most 20 s) for the first decoded remote video frame. */
async function watchFirstFrame(peer: PeerSession): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (timeline.firstFrameAt === null && peer.state !== 'closed' && Date.now() < deadline) {
    const stats = await peer.pc.getStats();
    for (const s of stats.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > 0) {
        timeline.firstFrameAt ??= Date.now();
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function watchCall(c: Call): void {
  call = c;
  c.on('accepted', () => {
    timeline.acceptedAt ??= Date.now();
  });
}

const api: SdkPeerApi = {
  async connect(wsUrl, name, options = {}) {
    const trace = options.trace === true;
    client = await connect(wsUrl, {
      name,
      storage: null,
      features: [attachFeatures],
      logger: {
        level: trace ? 'trace' : 'debug',
        sink: (_level, logger, msg, ctx) => {
          if (trace || logger === 'parley:peer') {
            peerLog.push({
              at: Date.now(),
              msg: logger === 'parley:peer' ? msg : `${logger} ${msg}`,
              ...(ctx ? { ctx: ctx as Record<string, unknown> } : {}),
            });
          }
        },
      },
    });
    client.on('incoming', (incoming) => {
      watchCall(incoming);
      void incoming.accept().catch((error: unknown) => console.error('accept failed', error));
    });
  },

  async call(name) {
    if (!client) throw new Error('not connected');
    timeline.callAt = Date.now();
    watchCall(await client.call(name));
  },

  callState() {
    return call?.state ?? null;
  },

  signalingState() {
    return call?.peer?.pc.signalingState ?? null;
  },

  async media() {
    const stats = await currentPeer().getStats();
    const codecOf = (id: unknown) =>
      typeof id === 'string'
        ? ((stats.get(id) as { mimeType?: string } | undefined)?.mimeType ?? null)
        : null;
    const report: MediaReport = { video: [], audioBytes: 0, audioCodec: null };
    for (const s of stats.values()) {
      if (s.type !== 'inbound-rtp') continue;
      if (s.kind === 'video') {
        report.video.push({
          trackIdentifier: String(s.trackIdentifier ?? s.id),
          framesDecoded: s.framesDecoded ?? 0,
          codec: codecOf(s.codecId),
        });
      } else if (s.kind === 'audio') {
        report.audioBytes += s.bytesReceived ?? 0;
        report.audioCodec ??= codecOf(s.codecId);
      }
    }
    return report;
  },

  async statsSummary(gapMs) {
    const peer = currentPeer();
    const first = await peer.getStats();
    await new Promise((r) => setTimeout(r, gapMs));
    return summarizeStats(first, await peer.getStats());
  },

  async shareScreen() {
    const media = currentCall().media;
    if (!media) throw new Error('the call has no local media');
    const screen = await navigator.mediaDevices.getUserMedia({ video: true });
    await media.shareScreen(screen);
  },

  async shareScreenAt(at) {
    const screen = await navigator.mediaDevices.getUserMedia({ video: true });
    const media = currentCall().media;
    if (!media) throw new Error('the call has no local media');
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    await media.shareScreen(screen);
  },

  async stopScreen() {
    await currentCall().media?.stopScreenShare();
  },

  async stopScreenAt(at) {
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    await currentCall().media?.stopScreenShare();
  },

  remote() {
    const streams = call?.remoteStreams ?? [];
    return {
      streams: streams.length,
      liveVideoTracks: streams.flatMap((s) => s.getVideoTracks()).filter((t) => t.readyState === 'live')
        .length,
      removedTracks,
    };
  },

  peerLog() {
    return [...peerLog];
  },

  sendChat(text) {
    if (!chat) throw new Error('no chat channel');
    chat.sendText(text);
  },

  chats() {
    return [...chats];
  },

  chatState() {
    return chat?.state ?? null;
  },

  async sendFile(bytes, seed) {
    if (!files) throw new Error('no file transfers');
    const data = pseudoRandomBytes(bytes, seed);
    const pageSha256 = await sha256Hex(data);
    const transfer = files.send(new Blob([data]), { name: `interop-${seed}.bin` });
    const result = await transfer.finished;
    return { state: result.state, sdkSha256: result.sha256 ?? null, pageSha256, bytes };
  },

  receivedFiles() {
    return [...received];
  },

  timeline() {
    return { ...timeline };
  },

  async iceDebug() {
    const pc = call?.peer?.pc;
    if (!pc)
      return {
        ice: null,
        gathering: null,
        localUfrag: null,
        remoteUfrag: null,
        gathered,
        remoteCandidates: 0,
        pairs: [],
      };
    const ufrag = (sdp: string | undefined) => sdp?.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null;
    const stats = await pc.getStats();
    const all = [...stats.values()];
    return {
      ice: pc.iceConnectionState,
      gathering: pc.iceGatheringState,
      localUfrag: ufrag(pc.localDescription?.sdp),
      remoteUfrag: ufrag(pc.remoteDescription?.sdp),
      gathered: { ...gathered },
      remoteCandidates: all.filter((x) => x.type === 'remote-candidate').length,
      pairs: all.filter((x) => x.type === 'candidate-pair').map((x) => String(x.state)),
    };
  },

  restartIce() {
    currentPeer().restartIce();
  },

  async hangup() {
    await call?.hangup();
  },

  close() {
    client?.close();
    client = null;
  },
};

window.sdkPeer = api;
