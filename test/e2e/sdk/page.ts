/**
 * Browser entry for the SDK's end-to-end tests: exposes the SDK as `window.Parley` and a few
 * helpers as `window.T` (the test's handle on this page's client, call and room, and getStats
 * readers), so each test's `page.evaluate` stays short.
 */

import type {
  Call,
  ConnectOptions,
  ParleyClient,
  PeerSession,
  Room,
} from '../../../packages/client/src/index.ts';
import * as Parley from '../../../packages/client/src/index.ts';

type Inbound = { videoFrames: number; audioBytes: number; videoTracks: number };

const T = {
  client: null as ParleyClient | null,
  call: null as Call | null,
  room: null as Room | null,
  /** Every call this page saw (outgoing and incoming), newest last. */
  calls: [] as Call[],
  /** Log records captured from the SDK (level debug and up). */
  logs: [] as { level: string; logger: string; msg: string; ctx?: object }[],
  /** Timestamped events of interest to tests. */
  events: [] as { at: number; what: string; detail?: unknown }[],
  /** What incoming calls get: 'accept' (default), 'decline', or 'manual'. */
  onIncoming: 'accept' as 'accept' | 'decline' | 'manual',
  acceptOptions: {} as Parley.MediaOptions,

  wsUrl(): string {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  },

  note(what: string, detail?: unknown): void {
    T.events.push({ at: Date.now(), what, detail });
  },

  async connect(name: string, options: Partial<ConnectOptions> = {}): Promise<string> {
    const client = await Parley.connect(T.wsUrl(), {
      name,
      storage: null,
      logger: {
        level: 'debug',
        sink: (level, logger, msg, ctx) => {
          if (T.logs.length < 5000) T.logs.push({ level, logger, msg, ...(ctx ? { ctx } : {}) });
        },
      },
      ...options,
    });
    T.client = client;
    client.on('state', (s, r) => T.note(`client:${s}`, r));
    client.on('reconnected', (resumed) => T.note('reconnected', resumed));
    client.on('incoming', (call) => {
      T.watchCall(call);
      if (T.onIncoming === 'accept')
        void call.accept(T.acceptOptions).catch((e) => T.note('accept-failed', String(e)));
      else if (T.onIncoming === 'decline') void call.decline();
    });
    return client.state;
  },

  watchCall(call: Call): void {
    T.call = call;
    T.calls.push(call);
    call.on('state', (s, r) => T.note(`call:${s}`, r));
    call.on('ended', (r, by) => T.note('call-ended', { reason: r, by }));
    call.on('track', (t) => T.note('track', t.kind));
    call.on('track-removed', (t) => T.note('track-removed', t.kind));
    call.on('media-state', (m) => T.note('media-state', m));
  },

  async callPeer(name: string, options: Parley.MediaOptions = {}): Promise<string> {
    const call = await T.client!.call(name, options);
    T.watchCall(call);
    return call.state;
  },

  async join(room: string, options: Parley.MediaOptions & { password?: string } = {}): Promise<string[]> {
    const r = await T.client!.join(room, options);
    T.room = r;
    r.on('peer-joined', (p) => T.note('peer-joined', p.remoteName));
    r.on('peer-left', (n, why) => T.note('peer-left', { name: n, reason: why }));
    r.on('track', (p, t) => T.note('track', { from: p.remoteName, kind: t.kind }));
    return [...r.peers.keys()];
  },

  /** The peer session of the current call, or of room member `name`. */
  peer(name?: string): PeerSession | null {
    if (name) return T.room?.peers.get(name) ?? null;
    return T.call?.peer ?? null;
  },

  /** Sums inbound video frames decoded and audio bytes over a peer connection. */
  async inbound(name?: string): Promise<Inbound> {
    const peer = T.peer(name);
    const out: Inbound = { videoFrames: 0, audioBytes: 0, videoTracks: 0 };
    if (!peer) return out;
    const report = await peer.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        out.videoFrames += (s.framesDecoded as number) ?? 0;
        if (((s.framesDecoded as number) ?? 0) > 0) out.videoTracks++;
      } else if (s.kind === 'audio') out.audioBytes += (s.bytesReceived as number) ?? 0;
    });
    return out;
  },

  /** Per inbound video stream (by track identifier): frames decoded. */
  async videoByTrack(name?: string): Promise<Record<string, number>> {
    const peer = T.peer(name);
    const out: Record<string, number> = {};
    if (!peer) return out;
    const report = await peer.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out[String(s.trackIdentifier ?? s.mid ?? s.id)] = (s.framesDecoded as number) ?? 0;
      }
    });
    return out;
  },

  /**
   * Resolves once video frames and audio bytes both increase over the next `windowMs` (media
   * flowing now, not just at some point), with the increase; or returns zeros at the deadline.
   */
  async flowing(
    name?: string,
    { windowMs = 1000, timeoutMs = 15000, audio = true } = {},
  ): Promise<{ frames: number; audioBytes: number }> {
    const deadline = Date.now() + timeoutMs;
    let before = await T.inbound(name);
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, windowMs));
      const now = await T.inbound(name);
      const frames = now.videoFrames - before.videoFrames;
      const audioBytes = now.audioBytes - before.audioBytes;
      if (frames > 2 && (!audio || audioBytes > 0)) return { frames, audioBytes };
      before = now;
    }
    return { frames: 0, audioBytes: 0 };
  },

  /** Waits until `Date.now() >= at` (pages share the machine clock), then runs `fn`. */
  async at<R>(at: number, fn: () => R): Promise<R> {
    while (Date.now() < at - 20) await new Promise((r) => setTimeout(r, 10));
    while (Date.now() < at) {
      // Spin the last few milliseconds for a tighter start.
    }
    return fn();
  },

  /** A moving canvas captured as a stream: the stand-in for a shared screen. */
  fakeScreen(fps = 20): MediaStream {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    let hue = 0;
    const timer = setInterval(() => {
      hue = (hue + 7) % 360;
      ctx.fillStyle = `hsl(${hue} 80% 50%)`;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }, 1000 / fps);
    const stream = canvas.captureStream(fps);
    for (const t of stream.getTracks()) t.addEventListener('ended', () => clearInterval(timer));
    return stream;
  },

  count(msg: string): number {
    return T.logs.filter((l) => l.msg === msg).length;
  },
};

declare global {
  interface Window {
    Parley: typeof Parley;
    T: typeof T;
  }
}

window.Parley = Parley;
window.T = T;
