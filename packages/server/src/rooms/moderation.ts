/**
 * Roles and host actions in rooms (docs/PROTOCOL.md, "Roles and moderation"). The room's state
 * (room-control.ts) lives in the directory beside its members, so on several nodes every node
 * sees the same hosts, lock, lobby and hands: each change is read, applied and written back with
 * compare-and-set (retried when another node wrote in between), and then everyone in the room is
 * told what changed (`participant.updated`, `room.updated`, `lobby.updated` to hosts).
 *
 * Every host action checks, on the state it writes, that the sender is a host of the room it is
 * in (NOT_HOST otherwise) and that its target is there: a forged or stale name changes nothing.
 * A removed participant is taken out of the room wherever its session lives (this node: at once;
 * another node: that node drops the room when `room.removed` reaches the session) and is
 * refused on every later join while the room lasts, also after a resume.
 *
 * May import: the protocol, the directory, the relay, the session layer, room-control.
 */
import {
  type ClientMessageOf,
  type HostAction,
  LIMITS,
  ParleyError,
  type Participant,
  type Role,
} from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import type { SessionRegistry } from '../session/session-registry.ts';
import { type Frame, frame } from '../wire/frames.ts';
import {
  admission,
  type ControlState,
  changesBetween,
  checkEncrypts,
  cloneControl,
  hostsOf,
  isHost,
  knock,
  parseControl,
  participantOf,
  participantsOf,
  reconcile,
  rememberRemoved,
} from './room-control.ts';

/** How the room service takes a local session out of a room (its `#leave`). */
export type LeaveLocal = (session: Session, room: string) => Promise<void>;

/** What a host action hands back besides the state: frames for single targets, a count. */
interface Out {
  notify: { to: string; frame: Frame }[];
  muted: number;
  /** Whom this action muted, with what they had before (to set it back if the SFU fails). */
  silenced: { name: string; muted: boolean | undefined; mutedBy: string | undefined }[];
}

/** How a host's mute reaches the media in SFU rooms (sfu/sfu-rooms.ts `muteAudio`). */
export interface MediaMute {
  muteAudio(room: string, names: readonly string[], mute: boolean): Promise<void>;
}

/** Compare-and-set attempts before giving up on a busy room. */
const MAX_ATTEMPTS = 8;

/** Moderation of rooms on behalf of sessions; one per node. */
export class RoomModeration {
  readonly #directory: Directory;
  readonly #relay: Relay;
  readonly #registry: SessionRegistry | undefined;
  readonly #leaveLocal: LeaveLocal;
  readonly #media: MediaMute | undefined;
  /** Rooms each local session knocks on, to take it out of their lobbies when it goes. */
  readonly #knocks = new Map<string, Set<string>>();

  constructor(
    directory: Directory,
    relay: Relay,
    registry: SessionRegistry | undefined,
    leave: LeaveLocal,
    media?: MediaMute,
  ) {
    this.#media = media;
    this.#directory = directory;
    this.#relay = relay;
    this.#registry = registry;
    this.#leaveLocal = leave;
  }

