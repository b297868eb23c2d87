/**
 * The Node peer of the mixed-stack interop tests: the client SDK running in this process on the
 * CLI's WebRTC stack (`ws` as the WebSocket, the node-datachannel adapter of packages/cli as the
 * RTCPeerConnection), exactly as `parley` drives it, plus the browser room page
 * (pages/room-peer.ts) served by a real Parley server. Also used by bench/interop/pairings.ts.
 */

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  connect,
  type ParleyClient,
  type PeerSession,
  type Room,
  type RTCPeerConnectionConstructor,
  type WebSocketConstructor,
} from '@parley/client';
import { WebSocket } from 'ws';
import { NodeRTCPeerConnection } from '../../../packages/cli/src/webrtc/index.ts';
import { servePages } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';
import type { MemberReport, PageFile } from './pages/room-peer.ts';

export type { MemberReport, PageFile };

const ROOM_PEER_SOURCE = fileURLToPath(new URL('./pages/room-peer.ts', import.meta.url));

export interface RoomSite {
  /** The room page (`window.roomPeer`), served by the Parley server itself. */
  pageUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Bundles the room page and starts a Parley server (127.0.0.1, free port) that serves it. */
export async function startRoomSite(env: Record<string, string> = {}): Promise<RoomSite> {
  const site = await servePages({ 'room-peer': ROOM_PEER_SOURCE }, (dir) =>
    startServer({ PARLEY_WEB_DIR: dir, ...env }),
  );
  return { pageUrl: site.page('room-peer'), wsUrl: site.server.wsUrl, close: site.close };
}

/** The same seeded bytes as the room page's generator (xorshift32). */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
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

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The SDK in Node on the CLI's stack: room chat and files, no media. */
export class NodePeer {
  readonly client: ParleyClient;
  room: Room | null = null;
  readonly chats: string[] = [];
  /** Files received from any member, in arrival order. */
  readonly received: PageFile[];
  /** Date.now() when the chat channel with each member opened (the data path is up). */
  readonly openedAt: Map<string, number>;
  /** Warnings the SDK logged (a negotiation step the adapter refused shows up here). */
  readonly warnings: string[];

  private constructor(
    client: ParleyClient,
    warnings: string[],
    received: PageFile[],
    openedAt: Map<string, number>,
  ) {
    this.client = client;
    this.openedAt = openedAt;
    this.warnings = warnings;
    this.received = received;
  }

  /** Connects as `name`; every peer session accepts incoming files (kept in memory). */
  static async connect(wsUrl: string, name: string): Promise<NodePeer> {
    const warnings: string[] = [];
    const received: PageFile[] = [];
    const openedAt = new Map<string, number>();
    const client = await connect(wsUrl, {
      name,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      RTCPeerConnection: NodeRTCPeerConnection.withOptions({}) as unknown as RTCPeerConnectionConstructor,
      storage: null,
      logger: {
        level: 'warn',
        sink: (level, logger, msg, ctx) => {
          if (level === 'warn' || level === 'error')
            warnings.push(`${logger} ${msg}${ctx ? ` ${JSON.stringify(ctx)}` : ''}`);
        },
      },
      features: [
        (peer: PeerSession) => {
          peer.chat?.on('open', () => {
            if (!openedAt.has(peer.remoteName)) openedAt.set(peer.remoteName, Date.now());
          });
          NodePeer.#acceptFiles(peer, received);
        },
      ],
    });
    return new NodePeer(client, warnings, received, openedAt);
  }

  static #acceptFiles(peer: PeerSession, received: PageFile[]): void {
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
          pageSha256: sha256Hex(bytes),
          bytes: bytes.byteLength,
          startedAt,
          endedAt,
        });
      });
    });
  }

  /** Joins `room` without media (the Node stack has none). */
  async join(room: string): Promise<Room> {
    this.room = await this.client.join(room, { media: false });
    this.room.chat.on('chat', (from, m) => this.chats.push(`${from}: ${m.text}`));
    return this.room;
  }

  /** The peer session with `name` (in the room, or of a call). */
  peer(name: string): PeerSession {
    const p = this.room?.peers.get(name);
    if (!p) throw new Error(`no peer session with ${name}`);
    return p;
  }

  /** Sends `bytes` seeded pseudo-random bytes to `to` and resolves when the transfer ends. */
  async sendFile(to: string, bytes: number, seed: number): Promise<PageFile> {
    const files = this.peer(to).files;
    if (!files) throw new Error(`no file transfers with ${to}`);
    const data = pseudoRandomBytes(bytes, seed);
    const startedAt = performance.now();
    const result = await files.send(new Blob([data]), { name: `seed-${seed}.bin` }).finished;
    return {
      from: this.client.name,
      name: `seed-${seed}.bin`,
      state: result.state,
      sdkSha256: result.sha256 ?? null,
      pageSha256: sha256Hex(data),
      bytes,
      startedAt,
      endedAt: performance.now(),
    };
  }

  close(): void {
    this.client.close();
  }
}
