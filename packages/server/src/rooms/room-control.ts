/**
 * A room's moderation state, as one value the directory stores next to the room's members (so
 * every node sees the same: docs/PROTOCOL.md, "Roles and moderation"), and the pure rules over it:
 * who is host after members come and go, who may enter, and what changed between two states (the
 * events everyone is told). No I/O here; rooms/moderation.ts reads, changes and writes it.
 *
 * Succession: a room always has a host while it has a participant who may be one. When the last
 * host leaves, the participant present longest (earliest join) becomes host, skipping those whose
 * role an access token fixed (`pinned`).
 *
 * May import: the protocol only.
 */
import { LIMITS, ParleyError, type Participant, type Role } from '@parley/protocol';

/** One participant's stored state. */
export interface Person {
  role: Role;
  /** The role came from the access token: succession never changes it. */
  pinned?: boolean;
  /** Join order in this room (the room's counter when it joined). */
  since: number;
  muted?: boolean;
  mutedBy?: string;
  /** The room's counter when the hand went up. */
  hand?: number;
  sharing?: boolean;
}

/** The stored state of one room. */
export interface ControlState {
  /** A counter for join order and hands. */
  seq: number;
  people: Record<string, Person>;
  locked: boolean;
  lobby: boolean;
  /** Knockers, earliest first (at most `LIMITS.lobbyMax`). */
  waiting: string[];
  /** Knockers a host admitted who have not joined yet. */
  admitted: string[];
  /** Names removed by a host, oldest first (at most `LIMITS.removedMax`). */
  removed: string[];
  /** Refused knockers and until when (epoch ms) they may not knock again. */
  refused: Record<string, number>;
  /** The creator required end-to-end encryption: joins must declare it (`room.join` `e2ee`). */
  e2ee?: boolean;
  /** The room is being recorded (recording/room-recorder.ts writes it): every node tells newcomers. */
  recording?: { id: string; by: string };
}

export function emptyControl(): ControlState {
  return {
    seq: 0,
    people: {},
    locked: false,
    lobby: false,
    waiting: [],
    admitted: [],
    removed: [],
    refused: {},
  };
}

/** The stored text of a new room whose creator requires end-to-end encryption. */
export function requiredE2eeControl(): string {
  return JSON.stringify({ ...emptyControl(), e2ee: true });
}

/** Parses the stored text (written by `JSON.stringify` of a state); a broken value reads as empty. */
export function parseControl(text: string | undefined): ControlState {
  if (text === undefined) return emptyControl();
  try {
    const v = JSON.parse(text) as Partial<ControlState>;
    const base = emptyControl();
    return {
      seq: typeof v.seq === 'number' ? v.seq : 0,
      people: v.people && typeof v.people === 'object' ? v.people : base.people,
      locked: v.locked === true,
      lobby: v.lobby === true,
      waiting: Array.isArray(v.waiting) ? v.waiting : [],
      admitted: Array.isArray(v.admitted) ? v.admitted : [],
      removed: Array.isArray(v.removed) ? v.removed : [],
      refused: v.refused && typeof v.refused === 'object' ? v.refused : {},
      ...(v.e2ee === true ? { e2ee: true } : {}),
      ...(typeof v.recording?.id === 'string' && typeof v.recording.by === 'string'
        ? { recording: { id: v.recording.id, by: v.recording.by } }
        : {}),
    };
  } catch {
    return emptyControl();
  }
}

/** A deep copy (states are small: one entry per participant). */
export function cloneControl(s: ControlState): ControlState {
  return structuredClone(s);
}

const has = (o: object, k: string) => Object.hasOwn(o, k);

/**
 * Brings `s` in line with the room's real members (the directory's; a node that died took its
 * sessions with it): drops people who are gone, adds members it did not know, and applies the
 * succession rule. `joining` is the role given to a member seen for the first time.
 */
export function reconcile(
  s: ControlState,
  members: readonly string[],
  joining?: { name: string; grant: Role | undefined },
): void {
  const present = new Set(members);
  for (const name of Object.keys(s.people)) if (!present.has(name)) delete s.people[name];
  for (const name of members) {
    // A removed name may linger in the directory until its eviction lands: it is not let back.
    if (has(s.people, name) || s.removed.includes(name)) continue;
    const grant = joining?.name === name ? joining.grant : undefined;
    s.people[name] = grant
      ? { role: grant, pinned: true, since: ++s.seq }
      : { role: hasHost(s) ? 'member' : 'host', since: ++s.seq };
  }
  if (!hasHost(s)) {
    const next = Object.entries(s.people)
      .filter(([, p]) => !p.pinned)
      .sort((a, b) => a[1].since - b[1].since)[0];
    if (next) next[1].role = 'host';
  }
  // Knockers who got in are no longer waiting; a member is not admitted twice.
  s.waiting = s.waiting.filter((n) => !present.has(n));
  s.admitted = s.admitted.filter((n) => !present.has(n));
  const now = Date.now();
  for (const [n, until] of Object.entries(s.refused)) if (until <= now) delete s.refused[n];
}

