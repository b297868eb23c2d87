/**
 * Browser side of the room-channel-in-SFU-rooms test (sfu-relay.test.ts): several receive-only
 * `ParleyClient`s in one page, each with a reliable and a lossy room channel, keeping what they
 * receive, and reading how many messages their peer-to-peer data channels carried (getStats
 * `data-channel` `messagesSent`), which tells whether a message went peer to peer or through the
 * server.
 */
import * as Parley from '../../../packages/client/src/index.ts';

/** What a member received: sender, and the value (binary as `bin:<length>:<first byte>`). */
type Got = { from: string; value: unknown };

interface Member {
  client: Parley.ParleyClient;
  room: Parley.Room;
  modes: string[];
  channels: Map<string, Parley.AppChannel>;
  got: Map<string, Got[]>;
  errors: string[];
}

const members = new Map<string, Member>();

const LABELS = { rel: {}, lossy: { reliable: false } } as const;

const api = {
  /** Joins `room` as `name` without media, opens `rel` and `lossy`; returns the room's mode. */
  async join(name: string, room: string): Promise<string> {
    const client = await Parley.connect(`ws://${location.host}/ws`, { name, storage: null });
    const r = await client.join(room, { media: false });
    const m: Member = {
      client,
      room: r,
      modes: [r.mode],
      channels: new Map(),
      got: new Map(),
      errors: [],
    };
    r.on('mode', (mode) => m.modes.push(mode));
    client.on('error', (e) => m.errors.push(`client: ${e.code} ${e.message}`));
    for (const [label, options] of Object.entries(LABELS)) {
      const ch = r.channel(label, options);
      const got: Got[] = [];
      ch.on('message', (data, from) => {
        const value =
          data instanceof ArrayBuffer ? `bin:${data.byteLength}:${new Uint8Array(data)[0] ?? ''}` : data;
        got.push({ from, value });
      });
      ch.on('error', (e) => m.errors.push(`${label}: ${e.code} ${e.message}`));
      m.channels.set(label, ch);
      m.got.set(label, got);
    }
    members.set(name, m);
    return r.mode;
  },

  modes: (name: string) => members.get(name)?.modes ?? [],
  mode: (name: string) => members.get(name)?.room.mode,
  peersOpen: (name: string, label: string) => members.get(name)?.channels.get(label)?.peers.sort() ?? [],
  got: (name: string, label: string) => members.get(name)?.got.get(label) ?? [],
  errors: (name: string) => members.get(name)?.errors ?? [],

  /**
   * Sends `count` messages on `label`, numbered from `start`: JSON `{n}` mostly, every fifth a
   * binary message of 1 KiB whose first byte is `n % 256`, every seventh a string `s<n>`.
   * Awaits each send (backpressure). With `gapMs`, waits that long between two.
   */
  async send(name: string, label: string, start: number, count: number, gapMs = 0): Promise<void> {
    const ch = members.get(name)?.channels.get(label);
    if (!ch) throw new Error(`no ${label} for ${name}`);
    for (let n = start; n < start + count; n++) {
      if (n % 5 === 0) {
        const b = new Uint8Array(1024);
        b[0] = n % 256;
        await ch.send(b);
      } else if (n % 7 === 0) await ch.send(`s${n}`);
      else await ch.send({ n });
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  },

  /** Messages `name`'s data channels on `label` have sent peer to peer, over all its peers. */
  async dcSent(name: string, label: string): Promise<number> {
    const m = members.get(name);
    if (!m) return -1;
    let sent = 0;
    for (const peer of m.room.peers.values())
      for (const s of (await peer.pc.getStats()).values())
        if (s.type === 'data-channel' && s.label === label) sent += s.messagesSent ?? 0;
    return sent;
  },

  async leave(name: string): Promise<void> {
    const m = members.get(name);
    if (!m) return;
    members.delete(name);
    await m.room.leave();
    m.client.close();
  },

  closeAll(): void {
    for (const m of members.values()) m.client.close();
    members.clear();
  },
};

/** The page's API, as the test sees it (`window.RELAY`). */
export type RelayApi = typeof api;
declare global {
  interface Window {
    RELAY: RelayApi;
  }
}

window.RELAY = api;
