/**
 * Every message of Parley's wire protocol v1, defined once as a zod schema; the TypeScript types
 * are inferred from the schemas. Client-to-server messages are strict objects, so a field the
 * protocol does not define (a forged `from`, say) is refused with BAD_MESSAGE. Server-to-client
 * messages are parsed leniently (unknown fields are dropped), so a newer server can add fields
 * without breaking older clients. See docs/PROTOCOL.md.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors.ts';
import { LIMITS, NAME_PATTERN } from './limits.ts';

/** Any JSON value. `data` fields carry app payloads the server relays without looking inside. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const jsonValue = () => z.custom<JsonValue>((v) => v !== undefined, { message: 'required: any JSON value' });

export const PeerName = z
  .string()
  .min(1)
  .max(LIMITS.nameMaxChars)
  .regex(NAME_PATTERN, 'letters, digits, "_", "." and "-" only');
export const RoomName = z
  .string()
  .min(1)
  .max(LIMITS.roomMaxChars)
  .regex(NAME_PATTERN, 'letters, digits, "_", "." and "-" only');
export const ReqId = z.union([
  z.string().min(1).max(LIMITS.idMaxChars),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]);
export const CallId = z.string().min(1).max(LIMITS.idMaxChars);
export const SessionToken = z.string().min(16).max(LIMITS.sessionMaxChars);
export const Reason = z.string().max(LIMITS.reasonMaxChars);

/** The same shape as the browser's RTCIceServer. */
export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
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

const req = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), id: ReqId.optional(), ...shape });

export const Hello = req('hello', {
  versions: z.array(z.string().min(1).max(16)).min(1).max(LIMITS.versionsMax),
  name: PeerName,
  resume: SessionToken.optional(),
  token: z.string().min(1).max(LIMITS.tokenMaxChars).optional(),
});
export const Bye = req('bye', {});
export const RoomJoin = req('room.join', {
  room: RoomName,
  password: z.string().min(1).max(LIMITS.passwordMaxChars).optional(),
});
export const RoomLeave = req('room.leave', { room: RoomName });
export const RoomMessageSend = req('room.message', { room: RoomName, data: jsonValue() });
export const SignalSend = req('signal', { to: PeerName, data: jsonValue() });
export const CallInvite = req('call.invite', { to: PeerName, data: jsonValue().optional() });
export const CallAccept = req('call.accept', { call: CallId });
export const CallDecline = req('call.decline', { call: CallId, busy: z.boolean().optional() });
export const CallCancel = req('call.cancel', { call: CallId });
export const CallHangup = req('call.hangup', { call: CallId });
export const PresenceSubscribe = req('presence.subscribe', {});
export const PresenceUnsubscribe = req('presence.unsubscribe', {});
export const Ping = req('ping', { ts: z.number().optional() });

/** Schemas of client messages by `type`: the codec looks a frame's schema up here. */
export const CLIENT_SCHEMAS = {
  hello: Hello,
  bye: Bye,
  'room.join': RoomJoin,
  'room.leave': RoomLeave,
  'room.message': RoomMessageSend,
  signal: SignalSend,
  'call.invite': CallInvite,
  'call.accept': CallAccept,
  'call.decline': CallDecline,
  'call.cancel': CallCancel,
  'call.hangup': CallHangup,
  'presence.subscribe': PresenceSubscribe,
  'presence.unsubscribe': PresenceUnsubscribe,
  ping: Ping,
} as const;

export const ClientMessage = z.discriminatedUnion(
  'type',
  Object.values(CLIENT_SCHEMAS) as never,
) as z.ZodType<z.infer<(typeof CLIENT_SCHEMAS)[keyof typeof CLIENT_SCHEMAS]>>;
export type ClientMessage = z.infer<(typeof CLIENT_SCHEMAS)[keyof typeof CLIENT_SCHEMAS]>;
export type ClientMessageType = ClientMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT_SCHEMAS) as ClientMessageType[];

// ---------------------------------------------------------------------------------------------
// Server → client. Replies carry `re` (the request's `id`) when the request had one.

const evt = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), re: ReqId.optional(), ...shape });

export const Welcome = evt('welcome', {
  version: z.string(),
  name: PeerName,
  session: SessionToken,
  iceServers: z.array(IceServer),
  heartbeatMs: z.number().int().positive(),
  graceMs: z.number().int().nonnegative(),
  resumed: z.boolean(),
  rooms: z.array(RoomName),
});
export const Ack = evt('ack', {});
export const ErrorFrame = evt('error', {
  code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  fatal: z.boolean().optional(),
});
export const RoomJoined = evt('room.joined', { room: RoomName, peers: z.array(PeerName) });
export const RoomLeft = evt('room.left', { room: RoomName });
export const PeerJoined = evt('peer.joined', { room: RoomName, name: PeerName });
export const PeerLeft = evt('peer.left', { room: RoomName, name: PeerName, reason: PeerLeftReason });
export const RoomMessage = evt('room.message', { room: RoomName, from: PeerName, data: jsonValue() });
export const Signal = evt('signal', { from: PeerName, data: jsonValue() });
export const CallRinging = evt('call.ringing', { call: CallId, to: PeerName });
export const CallIncoming = evt('call.incoming', {
  call: CallId,
  from: PeerName,
  data: jsonValue().optional(),
});
export const CallAccepted = evt('call.accepted', { call: CallId, peer: PeerName });
export const CallEnded = evt('call.ended', {
  call: CallId,
  peer: PeerName,
  reason: CallEndReason,
  by: PeerName.optional(),
});
export const PresenceListed = evt('presence.listed', { names: z.array(PeerName) });
export const PresenceUpdated = evt('presence.updated', { name: PeerName, online: z.boolean() });
export const Pong = evt('pong', { ts: z.number().optional() });
export const IceUpdated = evt('ice.updated', { iceServers: z.array(IceServer) });
export const ServerDraining = evt('server.draining', { reconnectMs: z.number().int().nonnegative() });

export const SERVER_SCHEMAS = {
  welcome: Welcome,
  ack: Ack,
  error: ErrorFrame,
  'room.joined': RoomJoined,
  'room.left': RoomLeft,
  'peer.joined': PeerJoined,
  'peer.left': PeerLeft,
  'room.message': RoomMessage,
  signal: Signal,
  'call.ringing': CallRinging,
  'call.incoming': CallIncoming,
  'call.accepted': CallAccepted,
  'call.ended': CallEnded,
  'presence.listed': PresenceListed,
  'presence.updated': PresenceUpdated,
  pong: Pong,
  'ice.updated': IceUpdated,
  'server.draining': ServerDraining,
} as const;

export type ServerMessage = z.infer<(typeof SERVER_SCHEMAS)[keyof typeof SERVER_SCHEMAS]>;
export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
export const SERVER_MESSAGE_TYPES = Object.keys(SERVER_SCHEMAS) as ServerMessageType[];

/** Compile-time exhaustiveness check for `switch (msg.type)`. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