  /**
   * Reads the room's state, reconciles it with the members, applies `change` and writes it back,
   * retrying when another writer came first; then tells the room what changed. Null when the room
   * has no members (nothing is stored then). `change` may throw a refusal: nothing is written.
   */
  async #update<R>(
    room: string,
    by: string | undefined,
    change: (s: ControlState, before: ControlState) => R,
    joining?: { name: string; grant: Role | undefined },
  ): Promise<{ result: R; state: ControlState } | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [{ text, version }, members] = await Promise.all([
        this.#directory.roomControl(room),
        this.#directory.members(room),
      ]);
      if (members.length === 0) return null;
      const before = parseControl(text);
      const s = cloneControl(before);
      reconcile(s, members, joining);
      const result = change(s, before);
      const next = JSON.stringify(s);
      if (next === text) return { result, state: s };
      if (await this.#directory.roomControlSet(room, version, next)) {
        await this.#announce(room, before, s, by);
        return { result, state: s };
      }
    }
    throw new ParleyError('FORBIDDEN', 'the room changed too often meanwhile; try again', {
      reason: 'room_changed',
    });
  }

  /** Tells the room what changed between two states. */
  async #announce(room: string, before: ControlState, after: ControlState, by: string | undefined) {
    const c = changesBetween(before, after);
    const sends: Promise<unknown>[] = [];
    for (const participant of c.updated) {
      sends.push(this.#relay.broadcast(room, '', updated(room, participant, by)));
    }
    if (c.door) {
      const f = frame({ type: 'room.updated', room, locked: after.locked, lobby: after.lobby, by });
      sends.push(this.#relay.broadcast(room, '', f));
    }
    // Every host when the lobby changed; a new host when someone is waiting.
    const lobbyTo = c.lobby ? hostsOf(after) : after.waiting.length > 0 ? c.newHosts : [];
    if (lobbyTo.length > 0) {
      const f = frame({ type: 'lobby.updated', room, waiting: after.waiting });
      for (const host of lobbyTo) sends.push(Promise.resolve(this.#relay.deliver(host, f)));
    }
    await Promise.all(sends);
  }

  /**
   * Before a join: `enter`, or `knock` (the lobby took the session in and told the hosts; reply
   * `room.waiting`), or a refusal thrown (removed, locked, lobby full, refused a moment ago).
   */
  async gate(
    session: Session,
    room: string,
    grant: Role | undefined,
    encrypts = false,
  ): Promise<'enter' | 'knock'> {
    const knocks = this.#knocks.get(session.name);
    const r = await this.#update(room, undefined, (s) => {
      const verdict = admission(s, session.name, grant, encrypts);
      if (verdict === 'knock') {
        if (!knocks?.has(room) && (knocks?.size ?? 0) >= LIMITS.lobbyMax) {
          throw new ParleyError('LOBBY_FULL', 'this session knocks on too many rooms');
        }
        knock(s, session.name);
      }
      return verdict;
    });
    if (r?.result !== 'knock') return 'enter';
    if (knocks) knocks.add(room);
    else this.#knocks.set(session.name, new Set([room]));
    return 'knock';
  }

  /**
   * After the directory join: checks the door again (it may have closed meanwhile; the caller
   * undoes the join on a refusal) and records the newcomer with its role. `encrypts`: the join
   * declared end-to-end encryption (a room whose creator required it refuses others).
   */
  async entered(session: Session, room: string, grant: Role | undefined, encrypts = false): Promise<void> {
    this.#knocks.get(session.name)?.delete(room);
    const name = session.name;
    await this.#update(
      room,
      undefined,
      (_s, before) => {
        // Another member's update may already have listed the newcomer (reconcile adds every
        // directory member): the requirement is checked on every first entry all the same.
        checkEncrypts(before, encrypts);
        if (!Object.hasOwn(before.people, name)) admission(before, name, grant, encrypts);
      },
      { name, grant },
    );
  }

  /** Whether the room's creator required end-to-end encryption (read from the directory). */
  async e2eeRequired(room: string): Promise<boolean> {
    return parseControl((await this.#directory.roomControl(room)).text).e2ee === true;
  }

  /**
   * After `room.joined`: sends the member the room's picture (and the lobby to a host), and tells
   * the others its role.
   */
  async introduce(session: Session, room: string): Promise<void> {
    const name = session.name;
    const r = await this.#update(room, undefined, () => undefined);
    if (!r) return;
    const s = r.state;
    const participants = participantsOf(s);
    session.send(frame({ type: 'room.participants', room, locked: s.locked, lobby: s.lobby, participants }));
    const me = s.people[name];
    if (me) await this.#relay.broadcast(room, name, updated(room, participantOf(name, me), undefined));
    if (me?.role === 'host' && s.waiting.length > 0) {
      session.send(frame({ type: 'lobby.updated', room, waiting: s.waiting }));
    }
  }

  /** After someone left: the state forgets them, and a host follows if the last one went. */
  async left(room: string): Promise<void> {
    await this.#update(room, undefined, () => undefined);
  }

  /** Whether `session` waits in `room`'s lobby (a `room.leave` then withdraws the knock). */
  knocking(session: Session, room: string): boolean {
    return this.#knocks.get(session.name)?.has(room) === true;
  }

  /** Withdraws the session's knock on `room` (or on every room), telling the hosts. */
  async withdraw(session: Session, room?: string): Promise<void> {
    const knocks = this.#knocks.get(session.name);
    if (!knocks) return;
    const rooms = room === undefined ? [...knocks] : [room];
    for (const r of rooms) knocks.delete(r);
    if (knocks.size === 0) this.#knocks.delete(session.name);
    await Promise.all(
      rooms.map((r) =>
        this.#update(r, undefined, (s) => {
          s.waiting = s.waiting.filter((n) => n !== session.name);
          s.admitted = s.admitted.filter((n) => n !== session.name);
        }),
      ),
    );
  }

  /** Whether `session` holds the host role in `room` (recording's `PARLEY_RECORDING=hosts`). */
  async isHostOf(session: { readonly name: string }, room: string): Promise<boolean> {
    const { text } = await this.#directory.roomControl(room);
    return parseControl(text).people[session.name]?.role === 'host';
  }

  /** Whether `session` may publish media in `room` (viewers may not). */
  async mayPublish(session: Session, room: string): Promise<void> {
    const { text } = await this.#directory.roomControl(room);
    if (parseControl(text).people[session.name]?.role === 'viewer') {
      throw new ParleyError('FORBIDDEN', 'a viewer may not publish', { reason: 'viewer' });
    }
  }

  /** `participant.state`: the sender's hand, microphone and screen share. */
  async state(session: Session, msg: ClientMessageOf<'participant.state'>): Promise<void> {
    const { room } = msg;
    inRoom(session, room);
    const name = session.name;
    if (msg.muted === false && this.#media) {
      // A member turning the mic back on lifts a host's mute (the same rule as in mesh rooms):
      // the SFU forwards its audio again. Done first, so a failure leaves the mute in place.
      const { text } = await this.#directory.roomControl(room);
      if (parseControl(text).people[name]?.mutedBy !== undefined)
        await this.#media.muteAudio(room, [name], false);
    }
    const r = await this.#update(room, name, (s) => {
      const p = s.people[name];
      if (!p) throw notInRoom(room);
      if (msg.sharing === true && p.role === 'viewer') {
        throw new ParleyError('FORBIDDEN', 'a viewer may not share a screen', { reason: 'viewer' });
      }
      if (msg.hand === true && p.hand === undefined) p.hand = ++s.seq;
      if (msg.hand === false) delete p.hand;
      if (msg.muted !== undefined) {
        p.muted = msg.muted;
        delete p.mutedBy;
      }
      if (msg.sharing !== undefined) p.sharing = msg.sharing;
      return participantOf(name, p);
    });
    if (!r) throw notInRoom(room);
    session.send(frame({ type: 'participant.updated', re: msg.id, room, participant: r.result }));
  }

  /** Every `host.*` request. */
  async host(session: Session, msg: ClientMessageOf<HostAction>): Promise<void> {
    const { room } = msg;
    inRoom(session, room);
    const by = session.name;
    /** Frames for single targets, sent once the change is stored; how many `mute_all` muted. */
    const out: Out = { notify: [], muted: 0, silenced: [] };
    const r = await this.#update(room, by, (s) => {
      if (!isHost(s, by)) throw new ParleyError('NOT_HOST', 'only a host of the room may do this');
      // The change may run again when another writer came first: start its outputs afresh.
      Object.assign(out, { notify: [], muted: 0, silenced: [] });
      return this.#apply(s, by, msg, out);
    });
    if (!r) throw notInRoom(room);
    if (out.silenced.length > 0) await this.#silence(room, by, out.silenced);
    for (const n of out.notify) await this.#relay.deliver(n.to, n.frame);
    const evicted = r.result;
    for (const name of evicted.names) await this.#evict(name, room, evicted.frame(name));
    session.send(reply(msg, r.state, out.muted));
  }

  /**
   * After a stored `host.mute`/`host.mute_all`: in an SFU room, Janus stops forwarding their
   * audio. If it cannot, the mute is set back (for those whose mute is still this host's) and
   * the host gets the SFU's error: the room's state and the media never disagree.
   */
  async #silence(room: string, by: string, silenced: Out['silenced']): Promise<void> {
    if (!this.#media) return;
    try {
      await this.#media.muteAudio(
        room,
        silenced.map((x) => x.name),
        true,
      );
    } catch (err) {
      await this.#update(room, by, (s) => {
        for (const x of silenced) {
          const p = s.people[x.name];
          if (!p || p.mutedBy !== by) continue;
          if (x.muted === undefined) delete p.muted;
          else p.muted = x.muted;
          if (x.mutedBy === undefined) delete p.mutedBy;
          else p.mutedBy = x.mutedBy;
        }
      }).catch(() => {});
      throw err;
    }
  }

  /** Applies one host action to the state; answers whom it takes out of the room. */
  #apply(
    s: ControlState,
    by: string,
    msg: ClientMessageOf<HostAction>,
    out: Out,
  ): { names: string[]; frame: (name: string) => Frame } {
    const notify = out.notify;
    const none = { names: [], frame: () => frame({ type: 'room.removed', room: msg.room, by }) };
    const room = msg.room;
    switch (msg.type) {
      case 'host.lock':
        s.locked = msg.locked;
        return none;
      case 'host.lobby':
        s.lobby = msg.enabled;
        if (!msg.enabled) {
          // Opening the lobby lets everyone waiting in.
          for (const name of s.waiting) {
            s.admitted.push(name);
            notify.push({ to: name, frame: frame({ type: 'room.admitted', room, by }) });
          }
          s.waiting = [];
        }
        return none;
      case 'host.admit':
      case 'host.refuse': {
        if (!s.waiting.includes(msg.name)) throw noKnocker(msg.name);
        s.waiting = s.waiting.filter((n) => n !== msg.name);
        if (msg.type === 'host.admit') {
          if (!s.admitted.includes(msg.name)) s.admitted.push(msg.name);
          notify.push({ to: msg.name, frame: frame({ type: 'room.admitted', room, by }) });
        } else {
          s.refused[msg.name] = Date.now() + LIMITS.knockCooldownS * 1000;
          notify.push({ to: msg.name, frame: frame({ type: 'room.refused', room, by }) });
        }
        return none;
      }
      case 'host.end': {
        const names = Object.keys(s.people);
        for (const name of s.waiting) {
          notify.push({ to: name, frame: frame({ type: 'room.refused', room, by }) });
        }
        s.waiting = [];
        s.admitted = [];
        return { names, frame: () => frame({ type: 'room.ended', room, by }) };
      }
      case 'host.mute_all': {
        for (const [name, p] of Object.entries(s.people)) {
          if (name === by || p.muted) continue;
          out.silenced.push({ name, muted: p.muted, mutedBy: p.mutedBy });
          p.muted = true;
          p.mutedBy = by;
          out.muted++;
        }
        return none;
      }
      default:
        break;
    }
    const p = s.people[msg.name];
    if (!p) throw noParticipant(msg.name);
    switch (msg.type) {
      case 'host.role':
        if (p.role === 'host' && msg.role !== 'host' && hostsOf(s).length === 1) {
          throw new ParleyError('FORBIDDEN', 'a room keeps at least one host: make another host first', {
            reason: 'last_host',
          });
        }
        p.role = msg.role;
        delete p.pinned;
        if (msg.role === 'viewer') delete p.sharing;
        return none;
      case 'host.remove':
        if (msg.name === by) throw new ParleyError('BAD_MESSAGE', 'to leave, send room.leave');
        rememberRemoved(s, msg.name);
        delete s.people[msg.name];
        return { names: [msg.name], frame: () => frame({ type: 'room.removed', room, by }) };
      case 'host.mute':
        out.silenced.push({ name: msg.name, muted: p.muted, mutedBy: p.mutedBy });
        p.muted = true;
        p.mutedBy = by;
        return none;
      case 'host.ask_unmute':
        notify.push({ to: msg.name, frame: frame({ type: 'unmute.requested', room, by }) });
        return none;
      case 'host.stop_share':
        delete p.sharing;
        notify.push({ to: msg.name, frame: frame({ type: 'share.stopped', room, by }) });
        return none;
      default:
        throw new ParleyError('BAD_MESSAGE', 'unknown host action');
    }
  }

  /**
   * Takes `name` out of `room`: its session here leaves at once; elsewhere the directory drops it
   * here, the room hears `peer.left`, and its node drops the room when the frame reaches it.
   */
  async #evict(name: string, room: string, f: Frame): Promise<void> {
    const local = this.#registry?.byName(name);
    if (local) {
      if (local.rooms.has(room)) await this.#leaveLocal(local, room);
      local.send(f);
      return;
    }
    if (await this.#directory.leaveRoom(room, name)) {
      await this.#relay.broadcast(room, name, frame({ type: 'peer.left', room, name, reason: 'left' }));
    }
    await this.#directory.deliver(name, f.text);
  }
}

