/**
 * Browser side of the E2EE tests: one Parley client per page (the real SDK from source), which
 * joins a room with or without `e2ee`, the worker loaded from `/e2ee-worker.js` (bundled beside
 * this page and served by the real server under its Content-Security-Policy). Everything the
 * tests assert is read here from the SDK's objects and from getStats().
 */
import { type Call, connect, type ParleyClient, type Room } from '@parley/client';
import { type E2eeSetup, e2ee } from '@parley/client/e2ee';

/** Video frames decoded and audio received from one member, from getStats(). */
export interface Decoded {
  framesDecoded: number;
  /** Audio bytes received (a headless page plays no audio out, so no samples are counted). */
  audioBytes: number;
  /** The width of the video frames now decoded (0 before any). */
  frameWidth: number;
}

/** Options of `join` beyond the secret: the creator's requirement, the camera's size. */
export interface JoinExtras {
  require?: boolean;
  camera?: { width: number; height: number };
  video?: MediaTrackConstraints;
  worker?: string;
}

export interface E2eePageApi {
  /** Connects as `name`; incoming calls are accepted with camera and microphone, with E2EE under `callSecret`. */
  connect(wsUrl: string, name: string, callSecret?: CallKey): Promise<void>;
  /** Calls `name` with camera and microphone, with E2EE under `secret` (null: without). */
  call(name: string, secret: CallKey): Promise<void>;
  /**
   * The call's remote video frames decoded, and its E2EE state: safety code, the remote's
   * decrypt state, whether the invite asked for agreed keys, the errors the session reported and
   * the secret the agreement produced (read here only so the test can look for it on the wire).
   */
  callState(): Promise<{
    framesDecoded: number;
    code: string | null;
    remote: string | null;
    requested: boolean;
    errors: string[];
    agreedSecret: string | null;
  }>;
  /**
   * Joins `room` with camera and microphone; `secret` null joins without E2EE. `extras.require`
   * requires E2EE (creator), `extras.camera` fixes the camera's size, `extras.video` constrains
   * the camera otherwise (the CPU benchmark fixes size and rate), `extras.worker` names another
   * worker script (the benchmark's pass-through one).
   */
  join(room: string, secret: string | null, mode?: 'sfu' | null, extras?: JoinExtras): Promise<void>;
  /** `room.e2eeRequired`. */
  required(): boolean;
  /** `room.setVideoView` for `member`'s video. */
  setView(member: string, view: { width: number; height: number } | 'hidden'): void;
  /** The publisher's outbound video layers (rid, frame width, frames encoded) from getStats. */
  layersOut(): Promise<{ rid: string; frameWidth: number; framesEncoded: number }[]>;
  leave(): Promise<void>;
  /** Per remote member: video frames decoded and audio bytes received. */
  decoded(): Promise<Record<string, Decoded>>;
  /** Video frames encoded and decoded so far over every mesh connection (the CPU benchmark). */
  videoFrames(): Promise<{ encoded: number; decoded: number }>;
  /** E2EE state as the app would show it. */
  keys(): { epoch: number; code: string; members: Record<string, string>; events: string[] } | null;
  /** Milliseconds from `join()` to the first decrypted frame, or null. */
  firstDecryptMs(): number | null;
  mode(): string | null;
}

/** A call's E2EE: a shared secret, keys agreed in the call, or none (null). */
export type CallKey = string | { agree: true } | null;

declare global {
  interface Window {
    e2ee: E2eePageApi;
  }
}

let client: ParleyClient | undefined;
let room: Room | undefined;
let call: Call | undefined;
const events: string[] = [];
let joinedAt = 0;
let firstDecryptAt: number | null = null;
let agreedSecret: string | null = null;
const callErrors: string[] = [];

/** The `e2ee` option for a call, its session watched for errors and for the agreed secret. */
function callE2ee(key: CallKey): { e2ee?: E2eeSetup } {
  if (key === null) return {};
  const setup = e2ee({ ...(typeof key === 'string' ? { secret: key } : key), worker: '/e2ee-worker.js' });
  return {
    e2ee: {
      ...(setup.agree ? { agree: setup.agree } : {}),
      async create(self, scope) {
        const session = await setup.create(self, scope);
        session.on('error', (m) => callErrors.push(m));
        const useSecret = session.useSecret.bind(session);
        session.useSecret = (secret) => {
          agreedSecret = secret;
          return useSecret(secret);
        };
        return session;
      },
    },
  };
}

async function statsOf(pc: RTCPeerConnection | undefined, into: Decoded): Promise<void> {
  if (!pc) return;
  const report = await pc.getStats();
  report.forEach((s: Record<string, unknown>) => {
    if (s.type !== 'inbound-rtp') return;
    count(s, into);
  });
}

