/**
 * Every message of Parley's wire protocol v1, defined once as a zod schema; the TypeScript types
 * are inferred from the schemas. Client-to-server messages are strict objects, so a field the
 * protocol does not define (a forged `from`, say) is refused with BAD_MESSAGE. Server-to-client
 * messages are parsed leniently (unknown fields are dropped), so a newer server can add fields
 * without breaking older clients. See docs/PROTOCOL.md.
 */
import * as z from 'zod/mini';
import { CallE2ee } from './e2ee.ts';
import { ERROR_CODES, ERROR_REASON_LIST, type ErrorCode, type ErrorReason } from './errors.ts';
import { boundedInt, boundedString, PeerName, ReqId, RoomName } from './fields.ts';
import { LIMITS, NAME_PATTERN } from './limits.ts';
import { MODERATION_CLIENT_SCHEMAS, MODERATION_SERVER_SCHEMAS } from './moderation.ts';
import './messages-locale.ts';
import { RECORDING_CLIENT_SCHEMAS, RECORDING_SERVER_SCHEMAS } from './recording.ts';
import { RoomData, RoomDataLimits, RoomDataSend } from './room-data.ts';
import { utf8Length } from './utf8.ts';

/** Any JSON value. `data` fields carry app payloads the server relays without looking inside. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const jsonValue = () => z.custom<JsonValue>((v) => v !== undefined, { message: 'required: any JSON value' });

/**
 * Whether `value`'s JSON text is at most `maxBytes` UTF-8 bytes. Walks the value with an explicit
 * stack (no recursion, so any depth is safe) and stops as soon as the budget is spent: the work
 * is bounded by `maxBytes`, whatever the value (each nesting level costs at least 2 bytes).
 */
export function jsonWithin(value: unknown, maxBytes: number): boolean {
  let left = maxBytes;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'boolean' || typeof v === 'number') left -= JSON.stringify(v).length;
    else if (typeof v === 'string') left -= utf8Length(JSON.stringify(v));
    else if (Array.isArray(v)) {
      left -= 2 + Math.max(0, v.length - 1);
      if (left < 0) return false;
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (typeof v === 'object') {
      const keys = Object.keys(v as object);
      left -= 2 + Math.max(0, keys.length - 1);
      if (left < 0) return false;
      for (const k of keys) {
        left -= utf8Length(JSON.stringify(k)) + 1;
        stack.push((v as Record<string, unknown>)[k]);
      }
    } else return false; // not JSON (cannot come from a parsed frame)
    if (left < 0) return false;
  }
  return true;
}

/** A JSON value whose text is at most `maxBytes` UTF-8 bytes. */
const boundedJson = (maxBytes: number) =>
  z.custom<JsonValue>((v) => v !== undefined && jsonWithin(v, maxBytes), {
    message: `any JSON value of at most ${maxBytes} bytes`,
  });

export { boundedInt, boundedString, PeerName, ReqId, RoomName } from './fields.ts';

export const CallId = boundedString(1, LIMITS.idMaxChars);
export const SessionToken = boundedString(16, LIMITS.sessionMaxChars);
export const Reason = z.string().check(z.maxLength(LIMITS.reasonMaxChars));

/** The same shape as the browser's RTCIceServer. */
export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.optional(z.string()),
  credential: z.optional(z.string()),
});
export type IceServer = z.infer<typeof IceServer>;

/** Why a call ended, as both parties are told in `call.ended`. */
export const CALL_END_REASONS = [
  'declined',
  'busy',
  'cancelled',
  'hangup',
  'no_answer',
  'peer_gone',
] as const;
export const CallEndReason = z.enum(CALL_END_REASONS);
export type CallEndReason = z.infer<typeof CallEndReason>;

/** Why a peer left a room: `left` on purpose (room.leave, bye), `gone` when its resume grace ran out. */
export const PEER_LEFT_REASONS = ['left', 'gone'] as const;
export const PeerLeftReason = z.enum(PEER_LEFT_REASONS);
export type PeerLeftReason = z.infer<typeof PeerLeftReason>;

// ---------------------------------------------------------------------------------------------
// Client → server. Every request may carry `id`; its reply (or error) echoes it as `re`.

const req = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), id: z.optional(ReqId), ...shape });

