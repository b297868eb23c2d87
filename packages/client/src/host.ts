/**
 * The two sides of the line between the client and its conversations. {@link ConversationHost}
 * is what calls and rooms need from the client that owns them: an interface rather than the
 * `ParleyClient` class itself, so `call.ts` and `room.ts` do not import `client.ts` (imports
 * flow one way) and unit tests can hand them a small fake. {@link CallControl} and
 * {@link RoomControl} are what the client (through `conversations.ts`) does to a call or a room
 * when a server frame concerns it: handles kept off the public `Call` and `Room` classes (only
 * `callControl()` / `roomControl()` in their modules hand them out), as mediasoup keeps its
 * internal entry points off its public objects.
 *
 * Imports: types only (protocol, media, log, peer, call, room).
 */
import type {
  CallEndReason,
  CallReach,
  ClientMessage,
  JsonValue,
  RoomLimits,
  RoomMode,
  ServerMessage,
  ServerMessageOf,
} from '@parley/protocol';
import type { Call, CallEndedReason } from './call.ts';
import type { CallAgreement } from './features/e2ee/call-agreement.ts';
import type { E2eeSession } from './features/e2ee/e2ee-session.ts';
import type { AcquiredMedia, LocalMedia, MediaOptions } from './features/media.ts';
import type { Logger } from './log.ts';
import type { PeerSession, RTCPeerConnectionConstructor } from './peer/peer-session.ts';
import type { Scope, SignalData } from './peer/signal-data.ts';
import type { Room, RoomPeerLeftReason } from './room.ts';

/** @internal */
export interface ConversationHost {
  /** Our own name. */
  readonly name: string;
  /** The last `welcome.graceMs` (how long the server keeps a dropped session). */
  readonly graceMs: number;
  /** The current ICE servers (from `welcome` / `ice.updated`), for connections made outside `createPeer`. */
  readonly iceServers?: RTCIceServer[];
  /** The server's room figures (`welcome.roomLimits`), once known. */
  readonly roomLimits?: Readonly<RoomLimits> | undefined;
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
  /**
   * The call has a peer session now: signals kept for it until then (they can overtake
   * `call.accepted`) are delivered.
   */
  callReady(call: string): void;
  /** Called when a call or room is over, so the client forgets it. */
  forget(what: { call?: string; room?: string }): void;
  logger(name: string): Logger;
}

/**
 * @internal What the client does to a call when the server's frames concern it. Kept off the
 * public {@link Call} class: apps drive a call with accept/decline/hangup, never with these.
 */
export interface CallControl {
  readonly call: Call;
  /** The server says the call was answered. */
  accepted(): void;
  /** The server says the call ended. */
  ended(reason: CallEndReason, by?: string): void;
  /**
   * The server knows the call again after forgetting it (`call.resumed`); `restart`: a party's
   * page was reloaded, so the peer connection starts over.
   */
  resumed(restart?: boolean): void;
  /** The other party's page is going away; the server holds the call for `graceMs` (`call.held`). */
  held(graceMs: number): void;
  /** A signal from the remote party; false when the call has no peer session to take it yet. */
  signal(data: SignalData): boolean;
  /** The outgoing call's local media, set by the client before inviting. */
  setMedia(media: LocalMedia): void;
  /** Sets the call's end-to-end encryption (the caller's, before the peer session starts). */
  setE2ee(session: E2eeSession, agreement?: CallAgreement): void;
  /** The client is closing, or the server lost the call for good. */
  terminate(reason: CallEndedReason): void;
  /** How far the invite got (`call.ringing.reach`) or how long it rings on (`call.incoming.ringMs`). */
  rings(update: { reach?: CallReach; ringMs?: number }): void;
}

/**
 * @internal What the client does to a room when the server's frames concern it. Kept off the
 * public {@link Room} class: apps use join/leave/send, never these.
 */
export interface RoomControl {
  readonly room: Room;
  /** Sends `room.join` (first join and rejoin). */
  join(): Promise<unknown>;
  /** The signaling session is new (the server forgot us): join again, keep peers a while. */
  rejoin(): void;
  /**
   * `room.joined`: the members already there, the room's mode, and whether its creator required
   * end-to-end encryption.
   */
  joined(peers: readonly string[], mode?: RoomMode, e2eeRequired?: boolean): void;
  /** `room.mode`. */
  mode(mode: RoomMode): void;
  /** `sfu.feeds`: who publishes through the SFU. */
  sfuFeeds(names: readonly string[]): void;
  /** `peer.joined`; `restart`: the member's page was reloaded, start its connection over. */
  peerJoined(name: string, restart?: boolean): void;
  /** `peer.left`. */
  peerLeft(name: string, reason: RoomPeerLeftReason): void;
  /** A signal for this room from `from`. */
  signal(from: string, data: SignalData): void;
  /** `room.message`. */
  message(from: string, data: JsonValue): void;
  /** `room.data`: a part of an app channel message relayed by the server. */
  data(msg: ServerMessageOf<'room.data'>): void;
  /** The client closes, or the server reported us out of the room. */
  teardown(reason: string): void;
}
