/**
 * A host's mute enforced by the SFU: Janus's VideoRoom `moderate` request stops (or resumes)
 * forwarding a publisher's audio streams to every subscriber, whatever the publisher's own
 * client keeps sending. Used by sfu-rooms.ts for `host.mute`, `host.mute_all` and the member's
 * own unmute (rooms/moderation.ts decides when).
 *
 * A publisher's mids are read from what Janus tells a subscriber (janus-rooms.ts `feedStreams`).
 * Changing several streams is all or nothing: when one `moderate` fails, those already changed
 * are set back before the failure is thrown.
 *
 * May import: the Janus client's types and the SFU room state.
 */
import type { JanusHandle } from './janus-client.ts';
import type { SfuRoom } from './sfu-room-state.ts';

/** One audio stream of one publisher, as `moderate` names it. */
export interface AudioStream {
  feed: number;
  mid: string;
}

/** The mids of `feed`'s audio streams in `streams`, what Janus said of the feed (`feedStreams`). */
export function audioMidsOf(streams: Record<string, unknown>, feed: number): string[] {
  const list = Array.isArray(streams.streams) ? streams.streams : [];
  const mids: string[] = [];
  for (const x of list as { type?: unknown; feed_id?: unknown; feed_mid?: unknown }[]) {
    if (x.type === 'audio' && x.feed_id === feed && typeof x.feed_mid === 'string') mids.push(x.feed_mid);
  }
  return mids;
}

/**
 * Mutes (or unmutes) every stream of `streams` in the Janus room of `r`, all or nothing: on a
 * failure the streams already changed are set back (best effort) and the failure is thrown.
 */
export async function moderateAll(r: SfuRoom, streams: readonly AudioStream[], mute: boolean): Promise<void> {
  const admin = r.link.admin();
  const done: AudioStream[] = [];
  try {
    for (const s of streams) {
      await moderate(admin, r, s, mute);
      done.push(s);
    }
  } catch (err) {
    await Promise.allSettled(done.map((s) => moderate(admin, r, s, !mute)));
    throw err;
  }
}

function moderate(admin: JanusHandle, r: SfuRoom, s: AudioStream, mute: boolean) {
  return admin.message({
    request: 'moderate',
    room: r.janusId,
    secret: r.secret,
    id: s.feed,
    mid: s.mid,
    mute,
  });
}