export const Hello = req('hello', {
  versions: z.array(boundedString(1, 16)).check(z.minLength(1), z.maxLength(LIMITS.versionsMax)),
  name: PeerName,
  resume: z.optional(SessionToken),
  token: z.optional(boundedString(1, LIMITS.tokenMaxChars)),
});
export const Bye = req('bye', {});
/**
 * The page is going away (it may be a reload): should the socket drop now, the server keeps the
 * session only for the short reload grace (`PARLEY_RELOAD_GRACE_S`) instead of the full resume
 * grace, and tells the other party of an active call that it is held (`call.held`). Idempotent;
 * it ends nothing by itself. See docs/PROTOCOL.md, "Reloads and closed tabs".
 */
export const Leaving = req('leaving', {});
export const RoomJoin = req('room.join', {
  room: RoomName,
  password: z.optional(boundedString(1, LIMITS.passwordMaxChars)),
  /**
   * `sfu` asks for a room that carries media through the SFU from the start. Honoured when this
   * join creates the room and the server has an SFU; otherwise the room keeps its mode.
   */
  mode: z.optional(z.enum(['mesh', 'sfu'])),
  /**
   * This joiner encrypts its media end to end (docs/PROTOCOL.md, "End-to-end encryption"). A
   * declaration only: the server cannot check it. Required to join a room whose creator required it.
   */
  e2ee: z.optional(z.boolean()),
  /**
   * Honoured when this join creates the room (it needs `e2ee: true`): every later `room.join`
   * must declare `e2ee: true` too, for as long as the room exists; `room.joined` says
   * `e2ee: 'required'`.
   */
  requireE2ee: z.optional(z.boolean()),
});
export const RoomLeave = req('room.leave', { room: RoomName });
export const RoomMessageSend = req('room.message', { room: RoomName, data: jsonValue() });
export const SignalSend = req('signal', { to: PeerName, data: jsonValue() });
export const CallInvite = req('call.invite', {
  to: PeerName,
  data: z.optional(boundedJson(LIMITS.callInviteDataMaxBytes)),
  /** The caller wants an end-to-end encrypted call (key agreement, see e2ee.ts). */
  e2ee: z.optional(CallE2ee),
});
export const CallAccept = req('call.accept', { call: CallId });
export const CallDecline = req('call.decline', { call: CallId, busy: z.optional(z.boolean()) });
export const CallCancel = req('call.cancel', { call: CallId });
export const CallHangup = req('call.hangup', { call: CallId });
/**
 * After a `welcome` with `resumed: false` (the server restarted, or the node holding us died), a
 * party of a call that is still up claims it again: the call id and the other party. The server
 * recreates the call (active) only when both parties claimed the same id with each other.
 */
export const CallResume = req('call.resume', { call: CallId, peer: PeerName });
/**
 * A reloaded page of a party of an active call (its session resumed, its peer connection is
 * new) takes the call up again: both parties get `call.resumed {restart: true}` and start a new
 * peer connection. Once per resumed connection; anything else is CALL_NOT_FOUND.
 */
export const CallRejoin = req('call.rejoin', { call: CallId });
/**
 * Two views of who is online (docs/PROTOCOL.md, "Presence"): the **directory** (the default: the
 * first `limit` names in code-unit order, only those starting with `prefix` when given, and then
 * every change among names with that prefix) or a **watch list** (`watch`: just these names).
 * Subscribing again replaces the view.
 */
export const PresenceSubscribe = req('presence.subscribe', {
  watch: z.optional(z.array(PeerName).check(z.maxLength(LIMITS.presenceWatchMax))),
  prefix: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(LIMITS.nameMaxChars),
        z.regex(NAME_PATTERN, 'letters, digits, "_", "." and "-" only'),
      ),
  ),
  limit: z.optional(boundedInt(1, LIMITS.presencePageMax)),
});
export const PresenceUnsubscribe = req('presence.unsubscribe', {});
export const Ping = req('ping', { ts: z.optional(z.number()) });

// Large rooms (SFU). The server forwards these to its SFU (Janus) after checking them; clients
// never address the SFU directly. See docs/PROTOCOL.md, "Large rooms (SFU)".

/** How a room carries media: `mesh` (peer to peer, `signal`) or `sfu` (through the server's SFU). */
export const ROOM_MODES = ['mesh', 'sfu'] as const;
export const RoomMode = z.enum(ROOM_MODES);
export type RoomMode = z.infer<typeof RoomMode>;

