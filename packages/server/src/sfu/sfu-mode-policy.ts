/**
 * When a room is `mesh` and when `sfu`, decided against the directory's placement (shared by every
 * node): a room created with `mode: 'sfu'` is SFU from the start and stays so; a mesh room moves
 * to the SFU once it has more than `sfuThreshold` members, and goes back after
 * `sfuShrinkDelayS` below the threshold (hysteresis, see `shrinkLater`). Placements are made
 * set-if-absent and removed by compare-and-set, so of several nodes reacting to the same join
 * exactly one moves the room and tells its members.
 *
 * It also enforces the creation limits (`sfuRoomsPerSession`, `sfuRoomsPerIp`, `sfuMaxRooms`),
 * remembering the rooms this node created as SFU for a joiner.
 *
 * It never talks to Janus: what it needs of the instances (which are up, ending a room's Janus
 * state) comes through `ModeInstances` (janus-rooms.ts in the server, a fake in unit tests).
 * Imports the protocol, the directory's and relay's types, frames, ip-limiter's `ipKey` and
 * placement.ts.
 */
import { ParleyError, type RoomMode } from '@parley/protocol';
import { ipKey } from '../auth/ip-limiter.ts';
import type { Directory, SfuPlacement } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Relay } from '../relay/relay.ts';
import { frame } from '../wire/frames.ts';
import { leastLoaded, loadsOf, newEpoch } from './placement.ts';
import type { SfuConfig } from './sfu-config.ts';
import type { RoomRefusal, SfuMetrics } from './sfu-metrics.ts';

/** The result of `joined`. */
export interface JoinedMode {
  mode: RoomMode;
  /** The room just became `sfu`: the other members must be told (`room.mode`). */
  changed: boolean;
}

/** What the policy reads of a joining session (a `Session` is one). */
export interface Joiner {
  readonly rooms: ReadonlySet<string>;
  readonly log: Logger;
  readonly connection: { readonly ip: string } | null;
}

/** What the policy needs of the Janus instances. */
export interface ModeInstances {
  /** URLs of the instances this node is connected to, in configuration order. */
  upUrls(): string[];
  /** The first configured instance (where a room waits, marked down, while none is up). */
  firstUrl(): string;
  /** Ends this node's Janus state for `room`, and destroys its Janus room on `janus` if given. */
  retire(room: string, janus: string | undefined): Promise<void>;
}

/** What `SfuModePolicy` works with. */
export interface SfuModePolicyDeps {
  readonly config: Pick<
    SfuConfig,
    'sfuThreshold' | 'sfuShrinkDelayS' | 'sfuMaxRooms' | 'sfuRoomsPerSession' | 'sfuRoomsPerIp'
  >;
  readonly directory: Pick<Directory, 'sfuPlacement' | 'sfuPlace' | 'sfuRemove' | 'sfuRooms' | 'members'>;
  readonly relay: Pick<Relay, 'broadcast'>;
  readonly instances: ModeInstances;
  readonly metrics: SfuMetrics;
  readonly log: Logger;
}

/** A room this node created as `sfu` for a joiner: counted against its session and address. */
interface Creation {
  readonly joiner: Joiner;
  readonly ip: string;
  readonly epoch: string;
}

/** The mesh↔sfu mode of rooms, as this node acts on it. */
export class SfuModePolicy {
  readonly #config: SfuModePolicyDeps['config'];
  readonly #directory: SfuModePolicyDeps['directory'];
  readonly #relay: Pick<Relay, 'broadcast'>;
  readonly #instances: ModeInstances;
  readonly #metrics: SfuMetrics;
  readonly #log: Logger;
  /** Rooms this node will try to shrink back to mesh, by room. */
  readonly #shrinkTimers = new Map<string, NodeJS.Timeout>();
  /** Rooms this node created as `sfu` on a joiner's request, by room (see `mayCreate`). */
  readonly #created = new Map<string, Creation>();
  #closed = false;

  constructor(deps: SfuModePolicyDeps) {
    this.#config = deps.config;
    this.#directory = deps.directory;
    this.#relay = deps.relay;
    this.#instances = deps.instances;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
  }

