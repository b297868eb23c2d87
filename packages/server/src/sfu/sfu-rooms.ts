/**
 * Large rooms through an SFU (Janus's VideoRoom plugin). A room starts in `mesh` mode (peers
 * connect to each other by `signal`); once more than `PARLEY_SFU_THRESHOLD` members are in it,
 * it moves to `sfu` mode: each member then publishes one upstream to Janus and receives the
 * others' media over one subscriber connection, all negotiated with `sfu.*` frames. A room can
 * also be `sfu` from the start: `room.join` with `mode: 'sfu'` by the member who creates it.
 *
 * The server is the only Janus client. It checks every `sfu.*` request (membership, mode,
 * schema already checked by the codec) and turns it into a fixed set of VideoRoom requests, so a
 * client can never send Janus anything else; Janus's address, API secret, admin key, room
 * secrets and numeric ids stay here. A Parley room maps to a Janus room whose id and secret are
 * derived from the room name (a hash, and an HMAC keyed with the admin key), so nodes sharing
 * the same Janus and key agree on them without talking to each other.
 *
 * The mode lives in the directory, shared by every node (`SfuPlacement`): a room with a
 * placement is `sfu`, and the placement names its Janus instance. It is created set-if-absent
 * and changed by compare-and-set on its epoch, so when several nodes react to the same event
 * (the 5th member joining on two nodes at once, a Janus going down) exactly one acts and tells
 * the members (`room.mode` goes through the relay, which reaches members on every node). A node
 * reads the placement on every `sfu.*` request and rebuilds its own Janus state when it changed.
 * The directory forgets the placement when the room empties.
 *
 * With several Janus instances (`PARLEY_JANUS_URL` a comma list) a room goes to the least loaded
 * instance that is up (placement.ts). When a Janus connection drops, its rooms move to another
 * instance that is up (members get `room.mode sfu` and publish afresh); with none up they are
 * marked down and members get `error SFU_UNAVAILABLE`, and when an instance is back they are
 * recreated there and members get `room.mode sfu`. Only a node that saw an instance go (it was
 * connected, now it is not) moves rooms off it, so a node still starting up moves nothing
 * (sfu-failover.ts).
 *
 * A room that grew into `sfu` goes back to `mesh` after `PARLEY_SFU_SHRINK_DELAY_S` with fewer
 * than `PARLEY_SFU_THRESHOLD` members (see `shrinkLater` in sfu-mode-policy.ts); a room created
 * as `sfu` never does.
 *
 * When a dead node's members are reaped by the directory, the node that reaped them calls
 * `reaped`: rooms they emptied lose their Janus room, grown rooms they left small start shrinking.
 *
 * This file is the SFU's face: the rest of the server imports only `SfuRooms` and its types. It
 * imports the SFU modules beside it and the types of the directory, relay, session and log.
 */
import { type ClientMessageOf, ParleyError, type RoomMode } from '@parley/protocol';
import type { Registry } from 'prom-client';
import type { Directory, SfuPlacement } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import { CandidateGate } from './candidate-gate.ts';
import { guard } from './janus-guard.ts';
import { JanusRooms } from './janus-rooms.ts';
import type { SfuConfig } from './sfu-config.ts';
import { SfuFailover } from './sfu-failover.ts';
import { SfuMedia } from './sfu-media.ts';
import { exportSfuMetrics, NO_SFU_METRICS } from './sfu-metrics.ts';
import { type JoinedMode, SfuModePolicy } from './sfu-mode-policy.ts';
import { type AudioStream, audioMidsOf, moderateAll } from './sfu-moderation.ts';

export type { SfuConfig } from './sfu-config.ts';
export type { JoinedMode } from './sfu-mode-policy.ts';

/**
 * How often a node checks its own SFU rooms against the directory. A room that went back to mesh
 * or moved because of another node leaves this node's Janus sessions behind until one of its
 * members asks for something; receive-only members may never ask, so the check ends them.
 */
const LOCAL_CHECK_MS = 30_000;

