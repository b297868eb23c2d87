/**
 * One visit to a room, without the DOM: joining (with the password retry a protected room asks
 * for), the app's mesh cap, then following the room (members, mode, active speaker, rejoin,
 * losing it) and saying each change as state and words the call screen renders.
 *
 * Decisions go by error `code` and `reason` (errors.ts `ERROR_REASONS`), never by message text.
 * The mesh cap comes from the server's `welcome.roomLimits` where the server gives it.
 *
 * Imports the SDK's types and emitter, and the app's large-room helpers; never the DOM, so unit
 * tests drive it with fake clients and rooms.
 */
import {
  type ParleyClient,
  ParleyError,
  type PeerSession,
  type Room,
  type RoomLimits,
  TypedEmitter,
} from '@parley/client';
import type { RoomMode } from '@parley/protocol';
import { describeModeChange, type JoinArgs, joinRoom } from './large-room.ts';
import { describeHostExit, waitAtDoor } from './room-door.ts';

/**
 * Most people the app shows in a room whose media goes peer to peer: each sends one copy of
 * their video to each other person, so the uplink and the CPU grow with every member.
 */
export const MESH_VIDEO_PEOPLE = 6;

/** How many password prompts (and retries) one join may take before giving up. */
const MAX_JOIN_ATTEMPTS = 10;

/** The slice of `ParleyClient` a room session uses. */
export interface RoomClient {
  readonly roomLimits?: Readonly<RoomLimits> | undefined;
  join: ParleyClient['join'];
}

/** Asks the person for the room's password (`wrong`: the last one was refused); null: they gave up. */
export type PasswordPrompt = (room: string, wrong: boolean) => Promise<string | null>;

/** What to do after a failed join attempt, from its error. */
export type JoinRetry = { ask: 'required' | 'wrong' } | { dropPassword: true } | null;

/**
 * A protected room answers FORBIDDEN with reason `password_required` or `password_wrong`: ask and
 * try again. A password given for a room that exists without one (`room_open`): join it as it
 * is. Anything else is final (null).
 */
export function joinRetry(err: unknown, passwordGiven: boolean): JoinRetry {
  const { code, reason } = errorParts(err);
  if (code !== 'FORBIDDEN') return null;
  if (reason === 'password_required') return { ask: 'required' };
  if (reason === 'password_wrong') return { ask: 'wrong' };
  if (reason === 'room_open' && passwordGiven) return { dropPassword: true };
  return null;
}

/** Why joining `room` failed, in words. */
export function describeJoinFailure(err: unknown, room: string): string {
  const { code, reason } = errorParts(err);
  const message = err instanceof Error ? err.message : '';
  switch (code) {
    case 'ROOM_FULL':
      return `“${room}” is full. Ask someone to leave, or meet in another room.`;
    case 'ROOM_LOCKED':
      return `A host locked “${room}”: nobody new may join just now.`;
    case 'LOBBY_FULL':
      return `Too many people are waiting to get into “${room}”. Try again in a while.`;
    case 'FORBIDDEN':
      if (reason === 'removed_from_room')
        return `A host removed you from “${room}”; you cannot join it again now.`;
      if (reason === 'knock_refused') return `A host did not let you into “${room}”. Try again later.`;
      if (reason === 'e2ee_required')
        return 'This room requires end-to-end encryption: open the encrypted link.';
      return reason === 'room_not_in_token'
        ? `Your invitation does not include the room “${room}”.`
        : `You may not join “${room}”: ${message}`;
    case 'TOO_MANY_ROOMS':
      return 'You are already in too many rooms. Leave one first.';
    default:
      return 'Could not join the room. Check your connection and try again.';
  }
}

/**
 * The most people a mesh room may have in this app. A server with an SFU moves a room to it
 * once it has more than `sfuThreshold` members, so a room its operator keeps mesh for longer may
 * hold that many; no room exceeds the server's own `maxMembers` (the server refuses with
 * ROOM_FULL first). Without figures (an older server) the app's own {@link MESH_VIDEO_PEOPLE}.
 */
