/**
 * Fail-over: when a Janus connection drops, the SFU rooms placed on that instance move to the
 * least loaded instance that is up (their members get `room.mode sfu` and publish afresh); with
 * none up they are marked down and their members get `error SFU_UNAVAILABLE`, and when an
 * instance is back they are recreated there and their members get `room.mode sfu`. Only a node
 * that saw an instance go (it was connected, now it is not) moves rooms off it, so a node still
 * starting up moves nothing. Each move is a compare-and-set on the placement's epoch, so of the
 * nodes reacting to the same outage only one moves a room and tells its members.
 *
 * Imports the directory's and relay's types, frames, placement.ts and janus-rooms.ts.
 */
import type { Directory, SfuPlacement } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Relay } from '../relay/relay.ts';
import { frame } from '../wire/frames.ts';
import type { JanusLink } from './janus-link.ts';
import type { JanusRooms } from './janus-rooms.ts';
import { leastLoaded, loadsOf, newEpoch } from './placement.ts';

/** What `SfuFailover` works with. */
export interface SfuFailoverDeps {
  readonly directory: Pick<Directory, 'sfuRooms' | 'sfuReplace'>;
  readonly rooms: JanusRooms;
  readonly relay: Pick<Relay, 'broadcast'>;
  readonly log: Logger;
}

/** Moves SFU rooms off Janus instances this node lost, and back once one is up. */
export class SfuFailover {
  readonly #directory: SfuFailoverDeps['directory'];
  readonly #rooms: JanusRooms;
  readonly #relay: Pick<Relay, 'broadcast'>;
  readonly #log: Logger;
  /** Rehoming runs one at a time on a node (link events can come in bursts). */
  #rehoming: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: SfuFailoverDeps) {
    this.#directory = deps.directory;
    this.#rooms = deps.rooms;
    this.#relay = deps.relay;
    this.#log = deps.log;
  }

  /** A Janus connection dropped: this node's sessions on it are gone; its rooms move or wait. */
  linkDown(link: JanusLink): void {
    this.#rooms.lost(link);
    this.rehome();
  }

  /** Queues a pass over the SFU rooms whose instance is not usable (see `#rehomeNow`). */
  rehome(): void {
    this.#rehoming = this.#rehoming
      .then(() => (this.#stopped ? undefined : this.#rehomeNow()))
      .catch((err: unknown) => this.#log.warn({ err }, 'sfu rooms not rehomed'));
  }

  /** Queued passes do nothing from now on (the node is closing). */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once the pass running now, if any, is over. */
  async idle(): Promise<void> {
    await this.#rehoming.catch(() => {});
  }

  /**
   * Every SFU room (cluster-wide) whose instance this node lost, or that is marked down,
   * moves to the least loaded instance that is up, and its members get `room.mode sfu` so they
   * publish there; with no instance up it is marked down and its members get `SFU_UNAVAILABLE`.
   */
  async #rehomeNow(): Promise<void> {
    const entries = await this.#directory.sfuRooms();
    const loads = loadsOf(entries);
    for (const e of entries) {
      const p = e.placement;
      const current = this.#rooms.linkFor(p.janus);
      // Only an instance this node saw go away counts as gone: one it has not reached yet (this
      // node is starting) or does not know (another node's configuration) is left alone.
      const lost = current !== undefined && current.epoch > 0 && !current.up;
      if (!p.down && !lost) continue;
      const url = leastLoaded(this.#rooms.upUrls(), loads);
      if (url !== undefined) {
        if (await this.#moveTo(e.room, p, url)) loads.set(url, (loads.get(url) ?? 0) + e.members);
      } else if (!p.down) {
        await this.#markDown(e.room, p);
      }
    }
  }

  /**
   * Places `room` (placed at `p`) on the instance at `url`, recreates it there and tells its
   * members; false when another node changed the placement first.
   */
  async #moveTo(room: string, p: SfuPlacement, url: string): Promise<boolean> {
    const next: SfuPlacement = { janus: url, fromStart: p.fromStart, epoch: newEpoch(), down: false };
    if (!(await this.#directory.sfuReplace(room, p.epoch, next))) return false;
    this.#log.info({ room, from: p.janus, janus: url }, 'sfu room placed again');
    const known = this.#rooms.get(room) !== undefined;
    const r = this.#rooms.follow(room, next);
    try {
      await this.#rooms.ensure(r);
    } catch (err) {
      this.#log.warn({ err, room }, 'sfu room not recreated');
      return true;
    } finally {
      // Only rooms with members on this node keep state here.
      if (!known) this.#rooms.discardIfIdle(r);
    }
    await this.#relay
      .broadcast(room, '', frame({ type: 'room.mode', room, mode: 'sfu' }))
      .catch((err: unknown) => this.#log.warn({ err, room }, 'room.mode sfu not broadcast'));
    return true;
  }

  /** Marks `room` (placed at `p`) down and tells its members; nothing if another node acted first. */
  async #markDown(room: string, p: SfuPlacement): Promise<void> {
    const next: SfuPlacement = { ...p, epoch: newEpoch(), down: true };
    if (!(await this.#directory.sfuReplace(room, p.epoch, next))) return;
    this.#log.warn({ room, janus: p.janus }, 'sfu room down');
    const down = frame({
      type: 'error',
      code: 'SFU_UNAVAILABLE',
      message: 'the SFU of this room went away; media resumes when it is back',
    });
    await this.#relay
      .broadcast(room, '', down)
      .catch((err: unknown) => this.#log.warn({ err, room }, 'sfu room down not broadcast'));
  }
}
