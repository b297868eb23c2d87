/**
 * The pure part of a member's subscriber connection: which feeds it should carry after an
 * `sfu.subscribe`, which publisher streams changed, the VideoRoom `update` request that gets it
 * there, and the subscriber streams read from Janus's reply (as Janus knows them, with its ids,
 * and as clients see them, by name). No I/O: sfu-media.ts does the Janus exchanges. Imports the
 * protocol and sources.ts only.
 */
import { NAME_PATTERN, type SfuStream } from '@parley/protocol';
import { sourceOf } from './sources.ts';

/** One stream of a Janus subscriber handle: our mid, the publisher's feed id and mid. */
export interface JanusStream {
  mid: string;
  feedId: number;
  feedMid: string;
  active: boolean;
}

/** One publisher stream, by the publisher's feed id and mid (a VideoRoom `update` entry). */
export interface FeedMid {
  feed: number;
  mid: string;
}

/** What an `sfu.subscribe` asks of the subscriber connection, by feed. */
export interface FeedPlan {
  /** The feeds the connection carries afterwards: name → Janus feed id. */
  target: Map<string, number>;
  /** Feeds to subscribe to (new, or published again under a new id). */
  added: [string, number][];
  /** Feeds to drop (no longer asked for, gone, or replaced by a new id). */
  removed: [string, number][];
}

/**
 * Feeds received already whose streams changed: the streams to add and to end, by the
 * publisher's mids (Janus would subscribe a whole feed again, copies included).
 */
export interface StreamChanges {
  add: FeedMid[];
  end: FeedMid[];
}

/**
 * The feeds a subscriber connection should carry: those of `requested` that publish now, never
 * the member's own (`self`), compared with what it carries (`current`).
 */
export function planFeeds(
  publishing: ReadonlyMap<string, number>,
  requested: readonly string[],
  self: string,
  current: ReadonlyMap<string, number>,
): FeedPlan {
  const target = new Map<string, number>();
  for (const name of requested) {
    const id = publishing.get(name);
    if (name !== self && id !== undefined) target.set(name, id);
  }
  const added = [...target].filter(([n, id]) => current.get(n) !== id);
  const removed = [...current].filter(([n, id]) => target.get(n) !== id);
  return { target, added, removed };
}

/** The publisher mids of `feed` among `streams` that are active. */
export function activeMids(streams: readonly JanusStream[], feed: number): string[] {
  return streams.filter((x) => x.active && x.feedId === feed).map((x) => x.feedMid);
}

/** Adds to `changes` the streams of `feed` published now (`now`) but not received (`had`), and the reverse. */
export function diffStreams(
  changes: StreamChanges,
  feed: number,
  now: readonly string[],
  had: readonly string[],
): void {
  for (const mid of now) if (!had.includes(mid)) changes.add.push({ feed, mid });
  for (const mid of had) if (!now.includes(mid)) changes.end.push({ feed, mid });
}

/** True when neither the feeds nor any feed's streams change. */
export function nothingChanges(plan: FeedPlan, changes: StreamChanges): boolean {
  return (
    plan.added.length === 0 && plan.removed.length === 0 && changes.add.length + changes.end.length === 0
  );
}

/** The VideoRoom `update` request moving an existing subscriber handle to `plan` and `changes`. */
export function updateRequest(plan: FeedPlan, changes: StreamChanges): Record<string, unknown> {
  const subscribe = [...plan.added.map(([, feed]) => ({ feed })), ...changes.add];
  const unsubscribe = [...plan.removed.map(([, feed]) => ({ feed })), ...changes.end];
  return {
    request: 'update',
    ...(subscribe.length > 0 ? { subscribe } : {}),
    ...(unsubscribe.length > 0 ? { unsubscribe } : {}),
  };
}

/** The subscriber streams as Janus lists them (kept on the server: they hold Janus ids). */
export function janusStreamsOf(data: Record<string, unknown>): JanusStream[] {
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