const Sdp = boundedString(1, LIMITS.sdpMaxChars);
/** An offer the client made (its publisher connection). */
export const SfuOfferDescription = z.strictObject({ type: z.literal('offer'), sdp: Sdp });
/** An answer the client made (its subscriber connection). */
export const SfuAnswerDescription = z.strictObject({ type: z.literal('answer'), sdp: Sdp });
/** Which of the client's two SFU connections a candidate belongs to. */
export const SfuTarget = z.enum(['publisher', 'subscriber']);
export type SfuTarget = z.infer<typeof SfuTarget>;
/** The browser's RTCIceCandidateInit, bounded. */
export const SfuCandidate = z.strictObject({
  candidate: z.string().check(z.maxLength(LIMITS.candidateMaxChars)),
  sdpMid: z.optional(z.nullable(z.string().check(z.maxLength(LIMITS.midMaxChars)))),
  sdpMLineIndex: z.optional(z.nullable(boundedInt(0, 1024))),
  usernameFragment: z.optional(z.nullable(z.string().check(z.maxLength(LIMITS.candidateMaxChars)))),
});

/** What a published stream is: the camera, the microphone, or a screen share (video or its audio). */
export const SFU_SOURCES = ['camera', 'microphone', 'screen'] as const;
export const SfuSource = z.enum(SFU_SOURCES);
export type SfuSource = z.infer<typeof SfuSource>;
/** One m-line of a publisher offer and what it carries. */
export const SfuPublishedSource = z.strictObject({
  mid: boundedString(1, LIMITS.midMaxChars),
  source: SfuSource,
});

export const SfuPublish = req('sfu.publish', {
  room: RoomName,
  description: SfuOfferDescription,
  /** What each m-line carries; subscribers see it as `source` in `sfu.offer` streams. */
  sources: z.optional(z.array(SfuPublishedSource).check(z.maxLength(LIMITS.sfuSourcesMax))),
});
export const SfuUnpublish = req('sfu.unpublish', { room: RoomName });
export const SfuSubscribe = req('sfu.subscribe', {
  room: RoomName,
  feeds: z.array(PeerName).check(z.maxLength(LIMITS.sfuFeedsMax)),
  /**
   * The client starts a new subscriber connection (the old one failed or was closed): the SFU
   * drops the old subscription and offers the whole set afresh.
   */
  restart: z.optional(z.boolean()),
  /**
   * Members already received whose published streams changed (a screen share started or
   * stopped): their new streams are added and their ended ones removed, the others untouched.
   */
  refresh: z.optional(z.array(PeerName).check(z.maxLength(LIMITS.sfuRefreshMax))),
});
export const SfuAnswer = req('sfu.answer', { room: RoomName, description: SfuAnswerDescription });
export const SfuTrickle = req('sfu.trickle', {
  room: RoomName,
  target: SfuTarget,
  candidate: z.nullable(SfuCandidate),
});
export const SfuConfigure = req('sfu.configure', {
  room: RoomName,
  feed: PeerName,
  /** Which of the feed's videos: its camera (default) or its screen share. Audio is never paused. */
  source: z.optional(z.enum(['camera', 'screen'])),
  /** Simulcast layer to receive: 0 lowest … 2 highest. */
  substream: z.optional(boundedInt(0, 2)),
  /** Stop (true) or resume (false) receiving that video. */
  paused: z.optional(z.boolean()),
});

/** Schemas of client messages by `type`: the codec looks a frame's schema up here. */
export const CLIENT_SCHEMAS = {
  hello: Hello,
  bye: Bye,
  'room.join': RoomJoin,
  'room.leave': RoomLeave,
  'room.message': RoomMessageSend,
  'room.data': RoomDataSend,
  signal: SignalSend,
  'call.invite': CallInvite,
  'call.accept': CallAccept,
  'call.decline': CallDecline,
  'call.cancel': CallCancel,
  'call.hangup': CallHangup,
  'call.resume': CallResume,
  'call.rejoin': CallRejoin,
  leaving: Leaving,
  'presence.subscribe': PresenceSubscribe,
  'presence.unsubscribe': PresenceUnsubscribe,
  ping: Ping,
  'sfu.publish': SfuPublish,
  'sfu.unpublish': SfuUnpublish,
  'sfu.subscribe': SfuSubscribe,
  'sfu.answer': SfuAnswer,
  'sfu.trickle': SfuTrickle,
  'sfu.configure': SfuConfigure,
  ...MODERATION_CLIENT_SCHEMAS,
  ...RECORDING_CLIENT_SCHEMAS,
} as const;

export const ClientMessage = z.discriminatedUnion(
  'type',
  Object.values(CLIENT_SCHEMAS) as never,
) as z.ZodMiniType<z.infer<(typeof CLIENT_SCHEMAS)[keyof typeof CLIENT_SCHEMAS]>>;
export type ClientMessage = z.infer<(typeof CLIENT_SCHEMAS)[keyof typeof CLIENT_SCHEMAS]>;
export type ClientMessageType = ClientMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT_SCHEMAS) as ClientMessageType[];

