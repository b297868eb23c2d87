/**
 * Browser side of the mixed-stack room tests (node-peer.test.ts): one Parley client per page (the
 * real SDK, bundled from source, talking to the real server) that joins a room with camera and
 * microphone, records room chat, accepts files from any member, and reports per member what
 * getStats() says arrived. Driven by the test process through `window.roomPeer`.
 */

import { connect, type ParleyClient, type PeerSession, type Room } from '@parley/client';

/** What one member's peer connection carried to this page, from getStats(). */
export interface MemberReport {
  name: string;
  connection: RTCPeerConnectionState;
  framesDecoded: number;
  audioBytes: number;
  /** RTP bytes this page sent to that member (`outbound-rtp`, audio and video). */
  mediaBytesSent: number;
  /**
   * Bytes received over the ICE candidate pairs (both engines report `candidate-pair.bytesReceived`;
   * Firefox has no `transport.bytesReceived`, and a file's own channel, with its `data-channel`
   * stats, is gone once the transfer ends).
   */
  pairBytes: number;
}

/** A file received or sent, with the SHA-256 computed here over the bytes themselves. */
export interface PageFile {
  from: string;
  name: string;
  state: string;
  sdkSha256: string | null;
  pageSha256: string;
  bytes: number;
  /** performance.now() when the transfer was started / accepted, and when it finished. */
  startedAt: number;
  endedAt: number;
}

export interface RoomPeerApi {
  /** Connects as `name` and joins `room`, with camera and microphone unless `media` is false. */
  join(wsUrl: string, name: string, room: string, media: boolean): Promise<void>;
  members(): string[];
  report(): Promise<MemberReport[]>;
  sendChat(text: string): string[];
  /** Chats received so far as `from: text`. */
  chats(): string[];
  /** States of the chat channel with each member. */
  chatStates(): Record<string, string>;
  /** Sends `bytes` seeded pseudo-random bytes to `to` and resolves when the transfer ends. */
  sendFile(to: string, bytes: number, seed: number): Promise<PageFile>;
  receivedFiles(): PageFile[];
  /** Date.now() when the chat channel with each member opened (the data path is up). */
  openedAt(): Record<string, number>;
  close(): void;
}

declare global {
  interface Window {
    roomPeer: RoomPeerApi;
  }
}

let client: ParleyClient | null = null;
let room: Room | null = null;
const chats: string[] = [];
const received: PageFile[] = [];
const openedAt: Record<string, number> = {};

async function sha256Hex(data: BufferSource): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Deterministic bytes (xorshift32), the same generator as the Node peer's. */
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

/** Feature hook for every peer session: stamps when its chat channel opens, accepts files. */
function watchPeer(peer: PeerSession): void {
  peer.chat?.on('open', () => {
    openedAt[peer.remoteName] ??= Date.now();
  });
  peer.files?.on('offer', (incoming) => {
    const startedAt = performance.now();
    incoming.accept();
    void incoming.finished.then(async (result) => {
      const endedAt = performance.now();
      const bytes = incoming.blob ? new Uint8Array(await incoming.blob.arrayBuffer()) : new Uint8Array(0);
      received.push({
        from: peer.remoteName,
        name: incoming.name,
        state: result.state,
        sdkSha256: result.sha256 ?? null,
        pageSha256: await sha256Hex(bytes),
        bytes: bytes.byteLength,
        startedAt,
        endedAt,
      });
    });
  });
}

function currentRoom(): Room {
  if (!room) throw new Error('not in a room');
  return room;
}

const api: RoomPeerApi = {
  async join(wsUrl, name, roomName, media) {
    client = await connect(wsUrl, { name, storage: null, features: [watchPeer] });
    room = await client.join(roomName, media ? { media: { audio: true, video: true } } : { media: false });
    room.chat.on('chat', (from, m) => chats.push(`${from}: ${m.text}`));
  },

  members() {
    return [...currentRoom().peers.keys()];
  },

  async report() {
    const out: MemberReport[] = [];
    for (const [name, peer] of currentRoom().peers) {
      const r: MemberReport = {
        name,
        connection: peer.pc.connectionState,
        framesDecoded: 0,
        audioBytes: 0,
        mediaBytesSent: 0,
        pairBytes: 0,
      };
      for (const s of (await peer.pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') r.framesDecoded += s.framesDecoded ?? 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') r.audioBytes += s.bytesReceived ?? 0;
        if (s.type === 'outbound-rtp') r.mediaBytesSent += s.bytesSent ?? 0;
        if (s.type === 'candidate-pair') r.pairBytes += s.bytesReceived ?? 0;
      }
      out.push(r);
    }
    return out;
  },

  sendChat(text) {
    currentRoom().chat.sendText(text);
    return [...currentRoom().peers.keys()];
  },

  chats() {
    return [...chats];
  },

  chatStates() {
    return Object.fromEntries(
      [...currentRoom().peers].map(([name, peer]) => [name, peer.chat?.state ?? 'none']),
    );
  },

  async sendFile(to, bytes, seed) {
    const peer = currentRoom().peers.get(to);
    if (!peer?.files) throw new Error(`no file transfers with ${to}`);
    const data = pseudoRandomBytes(bytes, seed);
    const pageSha256 = await sha256Hex(data);
    const startedAt = performance.now();
    const result = await peer.files.send(new Blob([data]), { name: `seed-${seed}.bin` }).finished;
    return {
      from: client?.name ?? '',
      name: `seed-${seed}.bin`,
      state: result.state,
      sdkSha256: result.sha256 ?? null,
      pageSha256,
      bytes,
      startedAt,
      endedAt: performance.now(),
    };
  },

  receivedFiles() {
    return [...received];
  },

  openedAt() {
    return { ...openedAt };
  },

  close() {
    client?.close();
    client = null;
    room = null;
  },
};

window.roomPeer = api;
