/**
 * Where an {@link AppChannel} finds its peer sessions: a call's (one peer, replaced when the call
 * resumes after the other side reloads) or a room's members' (the room keeps a peer session per
 * member for data in both modes), plus, for a room, its path through the server, which its
 * channels take in SFU mode (app-channel-relay.ts). `call.channel()` and `room.channel()` use
 * these; they keep call.ts and room.ts down to one method each.
 *
 * Calls and rooms sit above features/, so they are described here by the little this needs.
 * May import peer/ (types), app-channel.ts and app-channel-relay.ts (types).
 */
import type { PeerSession } from '../peer/peer-session.ts';
import type { AppChannelScope } from './app-channel.ts';
import type { RoomDataRelay } from './app-channel-relay.ts';

/** What a call offers a channel. */
interface CallLike {
  readonly peer: PeerSession | null;
  readonly state: string;
  on(event: 'peer', fn: (peer: PeerSession) => void): () => void;
  on(event: 'ended', fn: () => void): () => void;
}

/** What a room offers a channel. */
interface RoomLike {
  readonly peers: ReadonlyMap<string, PeerSession>;
  readonly state: string;
  /** `sfu` while media goes through the SFU: then app channels go through the server. */
  readonly mode: string;
  on(event: 'peer-joined', fn: (peer: PeerSession) => void): () => void;
  on(event: 'state', fn: (state: string) => void): () => void;
}

/** A call's session; messages sent before it exists wait for it (bounded by `maxBufferedBytes`). */
export function callChannelScope(call: CallLike): AppChannelScope {
  return {
    sessions: () => (call.peer ? [call.peer] : []),
    onSession: (fn) => call.on('peer', fn),
    onEnd: (fn) => {
      if (call.state === 'ended') queueMicrotask(fn);
      return call.on('ended', () => fn());
    },
    queueWithoutPeers: true,
  };
}

/** A room's members; what is sent while nobody else is there reaches nobody (as `room.send`). */
export function roomChannelScope(room: RoomLike, relay: RoomDataRelay): AppChannelScope {
  return {
    sessions: () => room.peers.values(),
    onSession: (fn) => room.on('peer-joined', fn),
    onEnd: (fn) => {
      if (room.state === 'left') queueMicrotask(fn);
      return room.on('state', (state) => {
        if (state === 'left') fn();
      });
    },
    queueWithoutPeers: false,
    relay: { via: relay, relayed: () => room.mode === 'sfu' },
  };
}
