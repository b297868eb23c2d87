/**
 * Browser side of the SDK's large-room test: several `ParleyClient`s in one page (one per
 * participant, no session storage so they do not share a token), each in the same room through
 * the public Room API. Records `track` events by member name and reads decoded frames from the
 * room's SFU subscriber connection.
 */
import * as Parley from '../../../packages/client/src/index.ts';

interface Member {
  client: Parley.ParleyClient;
  room: Parley.Room;
  /** Track id → the member it came from (from the Room's `track` events). */
  trackNames: Map<string, string>;
  modes: string[];
}

const members = new Map<string, Member>();

const api = {
  async join(name: string, room: string, publish: boolean): Promise<string> {
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const client = await Parley.connect(wsUrl, { name, storage: null });
    const r = await client.join(
      room,
      publish
        ? { media: { video: { width: 320, height: 240, frameRate: 15 }, audio: false } }
        : { media: false },
    );
    // A member joining a room already in sfu mode entered it before `join` resolved.
    const m: Member = { client, room: r, trackNames: new Map(), modes: r.mode === 'sfu' ? ['sfu'] : [] };
    r.on('track', (peer, track) => m.trackNames.set(track.id, peer.remoteName));
    r.on('mode', (mode) => m.modes.push(mode));
    members.set(name, m);
    return r.mode;
  },

  mode(name: string): string | undefined {
    return members.get(name)?.room.mode;
  },

  /** How many times the room (re)entered sfu mode (the `mode` event). */
  sfuStarts(name: string): number {
    return members.get(name)?.modes.length ?? 0;
  },

  /** Frames decoded per member through the SFU subscriber connection. */
  async sfuDecoded(name: string): Promise<Record<string, number>> {
    const m = members.get(name)!;
    const pc = m.room.sfu?.subscriber;
    const out: Record<string, number> = {};
    if (!pc) return out;
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
      const from = m.trackNames.get(s.trackIdentifier);
      if (from) out[from] = (out[from] ?? 0) + (s.framesDecoded ?? 0);
    }
    return out;
  },

  closeAll(): void {
    for (const m of members.values()) m.client.close();
    members.clear();
  },
};

(window as unknown as { ROOMS: typeof api }).ROOMS = api;