// ---------------------------------------------------------------------------------------------
// Server → client. Replies carry `re` (the request's `id`) when the request had one.

const evt = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), re: z.optional(ReqId), ...shape });

/**
 * What this server allows in a room, so an app can size its UI and word its refusals from the
 * server's real figures (absent from older servers).
 */
export const RoomLimits = z.object({
  /** Members a room holds (`PARLEY_MAX_PEERS_PER_ROOM`); one more is refused with `ROOM_FULL`. */
  maxMembers: z.number().check(z.int(), z.positive()),
  /**
   * With an SFU configured: a room moves from `mesh` to `sfu` once it has more members than this
   * (`PARLEY_SFU_THRESHOLD`). Absent: the server has no SFU and every room stays `mesh`.
   */
  sfuThreshold: z.optional(z.number().check(z.int(), z.positive())),
  /** Per-sender rates of room data (`room.data`, `PARLEY_ROOM_DATA_*`); absent from older servers. */
  data: z.optional(RoomDataLimits),
});
export type RoomLimits = z.infer<typeof RoomLimits>;

export const Welcome = evt('welcome', {
  version: z.string(),
  name: PeerName,
  session: SessionToken,
  iceServers: z.array(IceServer),
  heartbeatMs: z.number().check(z.int(), z.positive()),
  graceMs: z.number().check(z.int(), z.nonnegative()),
  resumed: z.boolean(),
  rooms: z.array(RoomName),
  roomLimits: z.optional(RoomLimits),
});
export const Ack = evt('ack', {});
export const ErrorFrame = evt('error', {
  code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  fatal: z.optional(z.boolean()),
  /** Which refusal of `code` this is, for programs (errors.ts `ERROR_REASONS`); an unknown one reads as absent. */
  reason: z.catch(z.optional(z.enum(ERROR_REASON_LIST as [ErrorReason, ...ErrorReason[]])), undefined),
  /** With `BUSY`: wait at least this long before reconnecting (the server spreads clients out). */
  retryMs: z.optional(boundedInt(0, 600_000)),
});
export const RoomJoined = evt('room.joined', {
  room: RoomName,
  peers: z.array(PeerName),
  /** Absent from servers without an SFU: then the room is `mesh`. */
  mode: z.optional(RoomMode),
  /** The room is being recorded (a `recording.state` follows); absent: it is not. */
  recording: z.optional(z.boolean()),
  /** Its creator required end-to-end encryption (`room.join` `requireE2ee`); absent: not required. */
  e2ee: z.optional(z.literal('required')),
});
export const RoomLeft = evt('room.left', { room: RoomName });
/**
 * `restart: true`: a member whose page was reloaded joined again (it was still a member): drop
 * the peer connection with it and start a new one.
 */
export const PeerJoined = evt('peer.joined', {
  room: RoomName,
  name: PeerName,
  restart: z.optional(z.boolean()),
});
export const PeerLeft = evt('peer.left', { room: RoomName, name: PeerName, reason: PeerLeftReason });
export const RoomMessage = evt('room.message', { room: RoomName, from: PeerName, data: jsonValue() });
export const Signal = evt('signal', { from: PeerName, data: jsonValue() });
/**
 * How far an invite got: `ringing` (the callee's client has it) or `reaching` (the callee's
 * session is in resume grace, its client briefly away; the call rings once it is back).
 */
export const CallReach = z.enum(['ringing', 'reaching']);
export type CallReach = z.infer<typeof CallReach>;
export const CallRinging = evt('call.ringing', { call: CallId, to: PeerName, reach: z.optional(CallReach) });
export const CallIncoming = evt('call.incoming', {
  call: CallId,
  from: PeerName,
  data: z.optional(jsonValue()),
  /** The caller wants an end-to-end encrypted call: its key commitment, relayed as sent. */
  e2ee: z.optional(CallE2ee),
  /** Milliseconds of ring time left when the server sent this frame. */
  ringMs: z.optional(z.number().check(z.int(), z.nonnegative())),
});
export const CallAccepted = evt('call.accepted', { call: CallId, peer: PeerName });
/**
 * Calls that rang for this name and ended unanswered (`no_answer`, `cancelled`, `peer_gone`),
 * sent after a `welcome` so a client that was away learns of them; at most 10, at most an hour old.
 */
