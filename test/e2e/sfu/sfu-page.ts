/**
 * Browser side of the SFU end-to-end tests (bundled with esbuild). Each participant is its own
 * Parley session on its own WebSocket, all in one page to spare the two cores a renderer per
 * participant; media goes through the SDK's {@link SfuSession} to the server's Janus.
 */
import type { ClientMessage, ServerMessage } from '@parley/protocol';
import { SfuSession } from '../../../packages/client/src/sfu/sfu-session.ts';

interface Participant {
  name: string;
  ws: WebSocket;
  sfu: SfuSession | undefined;
  modes: string[];
  errors: string[];
  /** The last `sfu.feeds`, kept for an SFU session started after it arrived. */
  feeds: string[];
  /** Track id → member name, to read per-member stats. */
  trackNames: Map<string, string>;
  request(msg: ClientMessage): Promise<ServerMessage>;
}

const participants = new Map<string, Participant>();
let seq = 0;

async function connect(wsUrl: string, name: string): Promise<Participant> {
  const ws = new WebSocket(wsUrl);
  const waiting = new Map<number, { resolve(m: ServerMessage): void; reject(e: Error): void }>();
  const p: Participant = {
    name,
    ws,
    sfu: undefined,
    modes: [],
    errors: [],
    feeds: [],
    trackNames: new Map(),
    request(msg) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ ...msg, id }));
      });
    },
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data)) as ServerMessage & { re?: number };
    const w = msg.re !== undefined ? waiting.get(msg.re) : undefined;
    if (w && msg.re !== undefined) {
      waiting.delete(msg.re);
      if (msg.type === 'error') w.reject(new Error(`${msg.code}: ${msg.message}`));
      else w.resolve(msg);
      return;
    }
    if (msg.type === 'error') p.errors.push(msg.code);
    if (msg.type === 'room.mode') p.modes.push(msg.mode);
    if (msg.type === 'sfu.feeds') {
      p.feeds = msg.feeds.map((f) => f.name);
      p.sfu?.onFeeds(p.feeds);
    }
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('websocket failed'));
  });
  const welcome = await p.request({ type: 'hello', versions: ['1'], name });
  if (welcome.type !== 'welcome') throw new Error('no welcome');
  return p;
}

const api = {
  /** Joins `room` as `name` (asking for `mode` if given); returns the mode from `room.joined`. */
  async join(wsUrl: string, name: string, room: string, mode?: 'mesh' | 'sfu'): Promise<string | undefined> {
    const p = await connect(wsUrl, name);
    participants.set(name, p);
    const joined = await p.request({ type: 'room.join', room, ...(mode ? { mode } : {}) });
    if (joined.type !== 'room.joined') throw new Error('not joined');
    return joined.mode;
  },

  /** Starts the SFU session; with `publish`, sends a small fake-camera video. */
  async startSfu(name: string, room: string, publish: boolean): Promise<void> {
    const p = participants.get(name)!;
    const sfu = new SfuSession({ room, self: name, signaling: p });
    p.sfu = sfu;
    sfu.on('track', (from, track) => p.trackNames.set(track.id, from));
    sfu.on('error', (e) => p.errors.push(String(e)));
    if (p.feeds.length > 0) sfu.onFeeds(p.feeds);
    if (publish) {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 320, height: 240, frameRate: 15 },
        audio: false,
      });
      await sfu.publish(stream.getTracks(), stream);
    }
  },

  /** Modes announced by `room.mode` so far. */
  modes(name: string): string[] {
    return participants.get(name)?.modes ?? [];
  },

  /** Frames decoded per member on `name`'s subscriber connection. */
  async decoded(name: string): Promise<Record<string, number>> {
    const p = participants.get(name)!;
    const out: Record<string, number> = {};
    const pc = p.sfu?.subscriber;
    if (!pc) return out;
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
      const from = p.trackNames.get(s.trackIdentifier);
      if (from) out[from] = (out[from] ?? 0) + (s.framesDecoded ?? 0);
    }
    return out;
  },

  errors(name: string): string[] {
    return participants.get(name)?.errors ?? [];
  },

  closeAll(): void {
    for (const p of participants.values()) {
      p.sfu?.close();
      p.ws.close();
    }
    participants.clear();
  },
};

(window as unknown as { SFU: typeof api }).SFU = api;
