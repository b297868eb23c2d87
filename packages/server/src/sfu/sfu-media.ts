/**
 * Each member's media in an SFU room, as `sfu.*` requests drive it: its Janus session, its
 * publisher handle (`sfu.publish`, `sfu.unpublish`), its subscriber handle (`sfu.subscribe`,
 * `sfu.answer`, `sfu.configure`), ICE candidates for both (`sfu.trickle`), and who publishes
 * (`sfu.feeds`). Every request is checked (membership, mode) and turned into a fixed set of
 * VideoRoom requests, so a client can never send Janus anything else.
 *
 * The room's placement is read from the directory on every request; janus-rooms.ts follows it
 * (rebuilding this node's state when it changed) and keeps the room in Janus. Imports the
 * protocol, the directory's and relay's types, the session's type, frames and the SFU modules
 * below it (janus-rooms, candidate-gate, subscription, sources, sfu-room-state).
 */
import { type ClientMessageOf, ParleyError } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Logger } from '../log.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import { type Frame, frame } from '../wire/frames.ts';
import type { CandidateGate } from './candidate-gate.ts';
import { JanusError, type PluginReply } from './janus-client.ts';
import { guard } from './janus-guard.ts';
import type { JanusRooms } from './janus-rooms.ts';
import { dropSubscriber, type Member, newMember, type SfuRoom } from './sfu-room-state.ts';
import { janusDescriptions } from './sources.ts';
import {
  activeMids,
  diffStreams,
  type FeedPlan,
  janusStreamsOf,
  nothingChanges,
  planFeeds,
  type StreamChanges,
  streamsOf,
  updateRequest,
} from './subscription.ts';

/** What `SfuMedia` works with. */
export interface SfuMediaDeps {
  readonly directory: Pick<Directory, 'sfuPlacement'>;
  readonly rooms: JanusRooms;
  readonly relay: Pick<Relay, 'broadcast'>;
  readonly candidates: CandidateGate;
  readonly log: Logger;
}

/** The members' media in this node's SFU rooms. */
export class SfuMedia {
  readonly #directory: Pick<Directory, 'sfuPlacement'>;
  readonly #rooms: JanusRooms;
  readonly #relay: Pick<Relay, 'broadcast'>;
  readonly #candidates: CandidateGate;
  readonly #log: Logger;

  constructor(deps: SfuMediaDeps) {
    this.#directory = deps.directory;
    this.#rooms = deps.rooms;
    this.#relay = deps.relay;
    this.#candidates = deps.candidates;
    this.#log = deps.log;
  }

  /**
   * Tells a member who joined a room already in `sfu` who publishes there (`sfu.feeds`, to it
   * alone): the others heard of each publisher when its media came up, and a receive-only
   * newcomer would otherwise see nobody until the set of publishers changes.
   */
  async greet(s: Session, room: string): Promise<void> {
    const placement = await this.#directory.sfuPlacement(room);
    if (!placement || placement.down || !s.rooms.has(room)) return;
    const r = this.#rooms.follow(room, placement);
    await this.#rooms.ensure(r);
    if (!r.link.up) return;
    const { feeds, count } = await this.#feedsFrame(r);
    if (count > 0) s.send(feeds);
  }

  /** `session` left the room of `r`: its Janus session goes, and if it published the others hear. */
  async leave(r: SfuRoom | undefined, session: Session): Promise<void> {
    const m = r?.members.get(session.name);
    if (!r || !m || m.session !== session) return;
    r.members.delete(session.name);
    await m.js.destroy();
    if (m.published) await this.#announceOrLog(r);
  }