export function hasHost(s: ControlState): boolean {
  return Object.values(s.people).some((p) => p.role === 'host');
}

export function isHost(s: ControlState, name: string): boolean {
  return has(s.people, name) && s.people[name]!.role === 'host';
}

/** The hosts of the room. */
export function hostsOf(s: ControlState): string[] {
  return Object.entries(s.people)
    .filter(([, p]) => p.role === 'host')
    .map(([n]) => n);
}

/** Refuses a join that does not declare end-to-end encryption into a room that requires it. */
export function checkEncrypts(s: ControlState, encrypts: boolean): void {
  if (s.e2ee && !encrypts) {
    throw new ParleyError('FORBIDDEN', 'this room requires end-to-end encryption: join with e2ee', {
      reason: 'e2ee_required',
    });
  }
}

/**
 * Whether `name` may enter now: `enter`, `knock` (the lobby is on and no host let it in), or a
 * refusal thrown as a ParleyError. A token-granted host always enters, but like everyone must
 * declare end-to-end encryption (`encrypts`) in a room that requires it.
 */
export function admission(
  s: ControlState,
  name: string,
  grant: Role | undefined,
  encrypts = false,
): 'enter' | 'knock' {
  if (has(s.people, name)) return 'enter';
  checkEncrypts(s, encrypts);
  if (grant === 'host') return 'enter';
  if (s.removed.includes(name)) {
    throw new ParleyError('FORBIDDEN', 'a host removed you from this room', { reason: 'removed_from_room' });
  }
  if (s.locked) throw new ParleyError('ROOM_LOCKED', 'the room is locked');
  if (!s.lobby || s.admitted.includes(name)) return 'enter';
  const until = s.refused[name];
  if (until !== undefined && until > Date.now()) {
    throw new ParleyError('FORBIDDEN', 'a host refused your knock a moment ago', { reason: 'knock_refused' });
  }
  return 'knock';
}

/** Puts `name` in the lobby (once; LOBBY_FULL past the bound). */
export function knock(s: ControlState, name: string): void {
  if (s.waiting.includes(name)) return;
  if (s.waiting.length >= LIMITS.lobbyMax) throw new ParleyError('LOBBY_FULL', 'the lobby is full');
  s.waiting.push(name);
}

/** Remembers `name` as removed, forgetting the oldest past the bound. */
export function rememberRemoved(s: ControlState, name: string): void {
  if (!s.removed.includes(name)) s.removed.push(name);
  if (s.removed.length > LIMITS.removedMax) s.removed.splice(0, s.removed.length - LIMITS.removedMax);
}

/** How a participant is shown on the wire. */
export function participantOf(name: string, p: Person): Participant {
  return {
    name,
    role: p.role,
    muted: p.muted === true,
    ...(p.mutedBy !== undefined ? { mutedBy: p.mutedBy } : {}),
    ...(p.hand !== undefined ? { hand: p.hand } : {}),
    ...(p.sharing ? { sharing: true } : {}),
  };
}

/** Every participant, in join order. */
export function participantsOf(s: ControlState): Participant[] {
  return Object.entries(s.people)
    .sort((a, b) => a[1].since - b[1].since)
    .map(([n, p]) => participantOf(n, p));
}

/** What changed from `before` to `after`, as the events go out. */
export interface ControlChanges {
  /** Participants present in both whose shown state differs. */
  updated: Participant[];
  door: boolean;
  /** The lobby list changed (every host is told). */
  lobby: boolean;
  /** Hosts in `after` that were not hosts in `before`. */
  newHosts: string[];
}

export function changesBetween(before: ControlState, after: ControlState): ControlChanges {
  const updated: Participant[] = [];
  for (const [name, p] of Object.entries(after.people)) {
    const old = before.people[name];
    if (!old) continue;
    const next = participantOf(name, p);
    if (JSON.stringify(participantOf(name, old)) !== JSON.stringify(next)) updated.push(next);
  }
  const oldHosts = new Set(hostsOf(before));
  const newHosts = hostsOf(after).filter((n) => !oldHosts.has(n));
  return {
    updated,
    door: before.locked !== after.locked || before.lobby !== after.lobby,
    lobby: before.waiting.join('\n') !== after.waiting.join('\n'),
    newHosts,
  };
}
