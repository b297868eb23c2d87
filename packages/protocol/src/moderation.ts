/**
 * Roles and moderation in rooms (docs/PROTOCOL.md, "Roles and moderation"): who is host, member
 * or viewer; what a host may do (lock, lobby, admit, refuse, remove, mute, ask to unmute, stop a
 * screen share, hand over, end the room); what anyone may say about themselves (raise a hand,
 * muted, sharing). Every host action is its own request with its own reply (`host.<action>` →
 * `host.<action>.done`); a non-host gets `NOT_HOST`. Everyone in the room learns the outcome from
 * `participant.updated` and `room.updated`, so every client shows the same state.
 *
 * Imports only the schema library, the shared fields and the limits (messages.ts spreads these
 * tables into its own).
 */
import * as z from 'zod/mini';
import { boundedInt, PeerName, ReqId, RoomName } from './fields.ts';

/**
 * A participant's role: `host` (may moderate), `member` (talks and shows), `viewer` (receives
 * only; may not publish in an SFU room, and the SDK publishes nothing in a mesh room).
 */
export const ROLES = ['host', 'member', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

const req = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), id: z.optional(ReqId), ...shape });
const evt = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), re: z.optional(ReqId), ...shape });

// ---------------------------------------------------------------------------------------------
// Client → server: host actions. Each names a room the sender is in; those with `name` target one
// participant of it (or, for admit and refuse, a knocker waiting in its lobby).

const target = { room: RoomName, name: PeerName };
export const HostRole = req('host.role', { ...target, role: Role });
export const HostLock = req('host.lock', { room: RoomName, locked: z.boolean() });
export const HostLobby = req('host.lobby', { room: RoomName, enabled: z.boolean() });
export const HostAdmit = req('host.admit', target);
export const HostRefuse = req('host.refuse', target);
export const HostRemove = req('host.remove', target);
export const HostMute = req('host.mute', target);
export const HostMuteAll = req('host.mute_all', { room: RoomName });
export const HostAskUnmute = req('host.ask_unmute', target);
export const HostStopShare = req('host.stop_share', target);
export const HostEnd = req('host.end', { room: RoomName });

/**
 * Anyone: what the sender says about itself. `hand` raises (true) or lowers (false) its hand;
 * `muted` is its microphone's state (unmuting lifts a host's mute); `sharing` its screen share.
 * Answered by `participant.updated` (with `re`), which everyone else gets too.
 */
export const ParticipantState = req('participant.state', {
  room: RoomName,
  hand: z.optional(z.boolean()),
  muted: z.optional(z.boolean()),
  sharing: z.optional(z.boolean()),
});

export const MODERATION_CLIENT_SCHEMAS = {
  'host.role': HostRole,
  'host.lock': HostLock,
  'host.lobby': HostLobby,
  'host.admit': HostAdmit,
  'host.refuse': HostRefuse,
  'host.remove': HostRemove,
  'host.mute': HostMute,
  'host.mute_all': HostMuteAll,
  'host.ask_unmute': HostAskUnmute,
  'host.stop_share': HostStopShare,
  'host.end': HostEnd,
  'participant.state': ParticipantState,
} as const;

/** The host actions, by request type. */
export type HostAction = Exclude<keyof typeof MODERATION_CLIENT_SCHEMAS, 'participant.state'>;

// ---------------------------------------------------------------------------------------------
// Server → client.

/** One participant as every member sees it. */
export const Participant = z.object({
  name: PeerName,
  role: Role,
  /** Its microphone is off (by itself, or by a host: then `mutedBy` names the host). */
  muted: z.boolean(),
  mutedBy: z.optional(PeerName),
  /** Its hand is up: the room's raise counter when it went up (lower = earlier). */
  hand: z.optional(boundedInt(1, Number.MAX_SAFE_INTEGER)),
  /** It shares its screen. */
  sharing: z.optional(z.boolean()),
});
export type Participant = z.infer<typeof Participant>;