export function meshCap(limits: Readonly<RoomLimits> | undefined): number {
  if (!limits) return MESH_VIDEO_PEOPLE;
  const mesh = Math.max(MESH_VIDEO_PEOPLE, limits.sfuThreshold ?? 0);
  return Math.min(mesh, limits.maxMembers);
}

/**
 * Why the app does not enter a mesh room of `people` (with us), or null when it may. A room in
 * `sfu` mode has no cap here (the server has its own).
 */
export function meshRefusal(
  room: string,
  mode: RoomMode,
  people: number,
  limits: Readonly<RoomLimits> | undefined,
): string | null {
  const cap = meshCap(limits);
  if (mode !== 'mesh' || people <= cap) return null;
  if (limits?.sfuThreshold !== undefined)
    return `“${room}” already has ${cap} people and the server could not move it to its SFU just now. Try again later, or meet in another room.`;
  if (limits)
    return `“${room}” already has ${cap} people, the most a room holds with video going peer to peer; this server has no SFU for larger rooms. Try another room.`;
  return `“${room}” already has ${cap} people, the most a room holds with video going peer to peer. Try another room.`;
}

/** Words for a member leaving. */
export function describePeerLeft(name: string, reason: string): string {
  return reason === 'left' ? `${name} left` : `${name}’s connection was lost`;
}

/** The outcome of {@link RoomSession.join}: the room, or why not (null: the person gave up). */
export type JoinResult = { ok: true; room: Room } | { ok: false; message: string | null };

/** Events of {@link RoomSession}, after {@link RoomSession.follow}. */
export type RoomSessionEvents = {
  /** Something to tell the person during the join (e.g. the password was not needed). */
  notice: [text: string];
  /** The room's media path; `notice` says a change in words (null: nothing to say). */
  mode: [mode: RoomMode, notice: string | null];
  /** The member speaking loudest now (undefined: nobody). */
  speaker: [name: string | undefined];
  /** A member is here: on follow for those already in, then as they join (`joined`). */
  'peer-joined': [peer: PeerSession, joined: boolean];
  /** A member left; `text` says how. */
  'peer-left': [name: string, text: string];
  /** Whether we are alone in the room (the screen then invites to share the link). */
  alone: [alone: boolean];
  /** The server restarted and the SDK joins again (true) or is back in (false). */
  rejoining: [rejoining: boolean];
  /** We are out of the room without having left it; `text` says so. */
  lost: [text: string];
  /** The room has a lobby: we wait for a host to let us in (after `join` started). */
  knocking: [];
};

/** Options of {@link RoomSession}. */
export interface RoomSessionOptions {
  /** Our media for the room: a stream, or `{ media: false }` to join receive-only. */
  media: JoinArgs;
  /** A password the person already typed for this room. */
  password?: string | null;
  /** Ask the server to create the room as an SFU room from the start. */
  large?: boolean;
  askPassword: PasswordPrompt;
}

/** One room visit: {@link join}, then {@link follow}, then {@link leave} (or {@link close}). */
export class RoomSession extends TypedEmitter<RoomSessionEvents> {
  readonly name: string;
  readonly #client: RoomClient;
  readonly #options: RoomSessionOptions;
  #room: Room | null = null;
  #mode: RoomMode | null = null;
  #closed = false;
  #offs: (() => void)[] = [];

  constructor(client: RoomClient, name: string, options: RoomSessionOptions) {
    super();
    this.#client = client;
    this.name = name;
    this.#options = options;
  }

  /** The joined room (null before the join, or when it failed). */
  get room(): Room | null {
    return this.#room;
  }