  /** `sfu.publish`: the member's offer goes to its publisher handle; replies `sfu.published`. */
  async publish(s: Session, msg: ClientMessageOf<'sfu.publish'>): Promise<void> {
    const { r, m } = await this.#member(s, msg.room);
    const reply = await guard(async () => {
      if (!m.pub) await this.#openPublisher(r, m);
      // A second publish on a live connection is a renegotiation (`configure` with a new offer).
      const request = m.published ? 'configure' : 'publish';
      const sdp = this.#candidates.filterSdp(ipOf(s), msg.description.sdp);
      m.pubCandidates = 0;
      // What each m-line carries, for subscribers (`source` in their `sfu.offer` streams).
      const descriptions = janusDescriptions(sdp, msg.sources);
      // In a room that requires E2EE, Janus refuses a publisher whose offer is not marked `e2ee`
      // (every member declared encryption at `room.join`).
      return m.pub!.message(
        { request, ...(descriptions ? { descriptions } : {}) },
        { type: 'offer', sdp, ...(r.e2ee ? { e2ee: true } : {}) },
      );
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

  /** Attaches and joins the member's publisher handle, following its media's life. */
  async #openPublisher(r: SfuRoom, m: Member): Promise<void> {
    const pub = await m.js.attach();
    await pub.message({ request: 'join', ptype: 'publisher', room: r.janusId, display: m.session.name });
    pub.on((e) => {
      // Janus lists a publisher once its media is up, so that is when the others hear of it;
      // and when its PeerConnection ends (ICE failure, page gone), its feed goes away.
      if (e.kind === 'webrtcup') void this.#announceOrLog(r);
      if (e.kind === 'hangup' && m.published) {
        m.published = false;
        void this.#announceOrLog(r);
      }
      // The Janus room was destroyed (the room went back to mesh, maybe by another node).
      if (e.kind === 'event' && e.data.videoroom === 'destroyed') this.#rooms.forgetMember(r, m);
    });
    m.pub = pub;
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
      void dropSubscriber(m)
        ?.detach()
        .catch(() => {});
    }
    const plan = planFeeds(await this.#rooms.publishers(r), msg.feeds, s.name, m.subFeeds);
    const changes = await this.#streamChanges(r, m, plan, msg.refresh);
    if (nothingChanges(plan, changes)) {
      ack(s, msg.id);
      return;
    }
    const reply = await guard(() =>
      m.sub ? m.sub.message(updateRequest(plan, changes)) : this.#openSubscriber(r, m, plan),
    );
    m.subFeeds = plan.target;
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
   * The streams of feeds received already (and named in `refresh`) that changed since: a feed
   * just added is subscribed whole anyway.
   */
  async #streamChanges(
    r: SfuRoom,
    m: Member,
    plan: FeedPlan,
    refresh: readonly string[] | undefined,
  ): Promise<StreamChanges> {
    const changes: StreamChanges = { add: [], end: [] };
    for (const name of new Set(refresh ?? [])) {
      // Checked again for each feed: the connection may hang up while a probe runs.
      const feed = plan.target.get(name);
      if (!m.sub || feed === undefined || m.subFeeds.get(name) !== feed) continue;
      const now = await guard(() => this.#publishedMids(r, m, feed));
      diffStreams(changes, feed, now, activeMids(m.janusStreams, feed));
    }
    return changes;
  }

  /**
   * Attaches the member's subscriber handle and joins it to the feeds of `plan` (no handle and
   * an empty answer when none publishes yet), following the connection's life.
   */
  async #openSubscriber(r: SfuRoom, m: Member, plan: FeedPlan): Promise<PluginReply> {
    if (plan.target.size === 0) return { data: {} };
    const sub = await m.js.attach();
    sub.on((e) => {
      if (e.kind === 'event' && e.data.videoroom === 'destroyed') this.#rooms.forgetMember(r, m);
      // Janus hung up the subscriber connection (the client closed it, or ICE failed): the
      // handle is useless now, so the next `sfu.subscribe` starts a fresh one with an offer,
      // even for the same feeds (a client restarting its subscriber connection).
      if (e.kind === 'hangup' && m.sub === sub) {
        dropSubscriber(m);
        void sub.detach();
      }
    });
    m.sub = sub;
    m.subCandidates = 0;
    return sub.message({
      request: 'join',
      ptype: 'subscriber',
      room: r.janusId,
      // Janus would otherwise send an offer of its own, unasked, when a received publisher goes
      // (a reload, a leave): nobody forwards it, and the handle then refuses every later update.
      // The `sfu.subscribe` that follows the `sfu.feeds` removes the feed and gets the offer.
      autoupdate: false,
      streams: [...plan.target.values()].map((feed) => ({ feed })),
    });
  }

  /** The mids `feed` publishes now (probed through the member's own Janus session). */
  async #publishedMids(r: SfuRoom, m: Member, feed: number): Promise<string[]> {
    return activeMids(janusStreamsOf(await this.#rooms.feedStreams(r, feed, m.js)), feed);
  }

  /** `sfu.answer`: the member's answer to the last `sfu.offer` starts its subscriber connection. */
  async answer(s: Session, msg: ClientMessageOf<'sfu.answer'>): Promise<void> {
    const { r, m } = await this.#member(s, msg.room);
    if (!m.sub) throw new ParleyError('FORBIDDEN', 'no sfu.offer to answer');
    const sdp = this.#candidates.filterSdp(ipOf(s), msg.description.sdp);
    const jsep = { type: 'answer' as const, sdp, ...(r.e2ee ? { e2ee: true } : {}) };
    await guard(() => m.sub!.message({ request: 'start' }, jsep));
    ack(s, msg.id);
  }

  /**
   * `sfu.trickle`: one ICE candidate for the publisher or subscriber connection. Only candidates
   * the candidate gate admits reach Janus (others are acknowledged and dropped); a line that is
   * no candidate is `BAD_MESSAGE`, and past `SFU_CANDIDATES_MAX` for one connection `FORBIDDEN`.
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
    if (this.#candidates.admit(ipOf(s), msg.target, count, c.candidate)) {
      await guard(() =>
        handle.trickle({
          candidate: c.candidate,
          sdpMid: c.sdpMid ?? null,
          sdpMLineIndex: c.sdpMLineIndex ?? null,
        }),
      );
    }
    ack(s, msg.id);
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
   * The caller's state in an SFU room, following the directory's placement: the Janus room is
   * (re)created on the placement's instance and the member's Janus session on first use.
   */
  async #member(s: Session, room: string): Promise<{ r: SfuRoom; m: Member }> {
    if (!s.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', `not in room "${room}"`);
    const placement = await this.#directory.sfuPlacement(room);
    if (!placement) {
      const stale = this.#rooms.get(room);
      if (stale) void this.#rooms.discard(stale);
      throw new ParleyError('SFU_UNAVAILABLE', `room "${room}" is in mesh mode`);
    }
    if (placement.down) throw new ParleyError('SFU_UNAVAILABLE', 'the SFU of this room is down');
    const r = this.#rooms.follow(room, placement);
    await this.#rooms.ensure(r);
    const existing = r.members.get(s.name);
    if (existing && existing.session === s && !existing.js.closed) return { r, m: existing };
    const js = await guard(() => r.link.client().createSession());
    const raced = r.members.get(s.name);
    if (raced && raced.session === s && !raced.js.closed) {
      await js.destroy();
      return { r, m: raced };
    }
    const m = newMember(s, js);
    r.members.set(s.name, m);
    return { r, m };
  }

  /** Tells every member who publishes (`sfu.feeds`). */
  async #announce(r: SfuRoom): Promise<void> {
    if (!r.link.up) return;
    await this.#relay.broadcast(r.name, '', (await this.#feedsFrame(r)).feeds);
  }

  /** `#announce` where nobody waits for it: a failure is logged (the next change sends the list again). */
  async #announceOrLog(r: SfuRoom): Promise<void> {
    await this.#announce(r).catch((err: unknown) =>
      this.#log.debug({ err, room: r.name }, 'sfu.feeds not broadcast'),
    );
  }

  /** The `sfu.feeds` frame of who publishes in `r` now, and how many do. */
  async #feedsFrame(r: SfuRoom): Promise<{ feeds: Frame<'sfu.feeds'>; count: number }> {
    const publishing = await this.#rooms.publishers(r);
    const feeds = [...publishing.keys()].sort().map((name) => ({ name }));
    return { feeds: frame({ type: 'sfu.feeds', room: r.name, feeds }), count: feeds.length };
  }
}

/** The address the client is connected from ('' when detached): it picks the candidate policy. */
function ipOf(s: Session): string {
  return s.connection?.ip ?? '';
}

/** Sends `ack {re}` when the request had an id. */
function ack(s: Session, re: string | number | undefined): void {
  if (re !== undefined) s.send(frame({ type: 'ack', re }));
}
