/**
 * The Janus instances this node talks to (one `JanusLink` each) and the VideoRoom rooms this node
 * made in them: a Parley room's Janus room id and secret (derived from its name, so every node
 * sharing the same Janus and admin key agrees on them without talking), creating it on the
 * placement's instance (again after a reconnection), destroying it, and this node's `SfuRoom`
 * state per room, rebuilt when the directory's placement changed.
 *
 * It does not read the directory: callers hand it the placement they read. Imports the protocol,
 * the log, the directory's types and the Janus modules.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { NAME_PATTERN, ParleyError } from '@parley/protocol';
import type { SfuPlacement } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import { JanusError, type JanusSession } from './janus-client.ts';
import { guard } from './janus-guard.ts';
import { JanusLink } from './janus-link.ts';
import type { SfuConfig } from './sfu-config.ts';
import type { Member, SfuRoom } from './sfu-room-state.ts';

/** VideoRoom error: the room already exists (a create raced with another). */
const ROOM_EXISTS = 427;
/** How long a request waits for this node's connection to the room's Janus to come back. */
const WAIT_UP_MS = 3000;

/** A Janus room id (a positive integer below 2^48) derived from the Parley room name. */
export function roomIdFor(room: string): number {
  const h = createHash('sha256').update(`parley-room:${room}`).digest();
  return h.readUIntBE(0, 6) + 1;
}

/** What a link's state changes are reported to (sfu-failover.ts). */
export interface LinkEvents {
  /** An established connection dropped (once per outage). */
  onDown(link: JanusLink): void;
  /** A connection was (re-)established. */
  onUp(link: JanusLink): void;
  /** Whether the room's creator required E2EE: its Janus room is created with `require_e2ee`. */
  requireE2ee?: ((room: string) => Promise<boolean>) | undefined;
}

/** The Janus instances and this node's rooms in them. */
export class JanusRooms {
  readonly #config: Pick<SfuConfig, 'janusAdminKey' | 'maxPeersPerRoom'>;
  readonly #log: Logger;
  /** One per configured Janus, in configuration order. */
  readonly links: readonly JanusLink[];
  readonly #rooms = new Map<string, SfuRoom>();
  readonly #key: string;
  readonly #requireE2ee: (room: string) => Promise<boolean>;

  constructor(
    config: Pick<SfuConfig, 'janusUrls' | 'janusApiSecret' | 'janusAdminKey' | 'maxPeersPerRoom'>,
    log: Logger,
    events: LinkEvents,
  ) {
    this.#config = config;
    this.#log = log;
    this.#requireE2ee = events.requireE2ee ?? (async () => false);
    // Room secrets are derived from the admin key so every node computes the same ones.
    this.#key = config.janusAdminKey ?? config.janusApiSecret ?? randomBytes(32).toString('base64url');
    this.links = config.janusUrls.map(
      (url) =>
        new JanusLink({
          url,
          apiSecret: config.janusApiSecret,
          log,
          onDown: (link) => events.onDown(link),
          onUp: (link) => events.onUp(link),
        }),
    );
  }

  /** Starts connecting to every Janus (in the background). */
  start(): void {
    for (const l of this.links) l.start();
  }

  /** The link to the instance at `url`, if this node is configured with it. */
  linkFor(url: string): JanusLink | undefined {
    return this.links.find((l) => l.url === url);
  }

  /** URLs of the instances this node is connected to, in configuration order. */
  upUrls(): string[] {
    return this.links.filter((l) => l.up).map((l) => l.url);
  }

  /** The first configured instance (where a room waits, marked down, while none is up). */
  firstUrl(): string {
    return this.links[0]!.url;
  }

  /** This node's state for `room`, if it has any. */
  get(room: string): SfuRoom | undefined {
    return this.#rooms.get(room);
  }