  /** True once {@link leave} or {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Joins, asking for a password while the server wants one, and applies the mesh cap. After
   * {@link close} (the person went elsewhere meanwhile) resolves `{ ok: false, message: null }`
   * and leaves any room it got.
   */
  async join(): Promise<JoinResult> {
    const { media, large = false, askPassword } = this.#options;
    let password = this.#options.password ?? null;
    let room: Room | null = null;
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS && !room; attempt++) {
      try {
        room = await joinRoom(
          this.#client,
          this.name,
          { ...media, ...(password ? { password } : {}) },
          large,
        );
      } catch (err) {
        if (this.#closed) return { ok: false, message: null };
        const retry = joinRetry(err, password !== null);
        if (retry && 'ask' in retry) {
          const typed = await askPassword(this.name, retry.ask === 'wrong');
          if (this.#closed || typed === null) return { ok: false, message: null };
          password = typed;
          continue;
        }
        if (retry) {
          this.emit('notice', `“${this.name}” already exists without a password; you join it as it is.`);
          password = null;
          continue;
        }
        return { ok: false, message: describeJoinFailure(err, this.name) };
      }
    }
    if (!room) return { ok: false, message: 'Could not join the room.' };
    if (room.moderation.knocking && !this.#closed) {
      this.emit('knocking');
      const entry = await waitAtDoor(room);
      if (entry !== 'in') return { ok: false, message: this.#closed ? null : entry.refused };
    }
    if (this.#closed) {
      void room.leave();
      return { ok: false, message: null };
    }
    const refusal = meshRefusal(this.name, room.mode, room.peers.size + 1, this.#client.roomLimits);
    if (refusal) {
      void room.leave();
      return { ok: false, message: refusal };
    }
    this.#room = room;
    return { ok: true, room };
  }

  /**
   * Starts following the joined room: emits its mode, active speaker, members already in and
   * whether we are alone, then every change.
   */
  follow(): void {
    const room = this.#room;
    if (!room || this.#closed) return;
    const alone = () => this.emit('alone', room.peers.size === 0);
    /** The host who took us out of the room, if one did (said before the room is left). */
    let by: string | undefined;
    const byHost = (name: string) => {
      by = name;
    };
    this.#offs.push(
      room.moderation.on('removed', byHost),
      room.moderation.on('ended', byHost),
      room.on('peer-joined', (peer) => {
        this.emit('peer-joined', peer, true);
        alone();
      }),
      room.on('peer-left', (name, reason) => {
        this.emit('peer-left', name, describePeerLeft(name, reason));
        alone();
      }),
      room.on('mode', (mode) => this.#showMode(mode, describeModeChange(mode, this.#mode ?? undefined))),
      room.on('active-speaker', (name) => this.emit('speaker', name)),
      room.on('state', (state, reason) => {
        if (state === 'rejoining') this.emit('rejoining', true);
        else if (state === 'joined') this.emit('rejoining', false);
        else if (state === 'left' && !this.#closed)
          this.emit(
            'lost',
            describeHostExit(reason, this.name, by) ??
              `You are no longer in “${this.name}”${reason && reason !== 'left' ? ` (${reason})` : ''}.`,
          );
      }),
    );
    this.#showMode(room.mode, room.mode === 'sfu' ? describeModeChange('sfu', undefined) : null);
    this.emit('speaker', room.activeSpeaker);
    for (const peer of room.peers.values()) this.emit('peer-joined', peer, false);
    alone();
  }

  #showMode(mode: RoomMode, notice: string | null): void {
    this.#mode = mode;
    this.emit('mode', mode, notice);
  }

  /** Leaves the room on purpose (no `lost`), and stops following it. */
  leave(): void {
    if (this.#closed) return;
    this.close();
    void this.#room?.leave();
  }

  /** Stops following (and a join under way gives up); the room itself is left by {@link leave}. */
  close(): void {
    this.#closed = true;
    for (const off of this.#offs) off();
    this.#offs = [];
  }
}

function errorParts(err: unknown): { code: string | null; reason: string | undefined } {
  return err instanceof ParleyError
    ? { code: err.code, reason: err.reason }
    : { code: null, reason: undefined };
}
