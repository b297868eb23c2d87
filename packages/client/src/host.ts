/**
 * What calls and rooms need from the client that owns them. An interface rather than the
 * `ParleyClient` class itself, so `call.ts` and `room.ts` do not import `client.ts` (imports
 * flow one way) and unit tests can hand them a small fake.
 */
import type { ClientMessage, ServerMessage } from '@parley/protocol';
import type { AcquiredMedia, LocalMedia, MediaOptions } from './features/media.ts';
import type { Logger } from './log.ts';
import type { PeerSession, RTCPeerConnectionConstructor } from './peer/peer-session.ts';
import type { Scope } from './peer/signal-data.ts';

/** @internal */
export interface ConversationHost {
  /** Our own name. */
  readonly name: string;
  /** The last `welcome.graceMs` (how long the server keeps a dropped session). */
  readonly graceMs: number;
  /** The current ICE servers (from `welcome` / `ice.updated`), for connections made outside `createPeer`. */
  readonly iceServers?: RTCIceServer[];
  /** The RTCPeerConnection constructor the app injected, if any. */
  readonly RTCPeerConnection?: RTCPeerConnectionConstructor;
  send(msg: ClientMessage): void;
  request(msg: ClientMessage): Promise<ServerMessage>;
  /**
   * `holdFirstOffer`: whether the session waits for the remote's first offer before offering
   * itself (default: the polite side waits; see PeerSessionOptions.holdFirstOffer).
   */
  createPeer(remote: string, scope: Scope, options?: { holdFirstOffer?: boolean }): PeerSession;
  acquireMedia(options: MediaOptions): Promise<AcquiredMedia>;
  createLocalMedia(acquired: AcquiredMedia): LocalMedia;
  /** Called when a call or room is over, so the client forgets it. */
  forget(what: { call?: string; room?: string }): void;
  logger(name: string): Logger;
}