export const CallMissed = evt('call.missed', {
  calls: z
    .array(
      z.strictObject({
        call: CallId,
        from: PeerName,
        at: z.number().check(z.int(), z.nonnegative()),
        reason: CallEndReason,
      }),
    )
    .check(z.maxLength(10)),
});
/**
 * Both parties claimed the call with `call.resume`: it is known (active) again. With
 * `restart: true` (after `call.rejoin`), a party's page was reloaded: its peer connection is
 * new, so both start a new one.
 */
export const CallResumed = evt('call.resumed', {
  call: CallId,
  peer: PeerName,
  restart: z.optional(z.boolean()),
});
/**
 * The other party's page is going away (`leaving`) and its socket dropped: the server holds the
 * call for `graceMs` in case the page comes back (a reload, then `call.resumed {restart}`); if
 * it does not, the call ends with `peer_gone`.
 */
export const CallHeld = evt('call.held', {
  call: CallId,
  peer: PeerName,
  graceMs: boundedInt(0, 86_400_000),
});
export const CallEnded = evt('call.ended', {
  call: CallId,
  peer: PeerName,
  reason: CallEndReason,
  by: z.optional(PeerName),
});
/**
 * The view asked for: online names (the directory's first page, or the watched names online) and,
 * for the directory, how many online names match in all (`total`).
 */
export const PresenceListed = evt('presence.listed', {
  names: z.array(PeerName),
  total: z.optional(boundedInt(0, Number.MAX_SAFE_INTEGER)),
});
/**
 * Changes in the subscriber's view since the last frame, coalesced over the server's presence
 * interval: names that came online, names that went offline (a name appears in one list at most),
 * and for the directory the new `total`.
 */
export const PresenceChanged = evt('presence.changed', {
  online: z.array(PeerName).check(z.maxLength(LIMITS.presenceChangesMax)),
  offline: z.array(PeerName).check(z.maxLength(LIMITS.presenceChangesMax)),
  total: z.optional(boundedInt(0, Number.MAX_SAFE_INTEGER)),
});
export const Pong = evt('pong', { ts: z.optional(z.number()) });
export const IceUpdated = evt('ice.updated', { iceServers: z.array(IceServer) });
export const ServerDraining = evt('server.draining', {
  reconnectMs: z.number().check(z.int(), z.nonnegative()),
});
export const RoomModeChanged = evt('room.mode', { room: RoomName, mode: RoomMode });
export const SfuPublished = evt('sfu.published', {
  room: RoomName,
  description: z.object({ type: z.literal('answer'), sdp: z.string() }),
});
/** One stream of a subscriber offer: the m-line `mid`, whose feed it carries, and its kind. */
export const SfuStream = z.object({
  mid: z.string(),
  feed: PeerName,
  kind: z.enum(['audio', 'video']),
  /** What the publisher said the stream is (absent when it did not say). */
  source: z.optional(SfuSource),
});
export type SfuStream = z.infer<typeof SfuStream>;
export const SfuOfferFrame = evt('sfu.offer', {
  room: RoomName,
  description: z.object({ type: z.literal('offer'), sdp: z.string() }),
  streams: z.array(SfuStream),
});
/** A member publishing in an SFU room. */
export const SfuFeed = z.object({ name: PeerName });
export const SfuFeeds = evt('sfu.feeds', { room: RoomName, feeds: z.array(SfuFeed) });

export const SERVER_SCHEMAS = {
  welcome: Welcome,
  ack: Ack,
  error: ErrorFrame,
  'room.joined': RoomJoined,
  'room.left': RoomLeft,
  'peer.joined': PeerJoined,
  'peer.left': PeerLeft,
  'room.message': RoomMessage,
  'room.data': RoomData,
  signal: Signal,
  'call.ringing': CallRinging,
  'call.incoming': CallIncoming,
  'call.accepted': CallAccepted,
  'call.ended': CallEnded,
  'call.resumed': CallResumed,
  'call.missed': CallMissed,
  'call.held': CallHeld,
  'presence.listed': PresenceListed,
  'presence.changed': PresenceChanged,
  pong: Pong,
  'ice.updated': IceUpdated,
  'server.draining': ServerDraining,
  'room.mode': RoomModeChanged,
  'sfu.published': SfuPublished,
  'sfu.offer': SfuOfferFrame,
  'sfu.feeds': SfuFeeds,
  ...MODERATION_SERVER_SCHEMAS,
  ...RECORDING_SERVER_SCHEMAS,
} as const;

export type ServerMessage = z.infer<(typeof SERVER_SCHEMAS)[keyof typeof SERVER_SCHEMAS]>;
export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
export const SERVER_MESSAGE_TYPES = Object.keys(SERVER_SCHEMAS) as ServerMessageType[];

/** Compile-time exhaustiveness check for `switch (msg.type)`. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
