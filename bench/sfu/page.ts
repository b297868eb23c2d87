/**
 * Browser side of `npm run bench:sfu`: several participants in one page, each its own
 * `ParleyClient` (no session storage, so they share no token) in the same room through the SDK's
 * public Room API, each publishing a small fake camera. The same code runs in mesh and SFU rooms;
 * the server decides the mode.
 *
 * It reports what the bench needs, all read from getStats():
 * - With a secret (`--e2ee`), every participant joins with end-to-end encryption (the first one
 *   requiring it), so first frames and decoded frames count decrypted frames only.
 * - `join()` clocks a newcomer: from the `client.join()` call to the first decoded frame
 *   (`framesDecoded > 0`) from each member that was already publishing, polled every
 *   `FIRST_FRAME_POLL_MS` on the newcomer's own connections only.
 * - `snapshot()` gives, per participant, frames decoded per remote member and frames encoded per
 *   outgoing stream (with width and quality limitation), read at both ends of the CPU window.
 */
import { e2ee } from '../../packages/client/src/e2ee.ts';
import * as Parley from '../../packages/client/src/index.ts';

/** How often a newcomer's connections are polled for their first decoded frames. */
const FIRST_FRAME_POLL_MS = 10;

/** The camera every participant publishes, the same in both modes. */
const CAMERA = { width: 320, height: 240, frameRate: 15 } as const;

interface Participant {
  client: Parley.ParleyClient;
  room: Parley.Room | undefined;
  /** Received track id → the member it came from (the Room's `track` events). */
  trackNames: Map<string, string>;
}

/** A newcomer's clock: ms from its join call to the first frame decoded from each publisher. */
export interface FirstFrames {
  /** Members that were publishing when it joined. */
  expected: string[];
  /** Member → ms from the join call. */
  firstFrameMs: Record<string, number>;
  /** ms from the join call until `client.join()` resolved. */
  joinResolvedMs: number;
  /**
   * ms from the join call until the connections that carry media to the newcomer were connected:
   * every peer session (mesh) or the SFU subscriber connection (null: not within the deadline).
   */
  connectedMs: number | null;
  /** Every expected member decoded (false: the deadline passed first). */
  complete: boolean;
}

/** One participant's counters at one instant. */
export interface ParticipantSnapshot {
  mode: string;
  /** performance.now() when this participant's counters were read. */
  atMs: number;
  /** Member → frames decoded from it so far (all of this participant's connections). */
  decoded: Record<string, number>;
  /** Each outgoing video stream (one per peer in mesh, one in SFU). */
  encoded: { framesEncoded: number; frameWidth: number; limitation: string }[];
  /** Bytes sent and received on all of this participant's transports (media, RTCP, data). */
  bytesSent: number;
  bytesReceived: number;
}

const participants = new Map<string, Participant>();

/** Every RTCPeerConnection of a participant that may receive media, with whom it is from. */
function receiving(p: Participant): { pc: { getStats(): Promise<RTCStatsReport> }; from?: string }[] {
  const out: { pc: { getStats(): Promise<RTCStatsReport> }; from?: string }[] = [];
  if (!p.room) return out;
  for (const peer of p.room.peers.values()) out.push({ pc: peer, from: peer.remoteName });
  const sub = p.room.sfu?.subscriber;
  if (sub) out.push({ pc: sub });
  return out;
}

/** Frames decoded per member: by peer connection in mesh, by track (from `track` events) through the SFU. */
async function decodedByMember(p: Participant): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { pc, from } of receiving(p)) {
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
      const name = from ?? p.trackNames.get(s.trackIdentifier);
      if (name) out[name] = (out[name] ?? 0) + (s.framesDecoded ?? 0);
    }
  }
  return out;
}

/** True once the connections that bring `publishers` members' media to us are connected. */
function mediaConnected(r: Parley.Room, publishers: number): boolean {
  if (publishers === 0) return true;
  if (r.mode === 'sfu') return r.sfu?.subscriber?.connectionState === 'connected';
  const peers = [...r.peers.values()];
  return peers.length >= publishers && peers.every((peer) => peer.state === 'connected');
}

async function encodedStreams(p: Participant): Promise<ParticipantSnapshot['encoded']> {
  const out: ParticipantSnapshot['encoded'] = [];
  if (!p.room) return out;
  const pcs: { getStats(): Promise<RTCStatsReport> }[] = [...p.room.peers.values()];
  const pub = p.room.sfu?.publisher;
  if (pub) pcs.push(pub);
  for (const pc of pcs) {
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') continue;
      if (!s.framesEncoded) continue; // a sender with no track (mesh, after the move to the SFU)
      out.push({
        framesEncoded: s.framesEncoded,
        frameWidth: s.frameWidth ?? 0,
        limitation: s.qualityLimitationReason ?? 'unknown',
      });
    }
  }
  return out;
}

