/**
 * The directory: who is online, which room holds whom, and where each name's session lives.
 * Every method is async and nothing assumes a single process, so a shared backend (Redis) can
 * make many server nodes act as one: names are claimed atomically across nodes, rooms are shared,
 * and `deliver` routes a frame to the node holding the recipient's session (the local fast path
 * for sessions on this node is taken by the relay before the directory is asked).
 */
import type { CallEndReason } from '@parley/protocol';

/** One missed call as the wire carries it (`call.missed`). */
export interface MissedCallEntry {
  call: string;
  from: string;
  /** When the call ended (epoch ms). */
  at: number;
  reason: CallEndReason;
}

/** What a server node registers to receive frames routed to it and presence changes. */
export interface NodeHandlers {
  /**
   * Delivers an encoded server frame to the local session named `name`. Returns false when the
   * node has no such session (any more).
   */
  deliver(name: string, frame: string): boolean;
  /** A name came online (claimed) or went offline (released), on any node. */
  presence(name: string, online: boolean): void;
}

/**
 * Result of `joinRoom`. `members` includes the joiner. `stale`: the room's password state is not
 * the one the joiner checked (someone created or emptied the room meanwhile) — check again.
 */
export type RoomJoinResult =
  | { ok: true; members: string[]; alreadyMember: boolean }
  | { ok: false; reason: 'full' | 'stale' };

/** Options for `joinRoom`. */
export interface RoomJoinOptions {
  /** Members the room may hold, joiner included. */
  maxPeers: number;
  /**
   * The room's password hash as the joiner checked it: the stored hash it verified its password
   * against, the hash it made to protect a room it creates, or undefined for an open room. The
   * directory stores it when it creates the room and otherwise requires it to equal the stored
   * one (plain string equality — only hashes are stored, never passwords), answering `stale`
   * when they differ. The hash is forgotten when the room empties.
   */
  passwordHash?: string | undefined;
  /**
   * The room's moderation state (`roomControl`'s text) to store when, and only when, this join
   * creates the room, in the same step: a join that lands just after the creation already sees it
   * (a creator's E2EE requirement leaves no window for a plain joiner).
   */
  control?: string | undefined;
}

/** A room's state as needed to decide a join (`admitWithPassword`). */
export interface RoomState {
  /** The room has members (sessions in resume grace included). */
  occupied: boolean;
  /** The stored password hash, if the room is protected. */
  passwordHash: string | undefined;
}

/**
 * Where a room's SFU session lives (sfu/sfu-rooms.ts). Stored in the directory so that every
 * node agrees on a room's mode and on its Janus instance: a room with a placement is in `sfu`
 * mode, one without is `mesh`. Forgotten when the room empties (also when a dead node's members
 * are reaped), like the password hash.
 */
export interface SfuPlacement {
  /** The Janus instance holding the room: its URL as configured (`PARLEY_JANUS_URL`). */
  janus: string;
  /** The room was created as SFU (`room.join` with `mode: 'sfu'`): it never shrinks to mesh. */
  fromStart: boolean;
  /**
   * Changes whenever the placement does (moved, recreated, marked down): compare-and-set uses it
   * so that of several nodes reacting to the same event exactly one acts.
   */
  epoch: string;
  /** Its instance went away and no other could take the room yet. */
  down: boolean;
}

/** One SFU room as `sfuRooms` lists it. */
export interface SfuRoomEntry {
  room: string;
  placement: SfuPlacement;
  /** Members of the room (cluster-wide), the load it puts on its Janus. */
  members: number;
}

/**
 * Shared state of names, rooms and routing. Implementations: `MemoryDirectory` (memory.ts, one
 * process) and `RedisDirectory` (redis.ts, several nodes sharing one Redis; it also implements
 * `SessionHandoff`, cluster/session-handoff.ts).
 */