  /**
   * A member was admitted to `room`, which now has `members` members: decides the room's mode.
   * `created`: this join created the room, and `requested` is the mode the joiner asked for,
   * honoured only then. A room already in `sfu` stays so; a mesh room moves past the threshold.
   * When the directory cannot answer the answer is `mesh` (the join itself already succeeded).
   */
  async joined(
    room: string,
    members: number,
    created: boolean,
    requested?: RoomMode,
    joiner?: Joiner,
  ): Promise<JoinedMode> {
    try {
      return await this.#decide(room, members, created, requested, joiner);
    } catch (err) {
      // The directory could not answer (Redis unreachable): the join itself already succeeded.
      this.#log.warn({ err, room }, 'room mode unknown; answered mesh');
      return { mode: 'mesh', changed: false };
    }
  }

  async #decide(
    room: string,
    members: number,
    created: boolean,
    requested: RoomMode | undefined,
    joiner: Joiner | undefined,
  ): Promise<JoinedMode> {
    const fromStart = created && requested === 'sfu';
    // Back at the threshold: this node's pending shrink is off (the shrink re-checks anyway).
    if (members >= this.#config.sfuThreshold) this.cancelShrink(room);
    if (await this.#directory.sfuPlacement(room)) return { mode: 'sfu', changed: false };
    if (!fromStart && members <= this.#config.sfuThreshold) return { mode: 'mesh', changed: false };
    // Past a limit the room stays mesh (`mayCreate` refused most such joins already; this catches
    // joins that raced with it, and rooms growing while the SFU is full).
    const refusal = fromStart && joiner ? await this.#creationRefusal(joiner) : await this.#atCapacity();
    if (refusal) {
      this.#metrics.roomRefused(refusal);
      this.#log.warn(
        { room, limit: refusal, fromStart },
        'sfu room not created: limit reached; room stays mesh',
      );
      return { mode: 'mesh', changed: false };
    }
    const placed = await this.#place(room, fromStart);
    if (!placed) return { mode: 'mesh', changed: false };
    if (placed.created && fromStart && joiner) {
      this.#created.set(room, { joiner, ip: ipOf(joiner), epoch: placed.placement.epoch });
    }
    if (placed.created) {
      this.#log.info(
        { room, members, janus: placed.placement.janus, fromStart },
        fromStart ? 'room created as sfu' : 'room moved to sfu',
      );
    }
    return { mode: 'sfu', changed: placed.created };
  }

  /**
   * Called before `joiner` joins `room` asking for `mode: 'sfu'`: when that join would create an
   * SFU room past a limit, refuses it, so nothing is joined. `TOO_MANY_ROOMS` when the session
   * (`sfuRoomsPerSession`) or its address (`sfuRoomsPerIp`) created as many SFU rooms as it may
   * and they are still open; `SFU_UNAVAILABLE` when the directory holds `sfuMaxRooms` SFU rooms.
   * Joining an existing room never creates one, so it is never refused here.
   */
  async mayCreate(joiner: Joiner, room: string): Promise<void> {
    if (joiner.rooms.has(room)) return;
    let refusal: RoomRefusal | undefined;
    try {
      if (await this.#directory.sfuPlacement(room)) return;
      if ((await this.#directory.members(room)).length > 0) return;
      refusal = await this.#creationRefusal(joiner);
    } catch {
      // The directory could not answer: the join goes on, and `joined` answers `mesh` (as it does
      // whenever the mode cannot be decided).
      return;
    }
    if (!refusal) return;
    this.#metrics.roomRefused(refusal);
    joiner.log.info({ room, limit: refusal }, 'sfu room refused: limit reached');
    if (refusal === 'node') {
      throw new ParleyError('SFU_UNAVAILABLE', 'the SFU holds as many rooms as it may; try later');
    }
    const n = refusal === 'session' ? this.#config.sfuRoomsPerSession : this.#config.sfuRoomsPerIp;
    throw new ParleyError(
      'TOO_MANY_ROOMS',
      `${refusal === 'session' ? 'a session' : 'an address'} may have created at most ${n} open SFU rooms`,
    );
  }

  /** Which creation limit `joiner` is at, if any (its own, its address's, the node's). */
  async #creationRefusal(joiner: Joiner): Promise<RoomRefusal | undefined> {
    const ip = ipOf(joiner);
    const mine = [...this.#created].filter(([, c]) => c.joiner === joiner || c.ip === ip);
    await Promise.all(mine.map(([room, c]) => this.#recheckCreation(room, c)));
    let bySession = 0;
    let byIp = 0;
    for (const c of this.#created.values()) {
      if (c.joiner === joiner) bySession++;
      if (c.ip === ip) byIp++;
    }
    if (bySession >= this.#config.sfuRoomsPerSession) return 'session';
    if (byIp >= this.#config.sfuRoomsPerIp) return 'address';
    return this.#atCapacity();
  }

  /** `node` when the directory holds `sfuMaxRooms` SFU rooms already. */
  async #atCapacity(): Promise<'node' | undefined> {
    return (await this.#directory.sfuRooms()).length >= this.#config.sfuMaxRooms ? 'node' : undefined;
  }

  /**
   * Forgets a creation whose room emptied (maybe on another node) or was placed again by someone
   * else; kept when the directory cannot answer.
   */
  async #recheckCreation(room: string, c: Creation): Promise<void> {
    const p = await this.#directory.sfuPlacement(room).catch(() => null);
    if (p !== null && p?.epoch !== c.epoch && this.#created.get(room) === c) this.#created.delete(room);
  }

  /** Rechecks every creation this node remembers (the periodic local check). */
  async sweepCreations(): Promise<void> {
    for (const [room, c] of [...this.#created]) await this.#recheckCreation(room, c);
  }

  /** The room is gone: its creation no longer counts against anyone. */
  forgetCreation(room: string): void {
    this.#created.delete(room);
  }

  /**
   * Records an SFU placement for `room` unless it has one, on the least loaded instance that is up
   * (marked down on the first configured one when none is: it is placed for real once one is).
   */
  async #place(room: string, fromStart: boolean) {
    const loads = loadsOf(await this.#directory.sfuRooms());
    const url = leastLoaded(this.#instances.upUrls(), loads);
    return this.#directory.sfuPlace(room, {
      janus: url ?? this.#instances.firstUrl(),
      fromStart,
      epoch: newEpoch(),
      down: url === undefined,
    });
  }

  /**
   * Hysteresis on the way back to mesh: a room that grew into SFU (past `sfuThreshold` members)
   * shrinks only once it has fewer members than the threshold, and only after
   * `sfuShrinkDelayS`, so a room hovering at the boundary does not flap between modes (each move
   * costs every member a renegotiation). The count is checked again, cluster-wide and atomically
   * with the removal, when the delay is over.
   */
  shrinkLater(room: string, members: number, placement: SfuPlacement | undefined): void {
    const delayS = this.#config.sfuShrinkDelayS;
    if (!placement || placement.fromStart || delayS <= 0 || this.#closed) return;
    if (members >= this.#config.sfuThreshold || this.#shrinkTimers.has(room)) return;
    const timer = setTimeout(() => {
      this.#shrinkTimers.delete(room);
      void this.#shrink(room).catch((err: unknown) => this.#log.warn({ err, room }, 'sfu room not shrunk'));
    }, delayS * 1000);
    timer.unref();
    this.#shrinkTimers.set(room, timer);
  }

  /** Calls off this node's pending shrink of `room`, if any. */
  cancelShrink(room: string): void {
    const timer = this.#shrinkTimers.get(room);
    if (!timer) return;
    clearTimeout(timer);
    this.#shrinkTimers.delete(room);
  }

  /** Moves `room` back to mesh if it still has fewer members than the threshold. */
  async #shrink(room: string): Promise<void> {
    const p = await this.#directory.sfuPlacement(room);
    if (!p || p.fromStart) return;
    if (!(await this.#directory.sfuRemove(room, p.epoch, this.#config.sfuThreshold - 1))) return;
    this.#log.info({ room, janus: p.janus }, 'room back to mesh');
    await this.#relay
      .broadcast(room, '', frame({ type: 'room.mode', room, mode: 'mesh' }))
      .catch((err: unknown) => this.#log.warn({ err, room }, 'room.mode mesh not broadcast'));
    // Janus tells the handles still in it (members on other nodes) that the room is gone.
    await this.#instances.retire(room, p.down ? undefined : p.janus);
  }

  /** Stops shrinking and forgets the creations (the node is closing). */
  close(): void {
    this.#closed = true;
    for (const t of this.#shrinkTimers.values()) clearTimeout(t);
    this.#shrinkTimers.clear();
    this.#created.clear();
  }
}

/** The key a joiner's address counts under (IPv6: its /64). */
function ipOf(joiner: Joiner): string {
  return ipKey(joiner.connection?.ip ?? 'unknown');
}
