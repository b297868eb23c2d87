/**
 * Browser side of the app-channel tests: one Parley client per page (the SDK bundled from
 * source, the real server) that joins a room or calls, opens app channels and runs the shared
 * traffic (channel-traffic.ts). Driven by the test process through `window.channelPeer`.
 */
import {
  type AppChannel,
  type AppChannelOptions,
  type Call,
  connect,
  type ParleyClient,
  type Room,
} from '@parley/client';
import { sendTraffic, TrafficChecker, type TrafficReport } from '../channel-traffic.ts';

export interface ChannelPeerApi {
  connect(wsUrl: string, name: string): Promise<void>;
  join(room: string): Promise<void>;
  call(to: string): Promise<void>;
  /** Opens `label` on the room (or the call) and starts checking what arrives on it. */
  open(label: string, options: AppChannelOptions): { id: number };
  /** Peers whose side of `label` is open. */
  peers(label: string): string[];
  sendTraffic(label: string, count: number): Promise<{ ms: number; maxBuffered: number }>;
  report(label: string): TrafficReport;
  errors(label: string): string[];
  /** What the data channel to `peer` was created with (as this browser reports it). */
  dcInfo(
    label: string,
    peer: string,
  ): { ordered: boolean; maxRetransmits: number | null; id: number | null } | null;
  restartIce(): void;
  /** How many offers with an ICE restart this page made. */
  iceRestarts(): number;
  hasCall(): boolean;
  debug(): unknown;
  remoteOptions(label: string, peer: string): unknown;
  close(): void;
}

declare global {
  interface Window {
    channelPeer: ChannelPeerApi;
  }
}

let client: ParleyClient | null = null;
let room: Room | null = null;
let call: Call | null = null;
let restarts = 0;
const log: string[] = [];
const channels = new Map<string, { channel: AppChannel; checker: TrafficChecker; errors: string[] }>();

function get(label: string) {
  const c = channels.get(label);
  if (!c) throw new Error(`no channel ${label}`);
  return c;
}

window.channelPeer = {
  async connect(wsUrl, name) {
    client = await connect(wsUrl, {
      name,
      storage: null,
      // The SDK's warnings (negotiation resyncs, ICE recovery) go into `debug()` for failure reports.
      logger: {
        level: 'info',
        sink: (level, logger, msg, ctx) =>
          log.push(`${level} ${logger}: ${msg} ${JSON.stringify(ctx ?? {})}`.slice(0, 400)),
      },
    });
    client.on('incoming', (c) => {
      call = c;
      void c.accept({ media: false });
    });
  },
  async join(name) {
    room = await (client as ParleyClient).join(name, { media: false });
  },
  async call(to) {
    call = await (client as ParleyClient).call(to, { media: false });
  },
  open(label, options) {
    const owner = room ?? call;
    if (!owner) throw new Error('neither in a room nor in a call');
    const channel = owner.channel(label, options);
    const errors: string[] = [];
    channel.on('error', (e) => errors.push(`${e.code} ${e.message}`));
    channels.set(label, { channel, checker: new TrafficChecker(channel), errors });
    return { id: channel.id };
  },
  peers: (label) => get(label).channel.peers,
  sendTraffic: (label, count) => sendTraffic(get(label).channel, count),
  report: (label) => get(label).checker.report(),
  errors: (label) => get(label).errors,
  dcInfo(label, peer) {
    const dc = get(label).channel.dataChannel(peer);
    return dc ? { ordered: dc.ordered, maxRetransmits: dc.maxRetransmits, id: dc.id } : null;
  },
  restartIce() {
    const peers = room ? [...room.peers.values()] : call?.peer ? [call.peer] : [];
    for (const p of peers) {
      p.restartIce();
      restarts++;
    }
  },
  iceRestarts: () => restarts,
  hasCall: () => call !== null,
  debug: () => ({
    log: log.slice(-40),
    call: call ? { state: call.state, end: call.endReason, pc: call.peer?.pc.connectionState } : null,
    channels: Object.fromEntries(
      [...channels].map(([l, c]) => [
        l,
        {
          peers: c.channel.peers,
          buffered: c.channel.bufferedAmount,
          report: c.checker.report(),
          errors: c.errors,
        },
      ]),
    ),
  }),
  remoteOptions: (label, peer) => get(label).channel.remoteOptions(peer) ?? null,
  close() {
    client?.close();
  },
};