export interface Directory {
  /** Registers a node so that frames for its sessions and presence changes reach it. */
  attachNode(nodeId: string, handlers: NodeHandlers): Promise<void>;
  /** Unregisters a node; frames for its names are no longer delivered. */
  detachNode(nodeId: string): Promise<void>;
  /** Claims `name` for a session on `nodeId`. Atomic: of concurrent claims exactly one wins. */
  claimName(name: string, nodeId: string): Promise<boolean>;
  /** Releases `name` if `nodeId` holds it; returns whether it did. */
  releaseName(name: string, nodeId: string): Promise<boolean>;
  /** The node holding `name`, or null when nobody does. */
  locate(name: string): Promise<string | null>;
  /** Every claimed name, sorted. */
  onlineNames(): Promise<string[]>;
  /** The room's occupancy and password hash. */
  roomState(room: string): Promise<RoomState>;
  /** Adds `name` to `room` within capacity and password rules (idempotent for members). */
  joinRoom(room: string, name: string, options: RoomJoinOptions): Promise<RoomJoinResult>;
  /** Removes `name` from `room`; returns whether it was a member. Empty rooms disappear. */
  leaveRoom(room: string, name: string): Promise<boolean>;
  /** The members of `room`, sorted (empty when the room does not exist). */
  members(room: string): Promise<string[]>;
  /** The rooms `name` is in, sorted. */
  roomsOf(name: string): Promise<string[]>;
  /** How many non-empty rooms exist. */
  roomCount(): Promise<number>;
  /** The room's SFU placement; undefined for a mesh room (or no room). */
  sfuPlacement(room: string): Promise<SfuPlacement | undefined>;
  /**
   * Sets the room's placement unless it has one (set-if-absent: of concurrent calls exactly one
   * creates it). Answers the stored placement and whether this call created it; undefined when the
   * room has no members (nothing is stored then).
   */
  sfuPlace(
    room: string,
    placement: SfuPlacement,
  ): Promise<{ placement: SfuPlacement; created: boolean } | undefined>;
  /** Replaces the placement if its epoch is still `epoch` (compare-and-set); true when replaced. */
  sfuReplace(room: string, epoch: string, next: SfuPlacement): Promise<boolean>;
  /**
   * Removes the placement (the room goes back to mesh) if its epoch is still `epoch`, it was not
   * created as SFU, and the room has at most `maxMembers` members, all checked in one atomic step;
   * true when removed.
   */
  sfuRemove(room: string, epoch: string, maxMembers: number): Promise<boolean>;
  /** Every room with a placement, with its member count, sorted by room. */
  sfuRooms(): Promise<SfuRoomEntry[]>;
  /**
   * The room's moderation state (rooms/room-control.ts) as stored text, with a version that
   * changes on every write; undefined text (version 0) when none is stored. Forgotten when the
   * room empties, like the password hash.
   */
  roomControl(room: string): Promise<{ text: string | undefined; version: number }>;
  /**
   * Stores the room's moderation state if its version is still `version` and the room has
   * members (compare-and-set, atomic across nodes); true when stored.
   */
  roomControlSet(room: string, version: number, text: string): Promise<boolean>;
  /**
   * Records a call that rang for `callee` and ended unanswered, keeping its newest 10 for 1 h
   * (MISSED_CALL_LIMITS, missed-calls.ts). Cluster-wide: the name may next log in on any node.
   */
  recordMissed(callee: string, entry: MissedCallEntry): Promise<void>;
  /**
   * Removes and returns `name`'s missed calls, oldest first, in one atomic step: of two nodes
   * taking at once, one gets them and the other none.
   */
  takeMissed(name: string): Promise<MissedCallEntry[]>;
  /** Routes an encoded frame to the session named `name` wherever it lives; false when nowhere. */
  deliver(name: string, frame: string): Promise<boolean>;
  /** Whether the backend answers (used by `/healthz`). */
  healthy(): Promise<boolean>;
  /** Releases the backend's resources (connections, timers). */
  close(): Promise<void>;
}
