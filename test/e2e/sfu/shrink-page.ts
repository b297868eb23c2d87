/**
 * Browser side of the shrink-to-mesh test: several `ParleyClient`s in one page, each in the same
 * room through the public Room API, with the SDK's `parley:peer` and `parley:room` logs kept per
 * member (so a failure shows the negotiation steps). Reads, per remote member, the frames decoded
 * on that member's `PeerSession` connection, and each peer session's state.
 */
import * as Parley from '../../../packages/client/src/index.ts';

interface Member {
  client: Parley.ParleyClient;
  room: Parley.Room;
  modes: string[];
  logs: string[];
}

const members = new Map<string, Member>();

const api = {
  /**
   * Joins `room` as `name`: `video` sends a 320x240 camera, `av` the fake microphone too, `false`
   * nothing (receive-only). Returns the room's mode.
   */
  async join(name: string, room: string, publish: 'av' | 'video' | false): Promise<string> {
    const logs: string[] = [];
    const wsUrl = `ws://${location.host}/ws`;
    const client = await Parley.connect(wsUrl, {
      name,
      storage: null,
      logger: {
        level: 'debug',
        sink: (level, logger, msg, ctx) => {
          if (logger !== 'parley:peer' && logger !== 'parley:room') return;
          logs.push(
            `${performance.now().toFixed(0)} ${level} ${logger} ${msg} ${ctx ? JSON.stringify(ctx) : ''}`,
          );
        },
      },
    });
    const media: Parley.MediaOptions = publish
      ? { media: { video: { width: 320, height: 240, frameRate: 15 }, audio: publish === 'av' } }
      : { media: false };
    const r = await client.join(room, media);
    const m: Member = { client, room: r, modes: r.mode === 'sfu' ? ['sfu'] : [], logs };
    r.on('mode', (mode) => m.modes.push(mode));
    members.set(name, m);
    return r.mode;
  },

  /** Every `mode` event so far (plus `sfu` when the room was joined in sfu mode). */
  modes(name: string): string[] {
    return members.get(name)?.modes ?? [];
  },

  /** Frames decoded per remote member on its peer session's connection (inbound video). */
  async meshDecoded(name: string): Promise<Record<string, number>> {
    const m = members.get(name);
    const out: Record<string, number> = {};
    if (!m) return out;
    for (const peer of m.room.peers.values()) {
      for (const s of (await peer.pc.getStats()).values()) {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
        out[peer.remoteName] = (out[peer.remoteName] ?? 0) + (s.framesDecoded ?? 0);
      }
    }
    return out;
  },

  /** Each peer session's state, signaling state and transceivers (for failure messages). */
  peers(name: string): Record<string, string> {
    const m = members.get(name);
    const out: Record<string, string> = {};
    if (!m) return out;
    for (const peer of m.room.peers.values()) {
      const tx = peer.pc
        .getTransceivers()
        .map(
          (t) =>
            `${t.mid}:${t.receiver.track.kind}:${t.direction}/${t.currentDirection}:${t.sender.track ? 'track' : '-'}`,
        )
        .join(' ');
      out[peer.remoteName] =
        `${peer.state}${peer.reason ? `(${peer.reason})` : ''} ${peer.pc.signalingState} polite=${peer.polite} [${tx}]`;
    }
    return out;
  },

  logs(name: string): string[] {
    return members.get(name)?.logs ?? [];
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

/** The page's API, as the tests see it (`window.SHRINK`). */
export type ShrinkApi = typeof api;
declare global {
  interface Window {
    SHRINK: ShrinkApi;
  }
}

window.SHRINK = api;