function count(s: Record<string, unknown>, into: Decoded): void {
  if (s.kind === 'video') {
    into.framesDecoded += Number(s.framesDecoded ?? 0);
    into.frameWidth = Math.max(into.frameWidth, Number(s.frameWidth ?? 0));
  }
  if (s.kind === 'audio') into.audioBytes += Number(s.bytesReceived ?? 0);
}

window.e2ee = {
  async connect(wsUrl, name, callSecret = null) {
    client = await connect(wsUrl, { name });
    client.on('incoming', (incoming) => {
      call = incoming;
      void incoming
        .accept({ media: { audio: true, video: true } }, callE2ee(callSecret))
        .catch((error: unknown) => events.push(`accept failed ${String(error)}`));
    });
  },
  async call(name, secret) {
    if (!client) throw new Error('connect first');
    call = await client.call(name, { media: { audio: true, video: true }, ...callE2ee(secret) });
  },
  async callState() {
    const into: Decoded = { framesDecoded: 0, audioBytes: 0, frameWidth: 0 };
    await statsOf(call?.peer?.pc, into);
    const e = call?.e2ee;
    return {
      framesDecoded: into.framesDecoded,
      code: e ? e.safetyCode : null,
      remote: e ? (e.members.get(call?.remote ?? '') ?? null) : null,
      requested: call?.encryptionRequested ?? false,
      errors: [...callErrors],
      agreedSecret,
    };
  },
  async join(name, secret, mode, extras = {}) {
    if (!client) throw new Error('connect first');
    joinedAt = performance.now();
    const cam = extras.camera;
    const video = cam
      ? { width: { exact: cam.width }, height: { exact: cam.height }, frameRate: 15 }
      : (extras.video ?? true);
    const worker = extras.worker ?? '/e2ee-worker.js';
    room = await client.join(name, {
      media: { audio: true, video },
      ...(mode ? { mode } : {}),
      ...(secret !== null ? { e2ee: e2ee({ secret, worker }) } : {}),
      ...(extras.require ? { requireE2ee: true } : {}),
    });
    const e = room.e2ee;
    if (e) {
      e.on('key', (epoch, code) => events.push(`key ${epoch} ${code}`));
      e.on('member-state', (who, state, reason) => {
        events.push(`member ${who} ${state}${reason ? ` ${reason}` : ''}`);
        if (state === 'decrypting' && firstDecryptAt === null) firstDecryptAt = performance.now();
      });
      e.on('error', (msg) => events.push(`error ${msg}`));
    }
  },
  async leave() {
    await room?.leave();
    room = undefined;
  },
  async decoded() {
    const out: Record<string, Decoded> = {};
    if (!room) return out;
    for (const [name, peer] of room.peers) {
      out[name] = { framesDecoded: 0, audioBytes: 0, frameWidth: 0 };
      if (room.mode === 'mesh') await statsOf(peer.pc, out[name]);
    }
    const sfu = room.sfu?.subscriber;
    if (sfu) {
      // In SFU mode each member's streams arrive on the one subscriber connection: by track.
      const report = await sfu.getStats();
      const byMid = new Map<string, string>();
      for (const t of sfu.getTransceivers()) {
        const feed = room.sfu?.feedOf(t.mid);
        if (feed && t.receiver.track) byMid.set(t.receiver.track.id, feed);
      }
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        const feed = byMid.get(String(s.trackIdentifier ?? ''));
        const into = feed ? out[feed] : undefined;
        if (into) count(s, into);
      });
    }
    return out;
  },
  async videoFrames() {
    let encoded = 0;
    let decoded = 0;
    for (const peer of room?.peers.values() ?? []) {
      if (!peer.pc) continue;
      (await peer.pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.kind !== 'video') return;
        if (s.type === 'outbound-rtp') encoded += Number(s.framesEncoded ?? 0);
        if (s.type === 'inbound-rtp') decoded += Number(s.framesDecoded ?? 0);
      });
    }
    return { encoded, decoded };
  },
  keys() {
    const e = room?.e2ee;
    if (!e) return null;
    return {
      epoch: e.epoch,
      code: e.safetyCode,
      members: Object.fromEntries(e.members),
      events: [...events],
    };
  },
  firstDecryptMs() {
    return firstDecryptAt === null ? null : Math.round(firstDecryptAt - joinedAt);
  },
  mode() {
    return room?.mode ?? null;
  },
  required() {
    return room?.e2eeRequired ?? false;
  },
  setView(member, view) {
    room?.setVideoView(member, view);
  },
  async layersOut() {
    const pc = room?.sfu?.publisher;
    if (!pc) return [];
    const out: { rid: string; frameWidth: number; framesEncoded: number }[] = [];
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
      out.push({
        rid: String(s.rid ?? ''),
        frameWidth: Number(s.frameWidth ?? 0),
        framesEncoded: Number(s.framesEncoded ?? 0),
      });
    });
    return out.sort((a, b) => a.rid.localeCompare(b.rid));
  },
};