function updated(room: string, participant: Participant, by: string | undefined): Frame {
  return frame({ type: 'participant.updated', room, participant, ...(by !== undefined ? { by } : {}) });
}

function inRoom(session: Session, room: string): void {
  if (!session.rooms.has(room)) throw notInRoom(room);
}

function notInRoom(room: string): ParleyError {
  return new ParleyError('NOT_IN_ROOM', `not in room "${room}"`);
}

function noParticipant(name: string): ParleyError {
  return new ParleyError('PEER_NOT_FOUND', `no participant named "${name}" in this room`);
}

function noKnocker(name: string): ParleyError {
  return new ParleyError('PEER_NOT_FOUND', `nobody named "${name}" is knocking`);
}

/** The reply to a host action. */
function reply(msg: ClientMessageOf<HostAction>, s: ControlState, muted: number): Frame {
  const base = { re: msg.id, room: msg.room };
  switch (msg.type) {
    case 'host.role':
      return frame({ type: 'host.role.done', ...base, name: msg.name, role: msg.role });
    case 'host.lock':
      return frame({ type: 'host.lock.done', ...base, locked: s.locked });
    case 'host.lobby':
      return frame({ type: 'host.lobby.done', ...base, enabled: s.lobby });
    case 'host.admit':
      return frame({ type: 'host.admit.done', ...base, name: msg.name });
    case 'host.refuse':
      return frame({ type: 'host.refuse.done', ...base, name: msg.name });
    case 'host.remove':
      return frame({ type: 'host.remove.done', ...base, name: msg.name });
    case 'host.mute':
      return frame({ type: 'host.mute.done', ...base, name: msg.name });
    case 'host.mute_all':
      return frame({ type: 'host.mute_all.done', ...base, muted });
    case 'host.ask_unmute':
      return frame({ type: 'host.ask_unmute.done', ...base, name: msg.name });
    case 'host.stop_share':
      return frame({ type: 'host.stop_share.done', ...base, name: msg.name });
    case 'host.end':
      return frame({ type: 'host.end.done', ...base });
  }
}
