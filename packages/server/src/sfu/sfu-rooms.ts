/**
 * Large rooms through an SFU (Janus's VideoRoom plugin). A room starts in `mesh` mode (peers
 * connect to each other by `signal`); once more than `PARLEY_SFU_THRESHOLD` members are in it,
 * it moves to `sfu` mode: each member then publishes one upstream to Janus and receives the
 * others' media over one subscriber connection, all negotiated with `sfu.*` frames.
 *
 * The server is the only Janus client. It checks every `sfu.*` request (membership, mode,
 * schema already checked by the codec) and turns it into a fixed set of VideoRoom requests, so a
 * client can never send Janus anything else; Janus's address, API secret, admin key, room
 * secrets and numeric ids stay here. A Parley room maps to a Janus room whose id and secret are
 * derived from the room name (a hash, and an HMAC keyed with the admin key), so nodes sharing
 * the same Janus and key agree on them without talking to each other.
 *
 * With several Janus instances (`PARLEY_JANUS_URL` a comma list) each room goes to one of those
 * that are up, chosen by rendezvous hashing on the room name. When a Janus connection drops,
 * the members of its rooms get `error SFU_UNAVAILABLE`; once an instance is available again the
 * rooms are recreated on demand and members get `room.mode sfu` so they publish afresh.
 *
 * Limitations: the room mode is decided by each node from the cluster-wide member count, and
 * kept in that node's memory.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  type ClientMessageOf,
  NAME_PATTERN,
  ParleyError,
  type RoomMode,
  type SfuStream,
} from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import { JanusError, type JanusHandle, type JanusSession, type PluginReply } from './janus-client.ts';
import { JanusLink } from './janus-link.ts';

/** VideoRoom error: the room already exists (a create raced with another). */
const ROOM_EXISTS = 427;
/** Janus core error: the SDP could not be processed (the client's description is bad). */
const BAD_SDP_CODES = new Set([465, 466]);

/** The part of the configuration the SFU reads. */
export interface SfuConfig {
  readonly janusUrls: readonly string[];
  readonly janusApiSecret: string | undefined;
  readonly janusAdminKey: string | undefined;
  readonly sfuThreshold: number;
  readonly maxPeersPerRoom: number;
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
}

/** A room in SFU mode, as known on this node. */
interface SfuRoom {
  readonly name: string;
  readonly janusId: number;
  readonly secret: string;
  link: JanusLink | undefined;
  /** Epoch of `link` when the room was created in it; a new epoch means recreate. */
  epoch: number;
  creating: Promise<void> | undefined;
  readonly members: Map<string, Member>;
}

/** SFU rooms of this node. */
export class SfuRooms {
  readonly #config: SfuConfig;
  readonly #directory: Directory;
  readonly #relay: Relay;
  readonly #log: Logger;
  readonly #links: JanusLink[];
  readonly #rooms = new Map<string, SfuRoom>();
  readonly #key: string;
  #closed = false;