/** A room's door: `locked` (nobody new gets in) and `lobby` (newcomers knock and wait). */
const door = { locked: z.boolean(), lobby: z.boolean() };

// Replies to the host actions (to the host that sent it, with `re`): `host.<action>.done` with the
// room and what was done. Built in one loop (the SDK bundle carries every schema).
const DONE_SHAPES = {
  role: { name: PeerName, role: Role },
  lock: { locked: z.boolean() },
  lobby: { enabled: z.boolean() },
  admit: { name: PeerName },
  refuse: { name: PeerName },
  remove: { name: PeerName },
  mute: { name: PeerName },
  /** `muted`: how many participants this muted (those already muted are not counted). */
  mute_all: { muted: boundedInt(0, Number.MAX_SAFE_INTEGER) },
  ask_unmute: { name: PeerName },
  stop_share: { name: PeerName },
  end: {},
};
type DoneShapes = typeof DONE_SHAPES;
type DoneSchemas = {
  [K in keyof DoneShapes as `host.${K}.done`]: ReturnType<
    typeof evt<`host.${K}.done`, DoneShapes[K] & { room: typeof RoomName }>
  >;
};
const DONE_SCHEMAS = Object.fromEntries(
  Object.entries(DONE_SHAPES).map(([k, shape]) => [
    `host.${k}.done`,
    evt(`host.${k}.done`, { room: RoomName, ...shape }),
  ]),
) as DoneSchemas;

/** Everyone: the whole picture, right after `room.joined` (and after `room.admitted`'s join). */
export const RoomParticipants = evt('room.participants', {
  room: RoomName,
  ...door,
  participants: z.array(Participant),
});
/** Everyone: one participant changed (role, mute, hand, share); `by` is who changed it. */
export const ParticipantUpdated = evt('participant.updated', {
  room: RoomName,
  participant: Participant,
  by: z.optional(PeerName),
});
/** Everyone: the door changed. */
export const RoomUpdated = evt('room.updated', { room: RoomName, ...door, by: z.optional(PeerName) });
/** Hosts only: who is knocking, earliest first (sent on every change, and to a new host). */
export const LobbyUpdated = evt('lobby.updated', { room: RoomName, waiting: z.array(PeerName) });
/** The knocker: its `room.join` put it in the lobby; it waits for a host. */
export const RoomWaiting = evt('room.waiting', { room: RoomName });
/** The knocker: a host let it in; join again (`room.join`) to enter. */
export const RoomAdmitted = evt('room.admitted', { room: RoomName, by: PeerName });
/** The knocker: a host turned it away. */
export const RoomRefused = evt('room.refused', { room: RoomName, by: PeerName });
/** The removed participant: it is out of the room and may not join again while the room lasts. */
export const RoomRemoved = evt('room.removed', { room: RoomName, by: PeerName });
/** Everyone: a host ended the room; every member is out of it. */
export const RoomEnded = evt('room.ended', { room: RoomName, by: PeerName });
/** The target: a host asks it to turn its microphone on (it decides). */
export const UnmuteRequested = evt('unmute.requested', { room: RoomName, by: PeerName });
/** The target: a host stopped its screen share (its client stops sending it). */
export const ShareStopped = evt('share.stopped', { room: RoomName, by: PeerName });

export const MODERATION_SERVER_SCHEMAS = {
  ...DONE_SCHEMAS,
  'room.participants': RoomParticipants,
  'participant.updated': ParticipantUpdated,
  'room.updated': RoomUpdated,
  'lobby.updated': LobbyUpdated,
  'room.waiting': RoomWaiting,
  'room.admitted': RoomAdmitted,
  'room.refused': RoomRefused,
  'room.removed': RoomRemoved,
  'room.ended': RoomEnded,
  'unmute.requested': UnmuteRequested,
  'share.stopped': ShareStopped,
} as const;