/**
 * SFU rooms, as seen from this node: the face the rest of the server uses. It builds the parts
 * and coordinates them where one event touches several (a member leaving, a dead node reaped,
 * the periodic local check, closing):
 * - `JanusRooms` (janus-rooms.ts): the Janus connections and this node's rooms in them;
 * - `SfuModePolicy` (sfu-mode-policy.ts): mesh↔sfu against the directory's placement;
 * - `SfuMedia` (sfu-media.ts): each member's publish/subscribe/trickle/configure;
 * - `SfuFailover` (sfu-failover.ts): moving rooms off a Janus that went away;
 * - sfu-metrics.ts: what /metrics shows.
 */
export class SfuRooms {
  readonly #directory: Directory;
  readonly #log: Logger;
  readonly #janus: JanusRooms;
  readonly #policy: SfuModePolicy;
  readonly #media: SfuMedia;
  readonly #failover: SfuFailover;
  #checkTimer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * `registry`: where to export the SFU gauges (the server's /metrics), if anywhere.
   * `requireE2ee`: whether a room's creator required E2EE (its Janus room is then created with
   * `require_e2ee`).
   */
  constructor(
    config: SfuConfig,
    directory: Directory,
    relay: Relay,
    log: Logger,
    registry?: Registry,
    requireE2ee?: (room: string) => Promise<boolean>,
  ) {
    this.#directory = directory;
    this.#log = log.child({ component: 'sfu' });
    // Link events start after `start()`, by which time the fail-over below exists.
    this.#janus = new JanusRooms(config, this.#log, {
      onDown: (link) => this.#failover.linkDown(link),
      onUp: () => this.#failover.rehome(),
      requireE2ee,
    });
    const metrics = registry ? exportSfuMetrics(registry, this.#janus.links, directory) : NO_SFU_METRICS;
    this.#policy = new SfuModePolicy({
      config,
      directory,
      relay,
      instances: this.#janus,
      metrics,
      log: this.#log,
    });
    this.#media = new SfuMedia({
      directory,
      rooms: this.#janus,
      relay,
      candidates: new CandidateGate(config, metrics),
      log: this.#log,
    });
    this.#failover = new SfuFailover({ directory, rooms: this.#janus, relay, log: this.#log });
  }

  /** True when at least one Janus is configured. */
  get enabled(): boolean {
    return this.#janus.links.length > 0;
  }

  /** `off` without Janus, `ok` when every Janus is connected, else `unreachable`. */
  status(): 'off' | 'ok' | 'unreachable' {
    if (!this.enabled) return 'off';
    return this.#janus.links.every((l) => l.up) ? 'ok' : 'unreachable';
  }

  /** Starts connecting to every Janus (in the background: the server starts without them). */
  start(): void {
    this.#janus.start();
    this.#checkTimer = setInterval(() => void this.#checkLocal(), LOCAL_CHECK_MS);
    this.#checkTimer.unref();
  }

  /** The room's placement (undefined: mesh), or undefined when the directory cannot answer. */
  placementOf(room: string): Promise<SfuPlacement | undefined> {
    return this.#directory.sfuPlacement(room).catch(() => undefined);
  }

  /**
   * A member was admitted to `room`, which now has `members` members: decides the room's mode.
   * `created`: this join created the room, and `requested` is the mode the joiner asked for,
   * honoured only then. A room already in `sfu` stays so; a mesh room moves past the threshold.
   */
  async joined(
    room: string,
    members: number,
    created: boolean,
    requested?: RoomMode,
    session?: Session,
  ): Promise<JoinedMode> {
    if (!this.enabled) return { mode: 'mesh', changed: false };
    return this.#policy.joined(room, members, created, requested, session);
  }

  /**
   * Called before `session` joins `room` asking for `mode: 'sfu'`: when that join would create an
   * SFU room past a limit, refuses it (`TOO_MANY_ROOMS`, `SFU_UNAVAILABLE`), so nothing is joined.
   */
  async mayCreate(session: Session, room: string): Promise<void> {
    if (!this.enabled) return;
    await this.#policy.mayCreate(session, room);
  }

  /** Tells a member who joined a room already in `sfu` who publishes there (`sfu.feeds`). */
  greet(s: Session, room: string): Promise<void> {
    return this.#media.greet(s, room);
  }

  /**
   * `session` left `room` (or ended); `placement` is the room's placement read before it left.
   * Its Janus session goes; an emptied room's Janus room is destroyed (the directory forgot the
   * placement with the last member).
   */
  async left(session: Session, room: string, placement: SfuPlacement | undefined): Promise<void> {
    const r = this.#janus.get(room);
    await this.#media.leave(r, session);
    const remaining = await this.#directory.members(room).catch(() => undefined);
    if (remaining === undefined) return;
    const where = placement ?? r?.placement;
    if (remaining.length > 0) {
      this.#policy.shrinkLater(room, remaining.length, where);
      return;
    }
    this.#policy.cancelShrink(room);
    this.#policy.forgetCreation(room);
    await this.#janus.retire(room, where?.janus, r);
    this.#log.info({ room }, 'sfu room emptied');
  }

  /**
   * The directory removed a dead node's member from `rooms` (no `left` ran for it): an emptied
   * room's Janus room is destroyed (its placement went with the last member, so on every
   * instance this node reaches; where it is not, Janus answers "no such room"), and a grown room
   * left below the threshold starts its shrink delay.
   */
  async reaped(rooms: readonly string[]): Promise<void> {
    for (const room of rooms) {
      const remaining = await this.#directory.members(room).catch(() => undefined);
      if (remaining === undefined) continue;
      if (remaining.length > 0) {
        const placement = await this.#directory.sfuPlacement(room).catch(() => undefined);
        this.#policy.shrinkLater(room, remaining.length, placement);
        continue;
      }
      this.#policy.forgetCreation(room);
      await this.#janus.retire(room, undefined);
      await this.#janus.destroyEverywhere(room);
    }
  }

  /** `sfu.publish`: the member's offer goes to its publisher handle; replies `sfu.published`. */
  publish(s: Session, msg: ClientMessageOf<'sfu.publish'>): Promise<void> {
    return this.#media.publish(s, msg);
  }

  /** `sfu.unpublish`: stops the member's upstream; the others get `sfu.feeds`. */
  unpublish(s: Session, msg: ClientMessageOf<'sfu.unpublish'>): Promise<void> {
    return this.#media.unpublish(s, msg);
  }

  /** `sfu.subscribe`: sets the feeds the member receives; replies `sfu.offer` or `ack`. */
  subscribe(s: Session, msg: ClientMessageOf<'sfu.subscribe'>): Promise<void> {
    return this.#media.subscribe(s, msg);
  }

  /** `sfu.answer`: the member's answer to the last `sfu.offer` starts its subscriber connection. */
  answer(s: Session, msg: ClientMessageOf<'sfu.answer'>): Promise<void> {
    return this.#media.answer(s, msg);
  }

  /** `sfu.trickle`: one ICE candidate for the publisher or subscriber connection. */
  trickle(s: Session, msg: ClientMessageOf<'sfu.trickle'>): Promise<void> {
    return this.#media.trickle(s, msg);
  }

  /** `sfu.configure`: simulcast layer or pause of one received video of a feed. */
  configure(s: Session, msg: ClientMessageOf<'sfu.configure'>): Promise<void> {
    return this.#media.configure(s, msg);
  }

  /**
   * Recording (recording/room-recorder.ts): Janus records every publisher of `room` into `dir`
   * (which must exist, on Janus's machine), or stops recording with `dir` undefined. Throws
   * RECORDING_REFUSED `recording_not_sfu` when the room is not in `sfu` mode.
   */
  async record(room: string, dir: string | undefined): Promise<void> {
    const placement = await this.#directory.sfuPlacement(room);
    if (!placement || placement.down)
      throw new ParleyError('RECORDING_REFUSED', 'the room is peer to peer: record it in the browser', {
        reason: 'recording_not_sfu',
      });
    const r = this.#janus.follow(room, placement);
    await this.#janus.ensure(r);
    const admin = r.link.admin();
    await guard(async () => {
      if (dir) await admin.message({ request: 'edit', room: r.janusId, secret: r.secret, new_rec_dir: dir });
      await admin.message({ request: 'enable_recording', room: r.janusId, secret: r.secret, record: !!dir });
    });
  }

  /**
   * A host's mute enforced by the SFU (rooms/moderation.ts): Janus stops (`mute`) or resumes
   * forwarding the audio `names` publish in `room` (sfu-moderation.ts). Nothing to do in a mesh
   * room (each member's SDK turns its own microphone off) or for a name that publishes nothing.
   * All or nothing: on a failure nothing stays changed, the failure is logged and thrown as
   * SFU_UNAVAILABLE.
   */
  async muteAudio(room: string, names: readonly string[], mute: boolean): Promise<void> {
    if (!this.enabled || names.length === 0) return;
    const placement = await guard(() => this.#directory.sfuPlacement(room));
    if (!placement || placement.down) return;
    const r = this.#janus.follow(room, placement);
    try {
      await this.#janus.ensure(r);
      await guard(async () => {
        const feeds = await this.#janus.publishers(r);
        const streams: AudioStream[] = [];
        for (const name of names) {
          const feed = feeds.get(name);
          if (feed === undefined) continue;
          for (const mid of audioMidsOf(await this.#janus.feedStreams(r, feed), feed))
            streams.push({ feed, mid });
        }
        await moderateAll(r, streams, mute);
        if (streams.length > 0) this.#log.debug({ room, names, mute }, 'sfu audio moderated');
      });
    } catch (err) {
      this.#log.warn({ err, room, names, mute }, 'sfu audio moderation failed; nothing changed');
      throw err;
    } finally {
      this.#janus.discardIfIdle(r);
    }
  }

  /** Who publishes in `room` (name → Janus feed id), to name recorded tracks; empty if unknown. */
  async publisherIds(room: string): Promise<Map<string, number>> {
    const r = this.#janus.get(room);
    if (!r?.link.up) return new Map();
    return this.#janus.publishers(r).catch(() => new Map<string, number>());
  }

  /**
   * Which of `feeds`' streams are screen shares now (recording: the composite puts them on its
   * stage): feed id → the publisher's m-line indexes described `screen`. The index is the
   * publisher's mid, which browsers number by m-line; other mids are not counted. Empty if unknown.
   */
  async screenMindexes(room: string, feeds: Iterable<number>): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    const r = this.#janus.get(room);
    if (!r?.link.up) return out;
    for (const feed of feeds) {
      const data = await this.#janus.feedStreams(r, feed).catch(() => ({}) as Record<string, unknown>);
      const streams = Array.isArray(data.streams) ? data.streams : [];
      for (const s of streams as { feed_mid?: unknown; feed_description?: unknown; type?: unknown }[]) {
        if (s.type !== 'video' || s.feed_description !== 'screen') continue;
        if (typeof s.feed_mid !== 'string' || !/^\d{1,3}$/.test(s.feed_mid)) continue;
        out.set(feed, [...(out.get(feed) ?? []), Number(s.feed_mid)]);
      }
    }
    return out;
  }

  /** Drops this node's state for rooms whose placement is gone or changed (see LOCAL_CHECK_MS). */
  async #checkLocal(): Promise<void> {
    await this.#policy.sweepCreations();
    for (const r of this.#janus.all()) {
      const p = await this.#directory.sfuPlacement(r.name).catch(() => null);
      if (p === null || (p && p.epoch === r.placement.epoch && !p.down)) continue;
      if (await this.#janus.discard(r)) this.#log.debug({ room: r.name }, 'stale sfu room state dropped');
    }
  }

  /**
   * Closes this node's Janus sessions and connections. Janus rooms stay: members on other nodes
   * may still use them (a room emptied by this node's sessions ending was destroyed in `left`).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#checkTimer);
    this.#failover.stop();
    this.#policy.close();
    await this.#janus.dropAll();
    await this.#failover.idle();
    this.#janus.closeLinks();
  }
}
