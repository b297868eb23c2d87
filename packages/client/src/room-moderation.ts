/**
 * Roles and moderation of one room, as the SDK shows them (`room.moderation`): who is host,
 * member or viewer, who is muted, whose hand is up and in what order, whether the room is locked
 * or has a lobby, who knocks (hosts only), and the host actions, each a request the server
 * answers (`host.<action>.done`) or refuses (`NOT_HOST` for a non-host). The state follows the
 * server's `room.participants`, `participant.updated`, `room.updated` and `lobby.updated`, so
 * every client shows the same.
 *
 * Frames reach it from `client.ts` through {@link moderationFrame}; the room itself is told to
 * join again when a host admits us, and to end when we are removed or the room is ended.
 *
 * Imports: protocol types, the emitter (foundation).
 */
import type { ClientMessage, Participant, Role, ServerMessage, ServerMessageOf } from '@parley/protocol';
import { TypedEmitter } from './events.ts';

/** The frames this module handles. */
export const MODERATION_FRAMES = [
  'room.participants',
  'participant.updated',
  'room.updated',
  'lobby.updated',
  'room.waiting',
  'room.admitted',
  'room.refused',
  'room.removed',
  'room.ended',
  'unmute.requested',
  'share.stopped',
] as const;
export type ModerationFrame = ServerMessageOf<(typeof MODERATION_FRAMES)[number]>;

/** Events of {@link RoomModeration}. */
export type RoomModerationEvents = {
  /** Anything about the participants changed (roles, mutes, hands, shares; joins and leaves). */
  participants: [participants: readonly Participant[]];
  /** One participant changed; `by` names who changed it (a host, or itself). */
  participant: [participant: Participant, by: string | undefined];
  /** The door changed: locked, lobby. */
  door: [door: { locked: boolean; lobby: boolean }, by: string | undefined];
  /** Hosts: who is knocking, earliest first. */
  lobby: [waiting: readonly string[]];
  /** We knocked: we wait in the lobby for a host. */
  waiting: [];
  /** A host let us in (the room joins at once). */
  admitted: [by: string];
  /** A host turned us away (the room is left). */
  refused: [by: string];
  /** A host removed us (the room is left; we may not come back while it lasts). */
  removed: [by: string];
  /** A host ended the room for everyone (the room is left). */
  ended: [by: string];
  /** A host muted us: the SDK turned our microphone off. */
  muted: [by: string];
  /** A host asks us to turn the microphone on (we decide). */
  'unmute-requested': [by: string];
  /** A host stopped our screen share (the SDK stopped sending it). */
  'share-stopped': [by: string];
};

/** What the moderation needs of its room. */
export interface ModerationHost {
  readonly self: string;
  readonly room: string;
  request(msg: ClientMessage): Promise<ServerMessage>;
  /** Join again (admitted from the lobby). */
  rejoin(): void;
  /** The room is over for us: removed, refused, ended. */
  end(reason: 'removed' | 'refused' | 'ended'): void;
  /** Turn our microphone off (a host muted us). */
  muteMicrophone(): void;
  /** Stop our screen share (a host stopped it). */
  stopScreenShare(): void;
  /** Our media now: microphone on, screen shared. */
  mediaState(): { audio: boolean; screen: boolean };
}

/** Roles, hands, the door and host actions of one room. */
export class RoomModeration extends TypedEmitter<RoomModerationEvents> {
  readonly #host: ModerationHost;
  readonly #people = new Map<string, Participant>();
  #locked = false;
  #lobby = false;
  #waiting: string[] = [];
  #knocking = false;
  /** We are in the room (its picture arrived): our state may be told. */
  #in = false;

  constructor(host: ModerationHost) {
    super();
    this.#host = host;
  }

