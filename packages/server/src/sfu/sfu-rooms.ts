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
 * connected, now it is not) moves rooms off it, so a node still starting up moves nothing.
 *
 * A room that grew into `sfu` goes back to `mesh` after `PARLEY_SFU_SHRINK_DELAY_S` with fewer
 * than `PARLEY_SFU_THRESHOLD` members (see `#shrinkLater`); a room created as `sfu` never does.
 *
 * When a dead node's members are reaped by the directory, the node that reaped them calls
 * `reaped`: rooms they emptied lose their Janus room, grown rooms they left small start shrinking.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  type ClientMessageOf,
  NAME_PATTERN,
  ParleyError,
  type RoomMode,
  type SfuStream,
} from '@parley/protocol';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ipKey } from '../auth/ip-limiter.ts';
import type { Directory, SfuPlacement } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import { type Frame, frame } from '../wire/frames.ts';
import {
  blockList,
  type CandidatePolicy,
  filterSdpCandidates,
  isPrivateAddress,
  judgeCandidate,
} from './candidate-filter.ts';
import { JanusError, type JanusHandle, type JanusSession, type PluginReply } from './janus-client.ts';
import { JanusLink } from './janus-link.ts';
import { leastLoaded, loadsOf } from './placement.ts';
import { janusDescriptions, sourceOf } from './sources.ts';

/** VideoRoom error: the room already exists (a create raced with another). */
const ROOM_EXISTS = 427;
/** How long a request waits for this node's connection to the room's Janus to come back. */
const WAIT_UP_MS = 3000;
/**
 * How often a node checks its own SFU rooms against the directory. A room that went back to mesh
 * or moved because of another node leaves this node's Janus sessions behind until one of its
 * members asks for something; receive-only members may never ask, so the check ends them.
 */
const LOCAL_CHECK_MS = 30_000;
/** Janus core error: the SDP could not be processed (the client's description is bad). */
const BAD_SDP_CODES = new Set([465, 466]);
/**
 * Candidates one member may trickle to one of its connections (publisher or subscriber) per
 * description: a browser gathers a handful per interface (host, srflx, relay; UDP and TCP), so
 * this is generous for real clients and bounds what a hostile one can make Janus check.
 */
export const SFU_CANDIDATES_MAX = 64;

/** The part of the configuration the SFU reads. */
export interface SfuConfig {
  readonly janusUrls: readonly string[];
  readonly janusApiSecret: string | undefined;
  readonly janusAdminKey: string | undefined;
  readonly sfuThreshold: number;
  /** How long a grown room must stay below the threshold before it goes back to mesh (0: never). */
  readonly sfuShrinkDelayS: number;
  readonly maxPeersPerRoom: number;
  /**
   * Whether clients' private, loopback, link-local and CGNAT candidates (and mDNS names) reach
   * Janus: `auto` only from clients connected from such an address (see candidate-filter.ts).
   */
  readonly sfuPrivateCandidates: 'auto' | 'drop' | 'allow';
  /** Further addresses (CIDR) whose candidates never reach Janus. */
  readonly sfuBlockedCandidates: readonly string[];
  /** SFU rooms at once in the directory (every node sharing it); past it rooms stay mesh. */
  readonly sfuMaxRooms: number;
  /** SFU rooms one session may have created with `mode: 'sfu'` and still open. */
  readonly sfuRoomsPerSession: number;
  /** The same, for all sessions from one address (IPv6: one /64). */
  readonly sfuRoomsPerIp: number;
}

/** A room this node created as `sfu` for a joiner: counted against its session and address. */
interface Creation {
  readonly session: Session;
  readonly ip: string;
  readonly epoch: string;
}

/** One member's Janus state in one room. */
interface Member {
  readonly session: Session;
  readonly js: JanusSession;
  pub: JanusHandle | undefined;
  published: boolean;
  sub: JanusHandle | undefined;
  /** Feeds the subscriber connection carries: name → Janus feed id. */
  subFeeds: Map<string, number>;
  /** The subscriber offer's streams (mid → feed). */
  streams: SfuStream[];
  /** The same streams as Janus knows them: our mid, and the publisher's feed id and mid. */
  janusStreams: JanusStream[];
  /** Candidates trickled to the publisher connection since its last description. */
  pubCandidates: number;
  /** Candidates trickled to the subscriber connection since it was made. */
  subCandidates: number;
}

/** This node's Janus state for an SFU room (the room's mode and placement are the directory's). */
interface SfuRoom {
  readonly name: string;
  readonly janusId: number;
  readonly secret: string;
  /** The placement this state was built for. */
  placement: SfuPlacement;
  link: JanusLink;
  /** Epoch of `link` when the Janus room was created in it; another epoch means recreate. */
  linkEpoch: number;
  creating: Promise<void> | undefined;
  readonly members: Map<string, Member>;
}

/** The result of `joined`. */
export interface JoinedMode {
  mode: RoomMode;
  /** The room just became `sfu`: the other members must be told (`room.mode`). */
  changed: boolean;
}