  /** This node's state for every room, as a copy (callers may drop rooms while iterating). */
  all(): SfuRoom[] {
    return [...this.#rooms.values()];
  }

  /** This node's state for `room`, rebuilt when the placement changed (moved, recreated). */
  follow(room: string, placement: SfuPlacement): SfuRoom {
    const link = this.linkFor(placement.janus);
    if (!link) throw new ParleyError('SFU_UNAVAILABLE', 'the SFU of this room is not reachable from here');
    const r = this.#rooms.get(room);
    if (r && r.placement.epoch === placement.epoch && r.link === link) return r;
    if (r) {
      // Members' Janus sessions belong to the old instance (or the old run of it): start over.
      void this.dropMembers(r);
      r.placement = placement;
      r.link = link;
      r.linkEpoch = -1;
      return r;
    }
    const fresh: SfuRoom = {
      name: room,
      janusId: roomIdFor(room),
      secret: this.#secretFor(room),
      placement,
      link,
      linkEpoch: -1,
      creating: undefined,
      e2ee: false,
      members: new Map(),
    };
    this.#rooms.set(room, fresh);
    return fresh;
  }

  /** Makes sure the room exists in its Janus (again, after this node's connection to it changed). */
  async ensure(r: SfuRoom): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (r.link.up && r.link.epoch === r.linkEpoch && !r.creating) return;
      if (!r.link.up && !(await r.link.waitUp(WAIT_UP_MS))) break;
      if (!r.creating) {
        r.creating = this.#create(r).finally(() => {
          r.creating = undefined;
        });
      }
      await r.creating;
    }
    if (!(r.link.up && r.link.epoch === r.linkEpoch))
      throw new ParleyError('SFU_UNAVAILABLE', 'the SFU of this room is not reachable right now');
  }

  async #create(r: SfuRoom): Promise<void> {
    const link = r.link;
    const epoch = link.epoch;
    // Sessions made through an older connection died with it.
    if (r.linkEpoch !== -1 && r.linkEpoch !== epoch) r.members.clear();
    const e2ee = await this.#requireE2ee(r.name).catch(() => false);
    r.e2ee = e2ee;
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
          ...(e2ee ? { require_e2ee: true } : {}),
        });
      } catch (err) {
        if (!(err instanceof JanusError && err.kind === 'plugin' && err.code === ROOM_EXISTS)) throw err;
      }
    });
    if (r.link === link) r.linkEpoch = epoch;
    this.#log.debug({ room: r.name, janus: link.url }, 'sfu room ready');
  }

  /** Members publishing in the Janus room: name → feed id. Names are ours (the `display`). */
  async publishers(r: SfuRoom): Promise<Map<string, number>> {
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

  /**
   * What Janus says of `feed`'s streams now (the reply's data, `streams` with each one's type and
   * mid). Janus lists a publisher's streams only to its subscribers, so a throwaway subscriber
   * handle on `js` (by default the admin handle's session) joins for it and goes; its offer is
   * never answered.
   */
  async feedStreams(r: SfuRoom, feed: number, js?: JanusSession): Promise<Record<string, unknown>> {
    const probe = await (js ?? r.link.admin().session).attach();
    try {
      const reply = await probe.message({
        request: 'join',
        ptype: 'subscriber',
        room: r.janusId,
        streams: [{ feed }],
      });
      return reply.data;
    } finally {
      await probe.detach().catch(() => {});
    }
  }

  /** Destroys the Janus room of `room` on the instance at `url`, if connected to it. */
  async destroyRoom(room: string, url: string): Promise<void> {
    const link = this.linkFor(url);
    if (!link?.up) return;
    await link
      .admin()
      .message({ request: 'destroy', room: roomIdFor(room), secret: this.#secretFor(room) })
      .catch((err: unknown) => this.#log.debug({ err, room }, 'sfu room destroy failed'));
  }

  /** Destroys the Janus room of `room` on every instance this node is connected to. */
  async destroyEverywhere(room: string): Promise<void> {
    await Promise.all(this.upUrls().map((url) => this.destroyRoom(room, url)));
  }

  /**
   * Ends this node's state for `room` (`r`, the state the caller saw; by default the current
   * one) and, given `janus`, destroys the Janus room there. The state is forgotten only if it is
   * still the current one: a member may have rebuilt it meanwhile.
   */
  async retire(room: string, janus: string | undefined, r = this.#rooms.get(room)): Promise<void> {
    if (this.#rooms.get(room) === r) this.#rooms.delete(room);
    if (r) await this.dropMembers(r);
    if (janus) await this.destroyRoom(room, janus);
  }

  /** Forgets `r` (and ends its members' Janus sessions) if it is still the room's state; true if so. */
  async discard(r: SfuRoom): Promise<boolean> {
    if (this.#rooms.get(r.name) !== r) return false;
    this.#rooms.delete(r.name);
    await this.dropMembers(r);
    return true;
  }

  /** Forgets `r` if no member on this node uses it: only rooms with members here keep state. */
  discardIfIdle(r: SfuRoom): void {
    if (r.members.size === 0 && this.#rooms.get(r.name) === r) this.#rooms.delete(r.name);
  }

  /** A connection dropped: the Janus sessions this node made through it died with it. */
  lost(link: JanusLink): void {
    for (const r of this.#rooms.values()) if (r.link === link) r.members.clear();
  }

  /** Ends one member's Janus session, if it is still the member's current one. */
  forgetMember(r: SfuRoom, m: Member): void {
    if (r.members.get(m.session.name) === m) r.members.delete(m.session.name);
    void m.js.destroy();
  }

  /** Ends this node's Janus sessions in a room. */
  async dropMembers(r: SfuRoom): Promise<void> {
    const members = [...r.members.values()];
    r.members.clear();
    await Promise.allSettled(members.map((m) => m.js.destroy()));
  }

  /** Forgets every room, ending this node's Janus sessions in them. */
  async dropAll(): Promise<void> {
    const rooms = [...this.#rooms.values()];
    this.#rooms.clear();
    await Promise.allSettled(rooms.map((r) => this.dropMembers(r)));
  }

  /** Stops reconnecting and closes every connection (Janus drops this node's sessions with it). */
  closeLinks(): void {
    for (const l of this.links) l.close();
  }

  #secretFor(room: string): string {
    return createHmac('sha256', this.#key).update(`room:${room}`).digest('base64url');
  }
}