  constructor(config: SfuConfig, directory: Directory, relay: Relay, log: Logger) {
    this.#config = config;
    this.#directory = directory;
    this.#relay = relay;
    this.#log = log.child({ component: 'sfu' });
    // Room secrets are derived from the admin key so every node computes the same ones.
    this.#key = config.janusAdminKey ?? config.janusApiSecret ?? randomBytes(32).toString('base64url');
    this.#links = config.janusUrls.map(
      (url) =>
        new JanusLink({
          url,
          apiSecret: config.janusApiSecret,
          log: this.#log,
          onDown: (link) => this.#linkDown(link),
          onUp: (link) => this.#linkUp(link),
        }),
    );
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
  }

  /** The room's mode on this node. */
  mode(room: string): RoomMode {
    return this.#rooms.has(room) ? 'sfu' : 'mesh';
  }

  /**
   * A member was admitted to `room`, which now has `members` members: decides the mode. Returns
   * it, and whether the room just moved to `sfu` (the other members must be told).
   */
  joined(room: string, members: number): { mode: RoomMode; changed: boolean } {
    if (!this.enabled) return { mode: 'mesh', changed: false };
    if (this.#rooms.has(room)) return { mode: 'sfu', changed: false };
    if (members <= this.#config.sfuThreshold) return { mode: 'mesh', changed: false };
    this.#rooms.set(room, {
      name: room,
      janusId: roomIdFor(room),
      secret: createHmac('sha256', this.#key).update(`room:${room}`).digest('base64url'),
      link: undefined,
      epoch: -1,
      creating: undefined,
      members: new Map(),
    });
    this.#log.info({ room, members }, 'room moved to sfu');
    return { mode: 'sfu', changed: true };
  }

  /** `session` left `room` (or ended): its Janus session goes; an empty room returns to mesh. */
  async left(session: Session, room: string): Promise<void> {
    const r = this.#rooms.get(room);
    if (!r) return;
    const m = r.members.get(session.name);
    if (m) {
      r.members.delete(session.name);
      await m.js.destroy();
      if (m.published) await this.#announce(r).catch(() => {});
    }
    const remaining = await this.#directory.members(room).catch(() => undefined);
    if (remaining !== undefined && remaining.length === 0 && this.#rooms.get(room) === r) {
      this.#rooms.delete(room);
      await this.#destroyRoom(r);
      this.#log.info({ room }, 'room back to mesh');
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
        });
        m.pub = pub;
      }
      // A second publish on a live connection is a renegotiation (`configure` with a new offer).
      const request = m.published ? 'configure' : 'publish';
      return m.pub.message({ request }, { type: 'offer', sdp: msg.description.sdp });
    });
    if (reply.jsep?.type !== 'answer' || typeof reply.jsep.sdp !== 'string') {
      throw new ParleyError('SFU_UNAVAILABLE', 'the SFU did not answer the offer');
    }
    m.published = true;
    const frame: Record<string, unknown> = {
      type: 'sfu.published',
      room: msg.room,
      description: { type: 'answer', sdp: reply.jsep.sdp },
    };
    if (msg.id !== undefined) frame.re = msg.id;
    s.send('sfu.published', JSON.stringify(frame));
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
    const publishing = await this.#publishers(r);
    const target = new Map<string, number>();
    for (const name of msg.feeds) {
      const id = publishing.get(name);
      if (name !== s.name && id !== undefined) target.set(name, id);
    }
    const added = [...target].filter(([n, id]) => m.subFeeds.get(n) !== id);
    const removed = [...m.subFeeds].filter(([n, id]) => target.get(n) !== id);
    if (added.length === 0 && removed.length === 0) {
      ack(s, msg.id);
      return;
    }
    const reply = await guard(async (): Promise<PluginReply> => {
      if (!m.sub) {
        if (target.size === 0) return { data: {} };
        const sub = await m.js.attach();
        m.sub = sub;
        return sub.message({
          request: 'join',
          ptype: 'subscriber',
          room: r.janusId,
          streams: [...target.values()].map((feed) => ({ feed })),
        });
      }
      return m.sub.message({
        request: 'update',
        ...(added.length > 0 ? { subscribe: added.map(([, feed]) => ({ feed })) } : {}),
        ...(removed.length > 0 ? { unsubscribe: removed.map(([, feed]) => ({ feed })) } : {}),
      });
    });
    m.subFeeds = target;
    if (reply.jsep?.type !== 'offer' || typeof reply.jsep.sdp !== 'string') {
      m.streams = [];
      ack(s, msg.id);
      return;
    }
    m.streams = streamsOf(reply.data);
    const frame: Record<string, unknown> = {
      type: 'sfu.offer',
      room: msg.room,
      description: { type: 'offer', sdp: reply.jsep.sdp },
      streams: m.streams,
    };
    if (msg.id !== undefined) frame.re = msg.id;
    s.send('sfu.offer', JSON.stringify(frame));
  }

  /** `sfu.answer`: the member's answer to the last `sfu.offer` starts its subscriber connection. */
  async answer(s: Session, msg: ClientMessageOf<'sfu.answer'>): Promise<void> {
    const { m } = await this.#member(s, msg.room);
    if (!m.sub) throw new ParleyError('FORBIDDEN', 'no sfu.offer to answer');
    await guard(() => m.sub!.message({ request: 'start' }, { type: 'answer', sdp: msg.description.sdp }));
    ack(s, msg.id);
  }

  /** `sfu.trickle`: one ICE candidate for the publisher or subscriber connection. */
  async trickle(s: Session, msg: ClientMessageOf<'sfu.trickle'>): Promise<void> {
    const { m } = await this.#member(s, msg.room);
    const handle = msg.target === 'publisher' ? m.pub : m.sub;
    if (!handle) throw new ParleyError('FORBIDDEN', `no ${msg.target} connection to trickle to`);
    const c = msg.candidate;
    await guard(() =>
      handle.trickle(
        c === null || c.candidate === ''
          ? null
          : { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null },
      ),
    );
    ack(s, msg.id);
  }

  /** `sfu.configure`: simulcast layer or pause of one received feed. */
  async configure(s: Session, msg: ClientMessageOf<'sfu.configure'>): Promise<void> {
    const { m } = await this.#member(s, msg.room);
    const streams = m.streams.filter((x) => x.feed === msg.feed);
    if (!m.sub || streams.length === 0) throw new ParleyError('FORBIDDEN', `not receiving "${msg.feed}"`);
    const changes = streams.map((x) => {
      const c: Record<string, unknown> = { mid: x.mid };
      if (msg.substream !== undefined && x.kind === 'video') c.substream = msg.substream;
      if (msg.paused !== undefined) c.send = !msg.paused;
      return c;
    });
    await guard(() => m.sub!.message({ request: 'configure', streams: changes }));
    ack(s, msg.id);
  }

  /** Closes every Janus connection (Janus then drops our sessions and rooms empty out). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const rooms = [...this.#rooms.values()];
    this.#rooms.clear();
    await Promise.allSettled(rooms.map((r) => this.#destroyRoom(r)));
    for (const l of this.#links) l.close();
  }

  // -------------------------------------------------------------------------------------------

  /** The caller's state in an SFU room, creating the Janus room and session on first use. */
  async #member(s: Session, room: string): Promise<{ r: SfuRoom; m: Member }> {
    if (!s.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${room}"`);
    const r = this.#rooms.get(room);
    if (!r) throw new ParleyError('SFU_UNAVAILABLE', `room "${room}" is in mesh mode`);
    await this.#ensureRoom(r);
    const existing = r.members.get(s.name);
    if (existing && existing.session === s && !existing.js.closed) return { r, m: existing };
    const js = await guard(() => r.link!.client().createSession());
    const m: Member = {
      session: s,
      js,
      pub: undefined,
      published: false,
      sub: undefined,
      subFeeds: new Map(),
      streams: [],
    };
    const raced = r.members.get(s.name);
    if (raced && raced.session === s && !raced.js.closed) {
      await js.destroy();
      return { r, m: raced };
    }
    r.members.set(s.name, m);
    return { r, m };
  }

  /** Makes sure the room exists in a connected Janus (again, after that Janus restarted). */
  async #ensureRoom(r: SfuRoom): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (r.link?.up && r.link.epoch === r.epoch && !r.creating) return;
      if (!r.creating) {
        r.creating = this.#createRoom(r).finally(() => {
          r.creating = undefined;
        });
      }
      await r.creating;
    }
    if (!(r.link?.up && r.link.epoch === r.epoch))
      throw new ParleyError('SFU_UNAVAILABLE', 'no SFU available');
  }

  async #createRoom(r: SfuRoom): Promise<void> {
    const link = this.#pick(r.name);
    if (!link) throw new ParleyError('SFU_UNAVAILABLE', 'no SFU is reachable right now');
    const epoch = link.epoch;
    // Members' Janus sessions belong to the old instance (or the old run of it): start over.
    if (r.link !== link || r.epoch !== epoch) {
      for (const m of r.members.values()) void m.js.destroy();
      r.members.clear();
    }
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
    r.link = link;
    r.epoch = epoch;
    this.#log.debug({ room: r.name, janus: link.url }, 'sfu room ready');
  }

  async #destroyRoom(r: SfuRoom): Promise<void> {
    for (const m of r.members.values()) await m.js.destroy();
    r.members.clear();
    const link = r.link;
    if (!link?.up || link.epoch !== r.epoch) return;
    await link
      .admin()
      .message({ request: 'destroy', room: r.janusId, secret: r.secret })
      .catch((err: unknown) => this.#log.debug({ err, room: r.name }, 'sfu room destroy failed'));
  }

  /** Rendezvous hashing: the same Janus for a room on every node, among those that are up. */
  #pick(room: string): JanusLink | undefined {
    let best: JanusLink | undefined;
    let bestScore = '';
    for (const l of this.#links) {
      if (!l.up) continue;
      const score = createHash('sha256').update(`${l.url}\n${room}`).digest('hex');
      if (score > bestScore) {
        best = l;
        bestScore = score;
      }
    }
    return best;
  }

  /** Members publishing in the Janus room: name → feed id. Names are ours (the `display`). */
  async #publishers(r: SfuRoom): Promise<Map<string, number>> {
    const reply = await guard(() =>
      r.link!.admin().message({ request: 'listparticipants', room: r.janusId, secret: r.secret }),
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
    if (!r.link?.up) return;
    const publishing = await this.#publishers(r);
    const feeds = [...publishing.keys()].sort().map((name) => ({ name }));
    await this.#relay.broadcast(
      r.name,
      '',
      'sfu.feeds',
      JSON.stringify({ type: 'sfu.feeds', room: r.name, feeds }),
    );
  }

  /** A Janus connection dropped: members of its rooms lose their media and are told. */
  #linkDown(link: JanusLink): void {
    for (const r of this.#rooms.values()) {
      if (r.link !== link) continue;
      r.members.clear();
      const frame = JSON.stringify({
        type: 'error',
        code: 'SFU_UNAVAILABLE',
        message: 'the SFU of this room went away; media resumes when it is back',
      });
      void this.#relay.broadcast(r.name, '', 'error', frame).catch(() => {});
      // Another instance may take the room at once.
      if (this.#pick(r.name)) this.#reopen(r);
    }
  }

  /** A Janus (re)connected: rooms without a working instance come back; members re-publish. */
  #linkUp(link: JanusLink): void {
    for (const r of this.#rooms.values()) {
      if (r.link?.up && r.link !== link) continue;
      if (this.#pick(r.name) !== link && r.link?.up) continue;
      this.#reopen(r);
    }
  }

  #reopen(r: SfuRoom): void {
    this.#ensureRoom(r)
      .then(() =>
        this.#relay.broadcast(
          r.name,
          '',
          'room.mode',
          JSON.stringify({ type: 'room.mode', room: r.name, mode: 'sfu' }),
        ),
      )
      .catch((err: unknown) => this.#log.warn({ err, room: r.name }, 'sfu room not recreated'));
  }
}

/** A Janus room id (a positive integer below 2^48) derived from the Parley room name. */
export function roomIdFor(room: string): number {
  const h = createHash('sha256').update(`parley-room:${room}`).digest();
  return h.readUIntBE(0, 6) + 1;
}

/** Sends `ack {re}` when the request had an id. */
function ack(s: Session, re: string | number | undefined): void {
  if (re !== undefined) s.send('ack', JSON.stringify({ type: 'ack', re }));
}

/** The subscriber offer's streams, as clients see them (names, never Janus ids). */
function streamsOf(data: Record<string, unknown>): SfuStream[] {
  const list = Array.isArray(data.streams) ? data.streams : [];
  const out: SfuStream[] = [];
  for (const x of list as { mid?: unknown; type?: unknown; feed_display?: unknown; active?: unknown }[]) {
    if (x.active === false || typeof x.mid !== 'string' || typeof x.feed_display !== 'string') continue;
    if (x.type !== 'audio' && x.type !== 'video') continue;
    if (!NAME_PATTERN.test(x.feed_display)) continue;
    out.push({ mid: x.mid, feed: x.feed_display, kind: x.type });
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
