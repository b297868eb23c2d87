/**
 * Shared set-up of the app-channel tests: the channel page (pages/channel-peer.ts) bundled and
 * served by a real Parley server, and the Node peer (the SDK on the CLI's node-datachannel
 * stack, as `parley` runs it) with the same traffic helpers.
 */
import { fileURLToPath } from 'node:url';
import {
  type AppChannel,
  type AppChannelOptions,
  connect,
  type ParleyClient,
  type Room,
  type RTCPeerConnectionConstructor,
  type WebSocketConstructor,
} from '@parley/client';
import { WebSocket } from 'ws';
import { NodeRTCPeerConnection } from '../../../packages/cli/src/webrtc/index.ts';
import { servePages } from '../../helpers/browser.ts';
import type { TestPage } from '../../helpers/browsers.ts';
import { startServer } from '../../helpers/server.ts';
import { TrafficChecker } from './channel-traffic.ts';

const PAGE_SOURCE = fileURLToPath(new URL('./pages/channel-peer.ts', import.meta.url));

export interface ChannelSite {
  pageUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startChannelSite(env: Record<string, string> = {}): Promise<ChannelSite> {
  const site = await servePages({ 'channel-peer': PAGE_SOURCE }, (dir) =>
    startServer({ PARLEY_WEB_DIR: dir, ...env }),
  );
  return { pageUrl: site.page('channel-peer'), wsUrl: site.server.wsUrl, close: site.close };
}

/** Connects the page's client as `name`. */
export async function connectPage(page: TestPage, wsUrl: string, name: string): Promise<void> {
  await page.waitFor(() => typeof window.channelPeer === 'object', {
    timeoutMs: 10_000,
    what: 'channelPeer',
  });
  await page.evaluate(([u, n]) => window.channelPeer.connect(u, n), [wsUrl, name] as const);
}

/** The SDK in this process on the CLI's stack. */
export class NodeChannelPeer {
  readonly client: ParleyClient;
  room: Room | null = null;
  readonly checkers = new Map<string, TrafficChecker>();
  readonly errors: string[] = [];

  private constructor(client: ParleyClient) {
    this.client = client;
  }

  static async connect(wsUrl: string, name: string): Promise<NodeChannelPeer> {
    const client = await connect(wsUrl, {
      name,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      RTCPeerConnection: NodeRTCPeerConnection.withOptions({}) as unknown as RTCPeerConnectionConstructor,
      storage: null,
    });
    return new NodeChannelPeer(client);
  }

  async join(room: string): Promise<Room> {
    this.room = await this.client.join(room, { media: false });
    return this.room;
  }

  open(label: string, options: AppChannelOptions = {}): AppChannel {
    if (!this.room) throw new Error('not in a room');
    const channel = this.room.channel(label, options);
    channel.on('error', (e) => this.errors.push(`${e.code} ${e.message}`));
    this.checkers.set(label, new TrafficChecker(channel));
    return channel;
  }

  close(): void {
    this.client.close();
  }
}