/** Bytes on every transport of a participant (peer sessions and both SFU connections). */
async function transportBytes(p: Participant): Promise<{ bytesSent: number; bytesReceived: number }> {
  let bytesSent = 0;
  let bytesReceived = 0;
  if (!p.room) return { bytesSent, bytesReceived };
  const pcs: { getStats(): Promise<RTCStatsReport> }[] = [...p.room.peers.values()];
  for (const pc of [p.room.sfu?.publisher, p.room.sfu?.subscriber]) if (pc) pcs.push(pc);
  for (const pc of pcs) {
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'transport') continue;
      bytesSent += s.bytesSent ?? 0;
      bytesReceived += s.bytesReceived ?? 0;
    }
  }
  return { bytesSent, bytesReceived };
}

const api = {
  /** Connects a participant's signaling (not timed). */
  async connect(wsUrl: string, name: string): Promise<void> {
    const client = await Parley.connect(wsUrl, { name, storage: null });
    participants.set(name, { client, room: undefined, trackNames: new Map() });
  },

  /**
   * Joins `room` (created in `mode` if this join creates it) with the camera and clocks the first frame from each of `expected` (members
   * already publishing), until all arrived or `timeoutMs` passed.
   */
  async join(
    name: string,
    room: string,
    mode: 'mesh' | 'sfu',
    expected: string[],
    timeoutMs: number,
    secret: string | null = null,
  ): Promise<FirstFrames> {
    const p = participants.get(name);
    if (!p) throw new Error(`${name} is not connected`);
    const t0 = performance.now();
    // `mode: 'sfu'` makes the first joiner create an SFU room; mesh rooms use the default.
    const r = await p.client.join(room, {
      media: { video: { ...CAMERA }, audio: false },
      ...(mode === 'sfu' ? { mode } : {}),
      // `--e2ee`: every frame encrypted in the E2EE worker, the room required to be encrypted.
      ...(secret !== null
        ? { e2ee: e2ee({ secret, worker: '/e2ee-worker.js' }), requireE2ee: expected.length === 0 }
        : {}),
    });
    const joinResolvedMs = performance.now() - t0;
    p.room = r;
    r.on('track', (peer, track) => p.trackNames.set(track.id, peer.remoteName));
    const firstFrameMs: Record<string, number> = {};
    let connectedMs: number | null = null;
    const deadline = t0 + timeoutMs;
    while (performance.now() < deadline) {
      if (connectedMs === null && mediaConnected(r, expected.length)) connectedMs = performance.now() - t0;
      const d = await decodedByMember(p);
      const now = performance.now();
      // Checked again here: connection and first frames may both arrive within one poll.
      if (connectedMs === null && mediaConnected(r, expected.length)) connectedMs = now - t0;
      for (const m of expected)
        if ((d[m] ?? 0) > 0 && firstFrameMs[m] === undefined) firstFrameMs[m] = now - t0;
      if (expected.every((m) => firstFrameMs[m] !== undefined)) break;
      await new Promise((res) => setTimeout(res, FIRST_FRAME_POLL_MS));
    }
    for (const m of Object.keys(firstFrameMs)) firstFrameMs[m] = Math.round(firstFrameMs[m]!);
    return {
      expected,
      firstFrameMs,
      joinResolvedMs: Math.round(joinResolvedMs),
      connectedMs: connectedMs === null ? null : Math.round(connectedMs),
      complete: expected.every((m) => firstFrameMs[m] !== undefined),
    };
  },

  /** Every participant's counters now (read in one pass, one participant after the other). */
  async snapshot(): Promise<Record<string, ParticipantSnapshot>> {
    const out: Record<string, ParticipantSnapshot> = {};
    for (const [name, p] of participants) {
      const decoded = await decodedByMember(p);
      const atMs = performance.now();
      const encoded = await encodedStreams(p);
      out[name] = { mode: p.room?.mode ?? 'none', atMs, decoded, encoded, ...(await transportBytes(p)) };
    }
    return out;
  },

  pollIntervalMs: FIRST_FRAME_POLL_MS,
  camera: CAMERA,

  closeAll(): void {
    for (const p of participants.values()) p.client.close();
    participants.clear();
  },
};

export type BenchPageApi = typeof api;
(window as unknown as { BENCH: BenchPageApi }).BENCH = api;
