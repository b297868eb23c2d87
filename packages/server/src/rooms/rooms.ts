/**
 * Room membership: `room.join` / `room.leave`, and leaving every room when a session ends.
 * Members are told with `peer.joined` and `peer.left`. Room passwords follow
 * `admitWithPassword` (auth/room-password.ts): the first joiner may protect the room, later
 * joiners must match; only a salted scrypt hash is stored, in the directory. The directory
 * enforces capacity and the password state atomically; a join that raced with a change of that
 * state is re-checked.
 */
import { type ClientMessageOf, ParleyError, type PeerLeftReason } from '@parley/protocol';
import type { Authorizer } from '../auth/authorizer.ts';
import { admitWithPassword } from '../auth/room-password.ts';
import type { Directory } from '../directory/directory.ts';
import type { RoomRecorder } from '../recording/room-recorder.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import type { SessionRegistry } from '../session/session-registry.ts';
import type { SfuRooms } from '../sfu/sfu-rooms.ts';
import { frame } from '../wire/frames.ts';
import { RoomModeration } from './moderation.ts';
import { requiredE2eeControl } from './room-control.ts';

/** Limits the room service enforces. */
export interface RoomLimits {
  readonly maxRoomsPerSession: number;
  readonly maxPeersPerRoom: number;
}

/** Joins and leaves rooms on behalf of sessions. */
export class Rooms {
  readonly #directory: Directory;
  readonly #relay: Relay;
  readonly #limits: RoomLimits;
  readonly #authorizer: Authorizer | undefined;
  /** Large rooms: decides each room's mode (mesh or SFU) and cleans up SFU state on leave. */
  readonly #sfu: SfuRooms | undefined;
  /** Roles, the door (lock, lobby) and host actions (moderation.ts). */
  readonly moderation: RoomModeration;
  /** Recording (issue 23): newcomers to a recorded room are told. */
  readonly #recorder: Pick<RoomRecorder, 'stateFor'> | undefined;

  constructor(
    directory: Directory,
    relay: Relay,
    limits: RoomLimits,
    authorizer?: Authorizer,
    sfu?: SfuRooms,
    registry?: SessionRegistry,
    recorder?: Pick<RoomRecorder, 'stateFor'>,
  ) {
    this.#recorder = recorder;
    this.#directory = directory;
    this.#relay = relay;
    this.#limits = limits;
    this.#authorizer = authorizer;
    this.#sfu = sfu?.enabled ? sfu : undefined;
    this.moderation = new RoomModeration(
      directory,
      relay,
      registry,
      (s, room) => this.#leave(s, room, 'left'),
      this.#sfu,
    );
  }

