/**
 * Room membership: `room.join` / `room.leave`, and leaving every room when a session ends.
 * Members are told with `peer.joined` and `peer.left`; the directory enforces capacity and the
 * room password atomically.
 */
import { type ClientMessageOf, ParleyError, type PeerLeftReason } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Relay } from '../relay/relay.ts';
import type { Authorizer } from '../session/authorizer.ts';
import type { Session } from '../session/session.ts';

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

  constructor(directory: Directory, relay: Relay, limits: RoomLimits, authorizer?: Authorizer) {
    this.#directory = directory;
    this.#relay = relay;
    this.#limits = limits;
    this.#authorizer = authorizer;
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
    const result = await this.#directory.joinRoom(room, session.name, {
      maxPeers: this.#limits.maxPeersPerRoom,
      password: msg.password,
    });
    if (!result.ok) {
      if (result.reason === 'full') throw new ParleyError('ROOM_FULL', `room "${room}" is full`);
      throw new ParleyError('FORBIDDEN', `wrong password for room "${room}"`);
    }
    if (session.state === 'closed') {
      // The session ended while the directory answered: undo, so no ghost member stays.
      await this.#directory.leaveRoom(room, session.name);
      return;
    }
    session.rooms.add(room);
    const peers = result.members.filter((n) => n !== session.name);
    const reply: Record<string, unknown> = { type: 'room.joined', room, peers };
    if (msg.id !== undefined) reply.re = msg.id;
    session.send('room.joined', JSON.stringify(reply));
    session.log.info({ room }, 'room joined');
    if (!result.alreadyMember) {
      await this.#relay.broadcast(
        room,
        session.name,
        'peer.joined',
        JSON.stringify({ type: 'peer.joined', room, name: session.name }),
      );
    }
  }

  /** Handles `room.leave`: replies `room.left`; tells the others `peer.left {reason:'left'}`. */
  async leave(session: Session, msg: ClientMessageOf<'room.leave'>): Promise<void> {
    const { room } = msg;
    if (!session.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${room}"`);
    await this.#leave(session, room, 'left');
    const reply: Record<string, unknown> = { type: 'room.left', room };
    if (msg.id !== undefined) reply.re = msg.id;
    session.send('room.left', JSON.stringify(reply));
    session.log.info({ room }, 'room left');
  }

  /** Leaves every room of an ending session, telling the members why. */
  async leaveAll(session: Session, reason: PeerLeftReason): Promise<void> {
    await Promise.all([...session.rooms].map((room) => this.#leave(session, room, reason)));
  }

  async #leave(session: Session, room: string, reason: PeerLeftReason): Promise<void> {
    session.rooms.delete(room);
    await this.#directory.leaveRoom(room, session.name);
    await this.#relay.broadcast(
      room,
      session.name,
      'peer.left',
      JSON.stringify({ type: 'peer.left', room, name: session.name, reason }),
    );
  }
}