/** SFU rooms, as seen from this node. */
export class SfuRooms {
  readonly #config: SfuConfig;
  readonly #directory: Directory;
  readonly #relay: Relay;
  readonly #log: Logger;
  readonly #links: JanusLink[];
  readonly #rooms = new Map<string, SfuRoom>();
  readonly #key: string;
  /** Rooms this node will try to shrink back to mesh, by room. */
  readonly #shrinkTimers = new Map<string, NodeJS.Timeout>();
  /** Rehoming runs one at a time on a node (link events can come in bursts). */
  #rehoming: Promise<void> = Promise.resolve();
  #checkTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Rooms this node created as `sfu` on a joiner's request, by room (see `mayCreate`). */
  readonly #created = new Map<string, Creation>();
  /** Candidate policies with private candidates dropped and allowed (see `#policyFor`). */
  readonly #dropPrivate: CandidatePolicy;
  readonly #allowPrivate: CandidatePolicy;
  #candidatesDropped: Counter<'reason'> | undefined;
  #roomsRefused: Counter<'reason'> | undefined;

  /** `registry`: where to export the SFU gauges (the server's /metrics), if anywhere. */
  constructor(config: SfuConfig, directory: Directory, relay: Relay, log: Logger, registry?: Registry) {
    this.#config = config;
    this.#directory = directory;
    this.#relay = relay;
    this.#log = log.child({ component: 'sfu' });
    const blocked = blockList(config.sfuBlockedCandidates ?? []);
    this.#dropPrivate = { allowPrivate: false, blocked };
    this.#allowPrivate = { allowPrivate: true, blocked };
    // Room secrets are derived from the admin key so every node computes the same ones.
    this.#key = config.janusAdminKey ?? config.janusApiSecret ?? randomBytes(32).toString('base64url');
    this.#links = config.janusUrls.map(
      (url) =>
        new JanusLink({
          url,
          apiSecret: config.janusApiSecret,
          log: this.#log,
          onDown: (link) => this.#linkDown(link),
          onUp: () => this.#rehome(),
        }),
    );
    if (registry) this.#exportMetrics(registry);
  }

  /**
   * Gauges read at scrape time: which Janus instances this node is connected to, and the SFU rooms
   * and their members per instance from the directory (cluster-wide: the load placement uses).
   */
  #exportMetrics(registry: Registry): void {
    this.#candidatesDropped = new Counter({
      name: 'parley_sfu_candidates_dropped_total',
      help: 'Client ICE candidates not passed to Janus, by reason (private, forbidden, blocked, hostname, malformed, too_many; in_description: lines taken out of a description).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.#roomsRefused = new Counter({
      name: 'parley_sfu_rooms_refused_total',
      help: 'SFU rooms not created, by limit (session, address, node: PARLEY_SFU_ROOMS_PER_SESSION, _PER_IP, PARLEY_SFU_MAX_ROOMS).',
      labelNames: ['reason'],
      registers: [registry],
    });
    const links = this.#links;
    const directory = this.#directory;
    new Gauge({
      name: 'parley_sfu_instance_up',
      help: 'Whether this node is connected to the Janus instance (1) or not (0).',
      labelNames: ['janus'],
      registers: [registry],
      collect() {
        for (const l of links) this.labels(l.url).set(l.up ? 1 : 0);
      },
    });
    const perInstance = async (pick: 'rooms' | 'members') => {
      const entries = await directory.sfuRooms().catch(() => undefined);
      const out = new Map<string, number>(links.map((l) => [l.url, 0]));
      if (!entries) return undefined;
      for (const e of entries) {
        const key = e.placement.down ? 'down' : e.placement.janus;
        out.set(key, (out.get(key) ?? 0) + (pick === 'rooms' ? 1 : e.members));
      }
      return out;
    };
    for (const [name, pick, help] of [
      ['parley_sfu_rooms', 'rooms', 'SFU rooms (cluster-wide) by Janus instance; "down": waiting for one.'],
      ['parley_sfu_members', 'members', 'Members of SFU rooms (cluster-wide) by Janus instance: its load.'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['janus'],
        registers: [registry],
        async collect() {
          const values = await perInstance(pick);
          this.reset();
          if (values) for (const [janus, n] of values) this.labels(janus).set(n);
        },
      });
    }
  }

  /** True when at least one Janus is configured. */
  get enabled(): boolean {
    return this.#links.length > 0;
  }

  /** `off` without Janus, `ok` when every Janus is connected, else `unreachable`. */
  status(): 'off' | 'ok' | 'unreachable' {
    if (!this.enabled) return 'off';
    return this.#links.every((l) => l.up) ? 'ok' : 'unreachable';
  }

  /** Starts connecting to every Janus (in the background: the server starts without them). */
  start(): void {
    for (const l of this.#links) l.start();
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
    try {
      return await this.#decide(room, members, created, requested, session);
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
    session: Session | undefined,
  ): Promise<JoinedMode> {
    const fromStart = created && requested === 'sfu';
    // Back at the threshold: this node's pending shrink is off (the shrink re-checks anyway).
    if (members >= this.#config.sfuThreshold) this.#cancelShrink(room);
    if (await this.#directory.sfuPlacement(room)) return { mode: 'sfu', changed: false };
    if (!fromStart && members <= this.#config.sfuThreshold) return { mode: 'mesh', changed: false };
    // Past a limit the room stays mesh (`mayCreate` refused most such joins already; this catches
    // joins that raced with it, and rooms growing while the SFU is full).
    const refusal = fromStart && session ? await this.#creationRefusal(session) : await this.#atCapacity();
    if (refusal) {
      this.#roomsRefused?.labels(refusal).inc();
      this.#log.warn(
        { room, limit: refusal, fromStart },
        'sfu room not created: limit reached; room stays mesh',
      );
      return { mode: 'mesh', changed: false };
    }
    const placed = await this.#place(room, fromStart);
    if (!placed) return { mode: 'mesh', changed: false };
    if (placed.created && fromStart && session) {
      this.#created.set(room, {
        session,
        ip: ipKey(session.connection?.ip ?? 'unknown'),
        epoch: placed.placement.epoch,
      });
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
   * Called before `session` joins `room` asking for `mode: 'sfu'`: when that join would create an
   * SFU room past a limit, refuses it, so nothing is joined. `TOO_MANY_ROOMS` when the session
   * (`sfuRoomsPerSession`) or its address (`sfuRoomsPerIp`) created as many SFU rooms as it may
   * and they are still open; `SFU_UNAVAILABLE` when the directory holds `sfuMaxRooms` SFU rooms.
   * Joining an existing room never creates one, so it is never refused here.
   */
  async mayCreate(session: Session, room: string): Promise<void> {
    if (!this.enabled || session.rooms.has(room)) return;
    let refusal: 'session' | 'address' | 'node' | undefined;
    try {
      if (await this.#directory.sfuPlacement(room)) return;
      if ((await this.#directory.members(room)).length > 0) return;
      refusal = await this.#creationRefusal(session);
    } catch {
      // The directory could not answer: the join goes on, and `joined` answers `mesh` (as it does
      // whenever the mode cannot be decided).
      return;
    }
    if (!refusal) return;
    this.#roomsRefused?.labels(refusal).inc();
    session.log.info({ room, limit: refusal }, 'sfu room refused: limit reached');
    if (refusal === 'node') {
      throw new ParleyError('SFU_UNAVAILABLE', 'the SFU holds as many rooms as it may; try later');
    }
    const n = refusal === 'session' ? this.#config.sfuRoomsPerSession : this.#config.sfuRoomsPerIp;
    throw new ParleyError(
      'TOO_MANY_ROOMS',
      `${refusal === 'session' ? 'a session' : 'an address'} may have created at most ${n} open SFU rooms`,
    );
  }

  /** Which creation limit `session` is at, if any (its own, its address's, the node's). */
  async #creationRefusal(session: Session): Promise<'session' | 'address' | 'node' | undefined> {
    const ip = ipKey(session.connection?.ip ?? 'unknown');
    const mine = [...this.#created].filter(([, c]) => c.session === session || c.ip === ip);
    // Forget rooms that emptied (maybe on another node) or were placed again by someone else.
    await Promise.all(
      mine.map(async ([room, c]) => {
        const p = await this.#directory.sfuPlacement(room).catch(() => null);
        if (p !== null && p?.epoch !== c.epoch && this.#created.get(room) === c) this.#created.delete(room);
      }),
    );
    let bySession = 0;
    let byIp = 0;
    for (const c of this.#created.values()) {
      if (c.session === session) bySession++;
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
   * Tells a member who joined a room already in `sfu` who publishes there (`sfu.feeds`, to it
   * alone): the others heard of each publisher when its media came up, and a receive-only
   * newcomer would otherwise see nobody until the set of publishers changes.
   */
  async greet(s: Session, room: string): Promise<void> {
    const placement = await this.#directory.sfuPlacement(room);
    if (!placement || placement.down || !s.rooms.has(room)) return;
    const r = this.#follow(room, placement);
    await this.#ensureRoom(r);
    if (!r.link.up) return;
    const { feeds, count } = await this.#feedsFrame(r);
    if (count > 0) s.send(feeds);
  }

  /**
   * `session` left `room` (or ended); `placement` is the room's placement read before it left.
   * Its Janus session goes; an emptied room's Janus room is destroyed (the directory forgot the
   * placement with the last member).
   */
  async left(session: Session, room: string, placement: SfuPlacement | undefined): Promise<void> {
    const r = this.#rooms.get(room);
    const m = r?.members.get(session.name);
    if (r && m && m.session === session) {
      r.members.delete(session.name);
      await m.js.destroy();
      if (m.published) await this.#announce(r).catch(() => {});
    }
    const remaining = await this.#directory.members(room).catch(() => undefined);
    if (remaining === undefined) return;
    if (remaining.length > 0) {
      this.#shrinkLater(room, remaining.length, placement ?? r?.placement);
      return;
    }
    this.#cancelShrink(room);
    this.#created.delete(room);
    if (this.#rooms.get(room) === r) this.#rooms.delete(room);
    const where = placement ?? r?.placement;
    if (r) await this.#dropMembers(r);
    if (where) await this.#destroyJanusRoom(room, where.janus);
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
        this.#shrinkLater(room, remaining.length, placement);
        continue;
      }
      this.#created.delete(room);
      const r = this.#rooms.get(room);
      if (r) {
        this.#rooms.delete(room);
        await this.#dropMembers(r);
      }
      await Promise.all(this.#links.filter((l) => l.up).map((l) => this.#destroyJanusRoom(room, l.url)));
    }
  }

  /** `sfu.publish`: the member's offer goes to its publisher handle; replies `sfu.published`. */
  async publish(s: Session, msg: ClientMessageOf<'sfu.publish'>): Promise<void> {
    const { r, m } = await this.#member(s, msg.room);
    const reply = await guard(async () => {
      if (!m.pub) {
        const pub = await m.js.attach();
        await pub.message({ request: 'join', ptype: 'publisher', room: r.janusId, display: s.name });
        pub.on((e) => {
          // Janus lists a publisher once its media is up, so that is when the others hear of it;
          // and when its PeerConnection ends (ICE failure, page gone), its feed goes away.
          if (e.kind === 'webrtcup') void this.#announce(r).catch(() => {});
          if (e.kind === 'hangup' && m.published) {
            m.published = false;
            void this.#announce(r).catch(() => {});
          }
          // The Janus room was destroyed (the room went back to mesh, maybe by another node).
          if (e.kind === 'event' && e.data.videoroom === 'destroyed') this.#forgetMember(r, m);
        });
        m.pub = pub;
      }
      // A second publish on a live connection is a renegotiation (`configure` with a new offer).
      const request = m.published ? 'configure' : 'publish';
      const sdp = this.#filterSdp(s, msg.description.sdp);
      m.pubCandidates = 0;
      // What each m-line carries, for subscribers (`source` in their `sfu.offer` streams).
      const descriptions = janusDescriptions(sdp, msg.sources);
      return m.pub.message({ request, ...(descriptions ? { descriptions } : {}) }, { type: 'offer', sdp });
    });
    if (reply.jsep?.type !== 'answer' || typeof reply.jsep.sdp !== 'string') {
      throw new ParleyError('SFU_UNAVAILABLE', 'the SFU did not answer the offer');
    }
    m.published = true;
    s.send(
      frame({
        type: 'sfu.published',
        re: msg.id,
        room: msg.room,
        description: { type: 'answer', sdp: reply.jsep.sdp },
      }),
    );
    s.log.debug({ room: msg.room }, 'sfu published');
  }

  /** `sfu.unpublish`: stops the member's upstream; the others get `sfu.feeds`. */
  async unpublish(s: Session, msg: ClientMessageOf<'sfu.unpublish'>): Promise<void> {
    const { r, m } = await this.#member(s, msg.room);
    if (m.pub && m.published) {
      await guard(() =>
        m.pub!.message({ request: 'unpublish' }).catch((err: unknown) => {
          // A publisher whose media never came up counts as not published for Janus: same end state.
          if (!(err instanceof JanusError && err.kind === 'plugin')) throw err;
          return { data: {} };
        }),
      );
      m.published = false;
      await this.#announce(r);
    }
    ack(s, msg.id);
  }

  /**
   * `sfu.subscribe`: sets the feeds the member's subscriber connection carries and replies
   * `sfu.offer` (or `ack` when nothing changed or no named feed publishes yet).
   */
  async subscribe(s: Session, msg: ClientMessageOf<'sfu.subscribe'>): Promise<void> {
    const { r, m } = await this.#member(s, msg.room);
    if (msg.restart && m.sub) {
      // The client replaced its subscriber connection: the old handle goes (Janus may not have
      // noticed the old connection die yet), and the whole set is offered on a new one.
      const old = m.sub;
      m.sub = undefined;
      m.subFeeds = new Map();
      m.streams = [];
      m.janusStreams = [];
      void old.detach().catch(() => {});
    }
    const publishing = await this.#publishers(r);
    const target = new Map<string, number>();
    for (const name of msg.feeds) {
      const id = publishing.get(name);
      if (name !== s.name && id !== undefined) target.set(name, id);
    }
    const added = [...target].filter(([n, id]) => m.subFeeds.get(n) !== id);
    const removed = [...m.subFeeds].filter(([n, id]) => target.get(n) !== id);
    // Feeds received already whose streams changed: the streams to add and to end, by the
    // publisher's mids (Janus would subscribe a whole feed again, copies included).
    const streamChanges = {
      add: [] as { feed: number; mid: string }[],
      end: [] as { feed: number; mid: string }[],
    };
    for (const name of new Set(msg.refresh ?? [])) {
      const feed = target.get(name);
      if (!m.sub || feed === undefined || m.subFeeds.get(name) !== feed) continue;
      const now = await guard(() => this.#publishedMids(m, r, feed));
      const had = m.janusStreams.filter((x) => x.active && x.feedId === feed).map((x) => x.feedMid);
      for (const mid of now) if (!had.includes(mid)) streamChanges.add.push({ feed, mid });
      for (const mid of had) if (!now.includes(mid)) streamChanges.end.push({ feed, mid });
    }
    const changed = streamChanges.add.length + streamChanges.end.length > 0;
    if (added.length === 0 && removed.length === 0 && !changed) {
      ack(s, msg.id);
      return;
    }
    const reply = await guard(async (): Promise<PluginReply> => {
      if (!m.sub) {
        if (target.size === 0) return { data: {} };
        const sub = await m.js.attach();
        sub.on((e) => {
          if (e.kind === 'event' && e.data.videoroom === 'destroyed') this.#forgetMember(r, m);
          // Janus hung up the subscriber connection (the client closed it, or ICE failed): the
          // handle is useless now, so the next `sfu.subscribe` starts a fresh one with an offer,
          // even for the same feeds (a client restarting its subscriber connection).
          if (e.kind === 'hangup' && m.sub === sub) {
            m.sub = undefined;
            m.subFeeds = new Map();
            m.streams = [];
            m.janusStreams = [];
            m.janusStreams = [];
            void sub.detach();
          }
        });
        m.sub = sub;
        m.subCandidates = 0;
        return sub.message({
          request: 'join',
          ptype: 'subscriber',
          room: r.janusId,
          streams: [...target.values()].map((feed) => ({ feed })),
        });
      }
      return m.sub.message({
        request: 'update',
        ...(added.length + streamChanges.add.length > 0
          ? { subscribe: [...added.map(([, feed]) => ({ feed })), ...streamChanges.add] }
          : {}),
        ...(removed.length + streamChanges.end.length > 0
          ? { unsubscribe: [...removed.map(([, feed]) => ({ feed })), ...streamChanges.end] }
          : {}),
      });
    });
    m.subFeeds = target;
    if (reply.jsep?.type !== 'offer' || typeof reply.jsep.sdp !== 'string') {
      m.streams = [];
      m.janusStreams = [];
      ack(s, msg.id);
      return;
    }
    m.streams = streamsOf(reply.data);
    m.janusStreams = janusStreamsOf(reply.data);
    s.send(
      frame({
        type: 'sfu.offer',
        re: msg.id,
        room: msg.room,
        description: { type: 'offer', sdp: reply.jsep.sdp },
        streams: m.streams,
      }),
    );
  }

  /**
   * The mids `feed` publishes now. Janus lists a publisher's streams only to its subscribers, so
   * a throwaway subscriber handle joins for it and goes (its offer is never answered).
   */
  async #publishedMids(m: Member, r: SfuRoom, feed: number): Promise<string[]> {
    const probe = await m.js.attach();
    try {
      const reply = await probe.message({
        request: 'join',
        ptype: 'subscriber',
        room: r.janusId,
        streams: [{ feed }],
      });
      return janusStreamsOf(reply.data)
        .filter((x) => x.active && x.feedId === feed)
        .map((x) => x.feedMid);
    } finally {
      await probe.detach().catch(() => {});
    }
  }

  /** `sfu.answer`: the member's answer to the last `sfu.offer` starts its subscriber connection. */
  async answer(s: Session, msg: ClientMessageOf<'sfu.answer'>): Promise<void> {
    const { m } = await this.#member(s, msg.room);
    if (!m.sub) throw new ParleyError('FORBIDDEN', 'no sfu.offer to answer');
    const sdp = this.#filterSdp(s, msg.description.sdp);
    await guard(() => m.sub!.message({ request: 'start' }, { type: 'answer', sdp }));
    ack(s, msg.id);
  }

  /**
   * `sfu.trickle`: one ICE candidate for the publisher or subscriber connection. Only candidates
   * `judgeCandidate` passes reach Janus (others are acknowledged and dropped: a browser's private
   * host candidates are normal); a line that is no candidate is `BAD_MESSAGE`, and past
   * `SFU_CANDIDATES_MAX` for one connection `FORBIDDEN`.
   */
  async trickle(s: Session, msg: ClientMessageOf<'sfu.trickle'>): Promise<void> {
    const { m } = await this.#member(s, msg.room);
    const handle = msg.target === 'publisher' ? m.pub : m.sub;
    if (!handle) throw new ParleyError('FORBIDDEN', `no ${msg.target} connection to trickle to`);
    const c = msg.candidate;
    if (c === null || c.candidate === '') {
      await guard(() => handle.trickle(null));
      ack(s, msg.id);
      return;
    }
    const count = msg.target === 'publisher' ? ++m.pubCandidates : ++m.subCandidates;
    if (count > SFU_CANDIDATES_MAX) {
      this.#candidatesDropped?.labels('too_many').inc();
      throw new ParleyError(
        'FORBIDDEN',
        `at most ${SFU_CANDIDATES_MAX} candidates per ${msg.target} connection and description`,
      );
    }
    const verdict = judgeCandidate(c.candidate, this.#policyFor(s));
    if (verdict !== 'ok') {
      this.#candidatesDropped?.labels(verdict).inc();
      if (verdict === 'malformed') throw new ParleyError('BAD_MESSAGE', 'not an ICE candidate line');
      ack(s, msg.id);
      return;
    }
    await guard(() =>
      handle.trickle({
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? null,
        sdpMLineIndex: c.sdpMLineIndex ?? null,
      }),
    );
    ack(s, msg.id);
  }

  /** Which candidates of `s` may reach Janus (PARLEY_SFU_PRIVATE_CANDIDATES). */
  #policyFor(s: Session): CandidatePolicy {
    const mode = this.#config.sfuPrivateCandidates;
    if (mode === 'allow') return this.#allowPrivate;
    if (mode === 'auto' && isPrivateAddress(s.connection?.ip ?? '')) return this.#allowPrivate;
    return this.#dropPrivate;
  }

  /** A client's description without the `a=candidate` lines Janus must not be given. */
  #filterSdp(s: Session, sdp: string): string {
    const out = filterSdpCandidates(sdp, this.#policyFor(s));
    if (out.dropped > 0) this.#candidatesDropped?.labels('in_description').inc(out.dropped);
    return out.sdp;
  }

  /**
   * `sfu.configure`: simulcast layer or pause of one received video of a feed: its camera (any
   * video not labelled `screen`) or, with `source: 'screen'`, its screen share. The feed's audio
   * is never touched: a member whose tile is hidden is still heard.
   */
  async configure(s: Session, msg: ClientMessageOf<'sfu.configure'>): Promise<void> {
    const { m } = await this.#member(s, msg.room);
    const screen = msg.source === 'screen';
    const streams = m.streams.filter(
      (x) => x.feed === msg.feed && x.kind === 'video' && (x.source === 'screen') === screen,
    );
    const what = screen ? `the screen share of "${msg.feed}"` : `"${msg.feed}"`;
    if (!m.sub || streams.length === 0) throw new ParleyError('FORBIDDEN', `not receiving ${what}`);
    const changes = streams.map((x) => {
      const c: Record<string, unknown> = { mid: x.mid };
      if (msg.substream !== undefined) c.substream = msg.substream;
      if (msg.paused !== undefined) c.send = !msg.paused;
      return c;
    });
    await guard(() => m.sub!.message({ request: 'configure', streams: changes }));
    ack(s, msg.id);
  }

  /**
   * Closes this node's Janus sessions and connections. Janus rooms stay: members on other nodes
   * may still use them (a room emptied by this node's sessions ending was destroyed in `left`).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#checkTimer);
    for (const t of this.#shrinkTimers.values()) clearTimeout(t);
    this.#shrinkTimers.clear();
    this.#created.clear();
    const rooms = [...this.#rooms.values()];
    this.#rooms.clear();
    await Promise.allSettled(rooms.map((r) => this.#dropMembers(r)));
    await this.#rehoming.catch(() => {});
    for (const l of this.#links) l.close();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Hysteresis on the way back to mesh: a room that grew into SFU (past `sfuThreshold` members)
   * shrinks only once it has fewer members than the threshold, and only after
   * `sfuShrinkDelayS`, so a room hovering at the boundary does not flap between modes (each move
   * costs every member a renegotiation). The count is checked again, cluster-wide and atomically
   * with the removal, when the delay is over.
   */
  #shrinkLater(room: string, members: number, placement: SfuPlacement | undefined): void {
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

  #cancelShrink(room: string): void {
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
    await this.#relay.broadcast(room, '', frame({ type: 'room.mode', room, mode: 'mesh' })).catch(() => {});
    const r = this.#rooms.get(room);
    if (r) {
      this.#rooms.delete(room);
      await this.#dropMembers(r);
    }
    // Janus tells the handles still in it (members on other nodes) that the room is gone.
    if (!p.down) await this.#destroyJanusRoom(room, p.janus);
  }

  /**
   * Records an SFU placement for `room` unless it has one, on the least loaded instance that is up
   * (marked down on the first configured one when none is: it is placed for real once one is).
   */
  async #place(room: string, fromStart: boolean) {
    const loads = loadsOf(await this.#directory.sfuRooms());
    const url = leastLoaded(
      this.#links.filter((l) => l.up).map((l) => l.url),
      loads,
    );
    return this.#directory.sfuPlace(room, {
      janus: url ?? this.#links[0]!.url,
      fromStart,
      epoch: newEpoch(),
      down: url === undefined,
    });
  }

  /**
   * The caller's state in an SFU room, following the directory's placement: the Janus room is
   * (re)created on the placement's instance and the member's Janus session on first use.
   */
  async #member(s: Session, room: string): Promise<{ r: SfuRoom; m: Member }> {
    if (!s.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${room}"`);
    const placement = await this.#directory.sfuPlacement(room);
    if (!placement) {
      const stale = this.#rooms.get(room);
      if (stale) {
        this.#rooms.delete(room);
        void this.#dropMembers(stale);
      }
      throw new ParleyError('SFU_UNAVAILABLE', `room "${room}" is in mesh mode`);
    }
    if (placement.down) throw new ParleyError('SFU_UNAVAILABLE', 'the SFU of this room is down');
    const r = this.#follow(room, placement);
    await this.#ensureRoom(r);
    const existing = r.members.get(s.name);
    if (existing && existing.session === s && !existing.js.closed) return { r, m: existing };
    const js = await guard(() => r.link.client().createSession());
    const m: Member = {
      session: s,
      js,
      pub: undefined,
      published: false,
      sub: undefined,
      subFeeds: new Map(),
      streams: [],
      janusStreams: [],
      pubCandidates: 0,
      subCandidates: 0,
    };
    const raced = r.members.get(s.name);
    if (raced && raced.session === s && !raced.js.closed) {
      await js.destroy();
      return { r, m: raced };
    }
    r.members.set(s.name, m);
    return { r, m };
  }

  /** This node's state for `room`, rebuilt when the placement changed (moved, recreated). */
  #follow(room: string, placement: SfuPlacement): SfuRoom {
    const link = this.#links.find((l) => l.url === placement.janus);
    if (!link) throw new ParleyError('SFU_UNAVAILABLE', 'the SFU of this room is not reachable from here');
    const r = this.#rooms.get(room);
    if (r && r.placement.epoch === placement.epoch && r.link === link) return r;
    if (r) {
      // Members' Janus sessions belong to the old instance (or the old run of it): start over.
      void this.#dropMembers(r);
      r.placement = placement;
      r.link = link;
      r.linkEpoch = -1;
      return r;
    }
    const fresh: SfuRoom = {
      name: room,
      janusId: roomIdFor(room),
      secret: createHmac('sha256', this.#key).update(`room:${room}`).digest('base64url'),
      placement,
      link,
      linkEpoch: -1,
      creating: undefined,
      members: new Map(),
    };
    this.#rooms.set(room, fresh);
    return fresh;
  }

  /** Makes sure the room exists in its Janus (again, after this node's connection to it changed). */
  async #ensureRoom(r: SfuRoom): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (r.link.up && r.link.epoch === r.linkEpoch && !r.creating) return;
      if (!r.link.up && !(await r.link.waitUp(WAIT_UP_MS))) break;
      if (!r.creating) {
        r.creating = this.#createRoom(r).finally(() => {
          r.creating = undefined;
        });
      }
      await r.creating;
    }
    if (!(r.link.up && r.link.epoch === r.linkEpoch))
      throw new ParleyError('SFU_UNAVAILABLE', 'the SFU of this room is not reachable right now');
  }

  async #createRoom(r: SfuRoom): Promise<void> {
    const link = r.link;
    const epoch = link.epoch;
    // Sessions made through an older connection died with it.
    if (r.linkEpoch !== -1 && r.linkEpoch !== epoch) r.members.clear();
    await guard(async () => {
      try {
        await link.admin().message({
          request: 'create',
          room: r.janusId,
          secret: r.secret,
          admin_key: this.#config.janusAdminKey,
          description: 'parley',
          is_private: true,
          permanent: false,
          publishers: this.#config.maxPeersPerRoom,
          audiocodec: 'opus',
          videocodec: 'vp8',
          notify_joining: false,
        });
      } catch (err) {
        if (!(err instanceof JanusError && err.kind === 'plugin' && err.code === ROOM_EXISTS)) throw err;
      }
    });
    if (r.link === link) r.linkEpoch = epoch;
    this.#log.debug({ room: r.name, janus: link.url }, 'sfu room ready');
  }

  /** Drops this node's state for rooms whose placement is gone or changed (see LOCAL_CHECK_MS). */
  async #checkLocal(): Promise<void> {
    for (const [room, c] of [...this.#created]) {
      const p = await this.#directory.sfuPlacement(room).catch(() => null);
      if (p !== null && p?.epoch !== c.epoch && this.#created.get(room) === c) this.#created.delete(room);
    }
    for (const r of [...this.#rooms.values()]) {
      const p = await this.#directory.sfuPlacement(r.name).catch(() => null);
      if (p === null || (p && p.epoch === r.placement.epoch && !p.down)) continue;
      if (this.#rooms.get(r.name) !== r) continue;
      this.#rooms.delete(r.name);
      await this.#dropMembers(r);
      this.#log.debug({ room: r.name }, 'stale sfu room state dropped');
    }
  }

  /** Ends one member's Janus session, if it is still the member's current one. */
  #forgetMember(r: SfuRoom, m: Member): void {
    if (r.members.get(m.session.name) === m) r.members.delete(m.session.name);
    void m.js.destroy();
  }

  /** Ends this node's Janus sessions in a room. */
  async #dropMembers(r: SfuRoom): Promise<void> {
    const members = [...r.members.values()];
    r.members.clear();
    await Promise.allSettled(members.map((m) => m.js.destroy()));
  }

  /** Destroys the Janus room of `room` on the instance at `url`, if connected to it. */
  async #destroyJanusRoom(room: string, url: string): Promise<void> {
    const link = this.#links.find((l) => l.url === url);
    if (!link?.up) return;
    const secret = createHmac('sha256', this.#key).update(`room:${room}`).digest('base64url');
    await link
      .admin()
      .message({ request: 'destroy', room: roomIdFor(room), secret })
      .catch((err: unknown) => this.#log.debug({ err, room }, 'sfu room destroy failed'));
  }

  /** Members publishing in the Janus room: name → feed id. Names are ours (the `display`). */
  async #publishers(r: SfuRoom): Promise<Map<string, number>> {
    const reply = await guard(() =>
      r.link.admin().message({ request: 'listparticipants', room: r.janusId, secret: r.secret }),
    );
    const out = new Map<string, number>();
    const list = Array.isArray(reply.data.participants) ? reply.data.participants : [];
    for (const p of list as { id?: unknown; display?: unknown; publisher?: unknown }[]) {
      if (p.publisher === true && typeof p.id === 'number' && typeof p.display === 'string') {
        if (NAME_PATTERN.test(p.display)) out.set(p.display, p.id);
      }
    }
    return out;
  }

  /** Tells every member who publishes (`sfu.feeds`). */
  async #announce(r: SfuRoom): Promise<void> {
    if (!r.link.up) return;
    await this.#relay.broadcast(r.name, '', (await this.#feedsFrame(r)).feeds);
  }

  /** The `sfu.feeds` frame of who publishes in `r` now, and how many do. */
  async #feedsFrame(r: SfuRoom): Promise<{ feeds: Frame<'sfu.feeds'>; count: number }> {
    const publishing = await this.#publishers(r);
    const feeds = [...publishing.keys()].sort().map((name) => ({ name }));
    return { feeds: frame({ type: 'sfu.feeds', room: r.name, feeds }), count: feeds.length };
  }

  /** A Janus connection dropped: this node's sessions on it are gone; its rooms move or wait. */
  #linkDown(link: JanusLink): void {
    for (const r of this.#rooms.values()) if (r.link === link) r.members.clear();
    this.#rehome();
  }

  /** Queues a pass over the SFU rooms whose instance is not usable (see `#rehomeNow`). */
  #rehome(): void {
    this.#rehoming = this.#rehoming
      .then(() => (this.#closed ? undefined : this.#rehomeNow()))
      .catch((err: unknown) => this.#log.warn({ err }, 'sfu rooms not rehomed'));
  }

  /**
   * Every SFU room (cluster-wide) whose instance this node lost, or that is marked down,
   * moves to the least loaded instance that is up, and its members get `room.mode sfu` so they
   * publish there; with no instance up it is marked down and its members get `SFU_UNAVAILABLE`.
   * Each change is a compare-and-set on the placement's epoch, so of the nodes reacting to the same
   * outage only one moves a room and tells its members.
   */
  async #rehomeNow(): Promise<void> {
    const entries = await this.#directory.sfuRooms();
    const loads = loadsOf(entries);
    for (const e of entries) {
      const p = e.placement;
      const current = this.#links.find((l) => l.url === p.janus);
      // Only an instance this node saw go away counts as gone: one it has not reached yet (this
      // node is starting) or does not know (another node's configuration) is left alone.
      const lost = current !== undefined && current.epoch > 0 && !current.up;
      if (!p.down && !lost) continue;
      const url = leastLoaded(
        this.#links.filter((l) => l.up).map((l) => l.url),
        loads,
      );
      if (url !== undefined) {
        const next: SfuPlacement = { janus: url, fromStart: p.fromStart, epoch: newEpoch(), down: false };
        if (!(await this.#directory.sfuReplace(e.room, p.epoch, next))) continue;
        loads.set(url, (loads.get(url) ?? 0) + e.members);
        this.#log.info({ room: e.room, from: p.janus, janus: url }, 'sfu room placed again');
        const known = this.#rooms.has(e.room);
        const r = this.#follow(e.room, next);
        try {
          await this.#ensureRoom(r);
        } catch (err) {
          this.#log.warn({ err, room: e.room }, 'sfu room not recreated');
          continue;
        } finally {
          // Only rooms with members on this node keep state here.
          if (!known && r.members.size === 0 && this.#rooms.get(e.room) === r) this.#rooms.delete(e.room);
        }
        const mode = frame({ type: 'room.mode', room: e.room, mode: 'sfu' });
        await this.#relay.broadcast(e.room, '', mode).catch(() => {});
      } else if (!p.down) {
        const next: SfuPlacement = { ...p, epoch: newEpoch(), down: true };
        if (!(await this.#directory.sfuReplace(e.room, p.epoch, next))) continue;
        this.#log.warn({ room: e.room, janus: p.janus }, 'sfu room down');
        const down = frame({
          type: 'error',
          code: 'SFU_UNAVAILABLE',
          message: 'the SFU of this room went away; media resumes when it is back',
        });
        await this.#relay.broadcast(e.room, '', down).catch(() => {});
      }
    }
  }
}

/** A fresh placement epoch. */
function newEpoch(): string {
  return randomUUID().slice(0, 13);
}

/** A Janus room id (a positive integer below 2^48) derived from the Parley room name. */
export function roomIdFor(room: string): number {
  const h = createHash('sha256').update(`parley-room:${room}`).digest();
  return h.readUIntBE(0, 6) + 1;
}

/** Sends `ack {re}` when the request had an id. */
function ack(s: Session, re: string | number | undefined): void {
  if (re !== undefined) s.send(frame({ type: 'ack', re }));
}

/** One stream of a Janus subscriber handle: our mid, the publisher's feed id and mid. */
interface JanusStream {
  mid: string;
  feedId: number;
  feedMid: string;
  active: boolean;
}

/** The subscriber streams as Janus lists them (kept on the server: they hold Janus ids). */
function janusStreamsOf(data: Record<string, unknown>): JanusStream[] {
  const list = Array.isArray(data.streams) ? data.streams : [];
  const out: JanusStream[] = [];
  for (const x of list as { mid?: unknown; feed_id?: unknown; feed_mid?: unknown; active?: unknown }[]) {
    if (typeof x.mid !== 'string' || typeof x.feed_id !== 'number' || typeof x.feed_mid !== 'string')
      continue;
    out.push({ mid: x.mid, feedId: x.feed_id, feedMid: x.feed_mid, active: x.active !== false });
  }
  return out;
}

/**
 * The subscriber offer's streams, as clients see them: names and what the publisher said each
 * stream is (`feed_description`, only if it is an `SfuSource`), never Janus ids.
 */
export function streamsOf(data: Record<string, unknown>): SfuStream[] {
  const list = Array.isArray(data.streams) ? data.streams : [];
  const out: SfuStream[] = [];
  for (const x of list as {
    mid?: unknown;
    type?: unknown;
    feed_display?: unknown;
    feed_description?: unknown;
    active?: unknown;
  }[]) {
    if (x.active === false || typeof x.mid !== 'string' || typeof x.feed_display !== 'string') continue;
    if (x.type !== 'audio' && x.type !== 'video') continue;
    if (!NAME_PATTERN.test(x.feed_display)) continue;
    const source = sourceOf(x.feed_description);
    out.push({ mid: x.mid, feed: x.feed_display, kind: x.type, ...(source ? { source } : {}) });
  }
  return out;
}

/**
 * Runs a Janus exchange, turning its failures into protocol errors: a description Janus cannot
 * use is the client's fault (BAD_MESSAGE); anything else means the SFU is not usable now.
 */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ParleyError) throw err;
    if (err instanceof JanusError && err.code !== undefined && BAD_SDP_CODES.has(err.code)) {
      throw new ParleyError('BAD_MESSAGE', 'the SFU could not use this session description', { cause: err });
    }
    throw new ParleyError('SFU_UNAVAILABLE', 'the SFU could not handle this request', { cause: err });
  }
}