  /** Every participant we know of, in join order (us included). */
  get participants(): Participant[] {
    return [...this.#people.values()];
  }

  /** Our own role (`member` until the server says). */
  get role(): Role {
    return this.#people.get(this.#host.self)?.role ?? 'member';
  }

  get isHost(): boolean {
    return this.role === 'host';
  }

  /** The participant named `name`, if known. */
  participant(name: string): Participant | undefined {
    return this.#people.get(name);
  }

  /** Raised hands, earliest first. */
  get hands(): string[] {
    return [...this.#people.values()]
      .filter((p) => p.hand !== undefined)
      .sort((a, b) => (a.hand ?? 0) - (b.hand ?? 0))
      .map((p) => p.name);
  }

  get locked(): boolean {
    return this.#locked;
  }

  get lobby(): boolean {
    return this.#lobby;
  }

  /** Hosts: who knocks, earliest first. */
  get waiting(): readonly string[] {
    return this.#waiting;
  }

  /** We knocked and wait for a host. */
  get knocking(): boolean {
    return this.#knocking;
  }

  // ---- for everyone ---------------------------------------------------------------------------

  /** Raises (true) or lowers (false) our hand. */
  raiseHand(raised = true): Promise<Participant> {
    return this.#state({ hand: raised });
  }

  /** Tells the room our microphone is off or on (unmuting lifts a host's mute). */
  setMuted(muted: boolean): Promise<Participant> {
    return this.#state({ muted });
  }

  /** Tells the room we share (or stopped sharing) a screen. */
  setSharing(sharing: boolean): Promise<Participant> {
    return this.#state({ sharing });
  }

  async #state(change: { hand?: boolean; muted?: boolean; sharing?: boolean }): Promise<Participant> {
    const reply = await this.#host.request({ type: 'participant.state', room: this.#host.room, ...change });
    if (reply.type !== 'participant.updated') throw new Error(`unexpected reply ${reply.type}`);
    this.#set(reply.participant, this.#host.self);
    return reply.participant;
  }

  // ---- hosts ------------------------------------------------------------------------------------

  /** Makes `name` a host, member or viewer. */
  setRole(name: string, role: Role): Promise<unknown> {
    return this.#act({ type: 'host.role', room: this.#host.room, name, role });
  }
  /** Locks the room (nobody new gets in) or unlocks it. */
  lock(locked = true): Promise<unknown> {
    return this.#act({ type: 'host.lock', room: this.#host.room, locked });
  }
  /** Turns the lobby on (newcomers knock) or off (everyone waiting is let in). */
  setLobby(enabled: boolean): Promise<unknown> {
    return this.#act({ type: 'host.lobby', room: this.#host.room, enabled });
  }
  admit(name: string): Promise<unknown> {
    return this.#act({ type: 'host.admit', room: this.#host.room, name });
  }
  refuse(name: string): Promise<unknown> {
    return this.#act({ type: 'host.refuse', room: this.#host.room, name });
  }
  /** Removes `name`; it may not come back while the room lasts. */
  remove(name: string): Promise<unknown> {
    return this.#act({ type: 'host.remove', room: this.#host.room, name });
  }
  /** Mutes `name` (in an SFU room the server stops its audio; in a mesh its client turns it off). */
  mute(name: string): Promise<unknown> {
    return this.#act({ type: 'host.mute', room: this.#host.room, name });
  }
  /** Mutes everyone but us. */
  muteAll(): Promise<unknown> {
    return this.#act({ type: 'host.mute_all', room: this.#host.room });
  }
  askToUnmute(name: string): Promise<unknown> {
    return this.#act({ type: 'host.ask_unmute', room: this.#host.room, name });
  }
  stopShare(name: string): Promise<unknown> {
    return this.#act({ type: 'host.stop_share', room: this.#host.room, name });
  }
  /** Ends the room for everyone. */
  end(): Promise<unknown> {
    return this.#act({ type: 'host.end', room: this.#host.room });
  }

  #act(msg: ClientMessage): Promise<ServerMessage> {
    return this.#host.request(msg);
  }

  // ---- from the server ------------------------------------------------------------------------

  /** @internal A moderation frame for this room. */
  handle(msg: ModerationFrame): void {
    switch (msg.type) {
      case 'room.participants':
        this.#people.clear();
        for (const p of msg.participants) this.#people.set(p.name, p);
        this.#locked = msg.locked;
        this.#lobby = msg.lobby;
        this.#knocking = false;
        this.#in = true;
        this.emit('door', { locked: msg.locked, lobby: msg.lobby }, undefined);
        this.emit('participants', this.participants);
        this.mediaChanged();
        return;
      case 'participant.updated':
        this.#set(msg.participant, msg.by);
        return;
      case 'room.updated':
        this.#locked = msg.locked;
        this.#lobby = msg.lobby;
        this.emit('door', { locked: msg.locked, lobby: msg.lobby }, msg.by);
        return;
      case 'lobby.updated':
        this.#waiting = [...msg.waiting];
        this.emit('lobby', this.#waiting);
        return;
      case 'room.waiting':
        this.#knocking = true;
        this.emit('waiting');
        return;
      case 'room.admitted':
        this.#knocking = false;
        this.emit('admitted', msg.by);
        this.#host.rejoin();
        return;
      case 'room.refused':
        this.#knocking = false;
        this.emit('refused', msg.by);
        this.#host.end('refused');
        return;
      case 'room.removed':
        this.#in = false;
        this.emit('removed', msg.by);
        this.#host.end('removed');
        return;
      case 'room.ended':
        this.#in = false;
        this.emit('ended', msg.by);
        this.#host.end('ended');
        return;
      case 'unmute.requested':
        this.emit('unmute-requested', msg.by);
        return;
      case 'share.stopped':
        this.#host.stopScreenShare();
        this.emit('share-stopped', msg.by);
        return;
    }
  }

  /**
   * @internal Our media changed: the room hears whether our microphone is off and whether we
   * share a screen (in a mesh, that is how a host's mute shows to everyone).
   */
  mediaChanged(): void {
    const me = this.#people.get(this.#host.self);
    if (!this.#in || !me) return;
    const { audio, screen } = this.#host.mediaState();
    const change: { muted?: boolean; sharing?: boolean } = {};
    if (me.muted === audio) change.muted = !audio;
    if ((me.sharing === true) !== screen && me.role !== 'viewer') change.sharing = screen;
    if (change.muted === undefined && change.sharing === undefined) return;
    this.#state(change).catch(() => {}); // out of the room meanwhile: nothing to tell
  }

  /** @internal A member left (`peer.left`): forget it. */
  forget(name: string): void {
    if (this.#people.delete(name)) this.emit('participants', this.participants);
  }

  #set(p: Participant, by: string | undefined): void {
    const before = this.#people.get(p.name);
    this.#people.set(p.name, p);
    if (p.name === this.#host.self && p.muted && p.mutedBy !== undefined && !before?.mutedBy) {
      this.#host.muteMicrophone();
      this.emit('muted', p.mutedBy);
    }
    this.emit('participant', p, by);
    this.emit('participants', this.participants);
  }
}
