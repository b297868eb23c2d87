/**
 * What each published stream is (camera, microphone, screen), carried through Janus.
 *
 * A publisher says it with `sfu.publish { sources: [{ mid, source }] }`. The server hands Janus
 * the VideoRoom's per-stream `descriptions` (`[{ mid, description }]`, accepted by `publish` and
 * `configure` since Janus 1.0), and Janus reports each stream's description to subscribers as
 * `feed_description` in their stream list; the server copies it to `source` in `sfu.offer`
 * streams. Only the three values of `SfuSource` pass either way: whatever else a Janus room holds
 * (another application's descriptions) never reaches clients.
 *
 * Entries whose mid is not an m-line of the offer are dropped, not refused: they describe nothing
 * Janus could forward, and refusing the whole publish would cost the member its media over a
 * label. The first entry for a mid wins.
 */
import { SFU_SOURCES, type SfuSource } from '@parley/protocol';

/** The `a=mid:` values of a session description, in order. */
export function sdpMids(sdp: string): Set<string> {
  const mids = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=mid:')) mids.add(line.slice('a=mid:'.length).trim());
  }
  return mids;
}

/** Janus `descriptions` for the sources whose mid is in the offer `sdp` (undefined: none given). */
export function janusDescriptions(
  sdp: string,
  sources: readonly { mid: string; source: SfuSource }[] | undefined,
): { mid: string; description: SfuSource }[] | undefined {
  if (!sources || sources.length === 0) return undefined;
  const mids = sdpMids(sdp);
  const seen = new Set<string>();
  const out: { mid: string; description: SfuSource }[] = [];
  for (const { mid, source } of sources) {
    if (!mids.has(mid) || seen.has(mid)) continue;
    seen.add(mid);
    out.push({ mid, description: source });
  }
  return out.length > 0 ? out : undefined;
}

/** A Janus stream description as a source, when it is one of ours. */
export function sourceOf(description: unknown): SfuSource | undefined {
  return typeof description === 'string' && (SFU_SOURCES as readonly string[]).includes(description)
    ? (description as SfuSource)
    : undefined;
}