  /** Handles `room.join`: replies `room.joined` with the other members; tells them `peer.joined`. */
  async join(session: Session, msg: ClientMessageOf<'room.join'>): Promise<void> {
    const { room } = msg;
    if (this.#authorizer?.roomJoin) await this.#authorizer.roomJoin(session.authContext, room);
    if (!session.rooms.has(room) && session.rooms.size >= this.#limits.maxRoomsPerSession) {
      throw new ParleyError(
        'TOO_MANY_ROOMS',
        `a session may be in at most ${this.#limits.maxRoomsPerSession} rooms`,
      );
    }
    const grant = this.#authorizer?.roomRole?.(session.authContext, room);
    // E2EE is declared, never verified (the server sees no keys): requiring it guards against a
    // member joining in clear by mistake, not against a modified client.
    const encrypts = msg.e2ee === true;
    if (msg.requireE2ee && !encrypts) {
      throw new ParleyError('FORBIDDEN', 'requireE2ee needs e2ee: true', { reason: 'e2ee_required' });
    }
    // A locked room refuses, a lobby takes the newcomer in to wait for a host (moderation.ts).
    if (
      !session.rooms.has(room) &&
      (await this.moderation.gate(session, room, grant, encrypts)) === 'knock'
    ) {
      session.send(frame({ type: 'room.waiting', re: msg.id, room }));
      session.log.info({ room }, 'knocking');
      return;
    }
    // A join that would create an SFU room past the SFU's limits is refused before it joins.
    if (msg.mode === 'sfu') await this.#sfu?.mayCreate(session, room);
    // The requirement is stored by the very step that creates the room (no window for a plain
    // joiner); a room that already exists ignores it.
    const require = msg.requireE2ee === true;
    const result = await this.#admit(session, room, msg.password, require);
    if (session.state === 'closed') {
      // The session ended while the directory answered: undo, so no ghost member stays.
      await this.#directory.leaveRoom(room, session.name);
      return;
    }
    const created = !result.alreadyMember && result.members.length === 1;
    if (!result.alreadyMember) {
      // The door may have closed while joining: checked again on the state the join writes.
      try {
        await this.moderation.entered(session, room, grant, encrypts);
      } catch (err) {
        await this.#directory.leaveRoom(room, session.name);
        throw err;
      }
    }
    session.rooms.add(room);
    const peers = result.members.filter((n) => n !== session.name);
    // With an SFU, the newcomer learns the mode here; the others hear of a change by `room.mode`.
    // A join that creates the room may ask for an SFU room from the start.
    const mode = await this.#sfu?.joined(room, result.members.length, created, msg.mode, session);
    // Consent: a recorded room says so in the join reply, then with the notice members got.
    const recording = await this.#recorder?.stateFor(room);
    const e2ee = await this.moderation.e2eeRequired(room);
    session.send(
      frame({
        type: 'room.joined',
        re: msg.id,
        room,
        peers,
        mode: mode?.mode,
        ...(recording ? { recording: true } : {}),
        ...(e2ee ? { e2ee: 'required' as const } : {}),
      }),
    );
    if (recording) session.send(recording);
    await this.moderation.introduce(session, room);
    session.log.info({ room }, 'room joined');
    if (!result.alreadyMember) {
      await this.#relay.broadcast(
        room,
        session.name,
        frame({ type: 'peer.joined', room, name: session.name }),
      );
    } else if (session.rejoinable.rooms?.delete(room)) {
      // A reloaded page joins a room its session is still in: its peer connections are new, so
      // the others start theirs over (once per room and resumed connection).
      await this.#relay.broadcast(
        room,
        session.name,
        frame({ type: 'peer.joined', room, name: session.name, restart: true }),
      );
    }
    if (mode?.changed) {
      await this.#relay.broadcast(room, session.name, frame({ type: 'room.mode', room, mode: mode.mode }));
    } else if (mode?.mode === 'sfu') {
      await this.#sfu?.greet(session, room).catch((err: unknown) => {
        session.log.warn({ err, room }, 'sfu feeds not sent to the newcomer');
      });
    }
  }

  /** Password check and directory join, re-checked once if the room changed in between. */
  async #admit(session: Session, room: string, offered: string | undefined, requireE2ee: boolean) {
    for (let attempt = 0; ; attempt++) {
      const alreadyIn = session.rooms.has(room);
      // Password attempts are limited per address before scrypt runs (only once per join).
      if (attempt === 0 && !alreadyIn && offered !== undefined && this.#authorizer?.roomPassword) {
        this.#authorizer.roomPassword({ ip: session.connection?.ip ?? 'unknown', room });
      }
      const state = await this.#directory.roomState(room);
      const outcome = alreadyIn
        ? undefined
        : await admitWithPassword({ occupied: state.occupied, hash: state.passwordHash, offered });
      const passwordHash =
        outcome === undefined || outcome.kind === 'match'
          ? state.passwordHash
          : outcome.kind === 'protect'
            ? outcome.hash
            : undefined;
      const result = await this.#directory.joinRoom(room, session.name, {
        maxPeers: this.#limits.maxPeersPerRoom,
        passwordHash,
        control: requireE2ee ? requiredE2eeControl() : undefined,
      });
      if (result.ok) return result;
      if (result.reason === 'full') throw new ParleyError('ROOM_FULL', `room "${room}" is full`);
      if (attempt >= 2)
        throw new ParleyError('FORBIDDEN', 'the room changed while joining; try again', {
          reason: 'room_changed',
        });
    }
  }

  /** Handles `room.leave`: replies `room.left`; tells the others `peer.left {reason:'left'}`. */
  async leave(session: Session, msg: ClientMessageOf<'room.leave'>): Promise<void> {
    const { room } = msg;
    if (!session.rooms.has(room) && this.moderation.knocking(session, room)) {
      // A knocker gives up waiting.
      await this.moderation.withdraw(session, room);
      session.send(frame({ type: 'room.left', re: msg.id, room }));
      return;
    }
    if (!session.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${room}"`);
    await this.#leave(session, room, 'left');
    session.send(frame({ type: 'room.left', re: msg.id, room }));
    session.log.info({ room }, 'room left');
  }

  /** Leaves every room of an ending session, telling the members why. */
  async leaveAll(session: Session, reason: PeerLeftReason): Promise<void> {
    await Promise.all([...session.rooms].map((room) => this.#leave(session, room, reason)));
    await this.moderation.withdraw(session);
  }

  /**
   * A host took `session` out of `room` (`room.removed`, `room.ended`) from another node, which
   * already removed it from the directory's room: this node forgets the room for the session.
   */
  async dropped(session: Session, room: string): Promise<void> {
    if (!session.rooms.delete(room)) return;
    await this.#sfu?.left(session, room, await this.#sfu.placementOf(room));
  }

  async #leave(session: Session, room: string, reason: PeerLeftReason): Promise<void> {
    session.rooms.delete(room);
    // Read before leaving: the last member's leave makes the directory forget it.
    const placement = await this.#sfu?.placementOf(room);
    await this.#directory.leaveRoom(room, session.name);
    await this.#relay.broadcast(
      room,
      session.name,
      frame({ type: 'peer.left', room, name: session.name, reason }),
    );
    await this.moderation.left(room);
    await this.#sfu?.left(session, room, placement);
  }
}
