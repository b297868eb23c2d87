/**
 * The SFU's Prometheus metrics on the server's /metrics: two counters the other SFU modules bump
 * through `SfuMetrics`, and gauges read at scrape time (which Janus instances this node is
 * connected to; SFU rooms and their members per instance, cluster-wide from the directory: the
 * load placement uses). Without a registry every count is dropped (`NO_SFU_METRICS`).
 * Imports prom-client and the types of the directory, the candidate filter and the Janus link.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Directory, SfuRoomEntry } from '../directory/directory.ts';
import type { CandidateVerdict } from './candidate-filter.ts';
import type { JanusLink } from './janus-link.ts';

/**
 * Why a client ICE candidate did not reach Janus: `judgeCandidate`'s verdict, `too_many` past
 * the per-connection limit, `in_description` for lines taken out of a description.
 */
export type CandidateDropReason = Exclude<CandidateVerdict, 'ok'> | 'too_many' | 'in_description';

/** Which limit refused an SFU room: the session's, its address's, or the directory's. */
export type RoomRefusal = 'session' | 'address' | 'node';

/** What the SFU modules count. */
export interface SfuMetrics {
  candidatesDropped(reason: CandidateDropReason, n?: number): void;
  roomRefused(reason: RoomRefusal): void;
}

/** Counts nothing (no registry). */
export const NO_SFU_METRICS: SfuMetrics = {
  candidatesDropped() {},
  roomRefused() {},
};

/**
 * Rooms (or members) per Janus URL over `entries`, every configured URL present (0 if none);
 * rooms marked down count under `down`.
 */
export function countPerInstance(
  entries: readonly SfuRoomEntry[],
  urls: readonly string[],
  pick: 'rooms' | 'members',
): Map<string, number> {
  const out = new Map<string, number>(urls.map((url) => [url, 0]));
  for (const e of entries) {
    const key = e.placement.down ? 'down' : e.placement.janus;
    out.set(key, (out.get(key) ?? 0) + (pick === 'rooms' ? 1 : e.members));
  }
  return out;
}

/** Registers the SFU's metrics in `registry` and returns the counters' face. */
export function exportSfuMetrics(
  registry: Registry,
  links: readonly JanusLink[],
  directory: Pick<Directory, 'sfuRooms'>,
): SfuMetrics {
  const candidates = new Counter({
    name: 'parley_sfu_candidates_dropped_total',
    help: 'Client ICE candidates not passed to Janus, by reason (private, forbidden, blocked, hostname, malformed, too_many; in_description: lines taken out of a description).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'parley_sfu_rooms_refused_total',
    help: 'SFU rooms not created, by limit (session, address, node: PARLEY_SFU_ROOMS_PER_SESSION, _PER_IP, PARLEY_SFU_MAX_ROOMS).',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'parley_sfu_instance_up',
    help: 'Whether this node is connected to the Janus instance (1) or not (0).',
    labelNames: ['janus'],
    registers: [registry],
    collect() {
      for (const l of links) this.labels(l.url).set(l.up ? 1 : 0);
    },
  });
  const urls = links.map((l) => l.url);
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
        const entries = await directory.sfuRooms().catch(() => undefined);
        this.reset();
        if (entries)
          for (const [janus, n] of countPerInstance(entries, urls, pick)) this.labels(janus).set(n);
      },
    });
  }
  return {
    candidatesDropped: (reason, n = 1) => candidates.labels(reason).inc(n),
    roomRefused: (reason) => refused.labels(reason).inc(),
  };
}
