/**
 * What the connection panel shows for a room whose media goes through the server's SFU: read
 * from the two connections of `room.sfu` (the publisher sends our media once, the subscriber
 * receives everyone) instead of one connection per person. Field names are the W3C
 * webrtc-stats ones (`outbound-rtp` with `rid` per simulcast layer, `inbound-rtp` with
 * `trackIdentifier`, the selected `candidate-pair`).
 */
import { type Route, routeOf } from './connection-stats.ts';

/** One simulcast layer we send. */
export interface SentLayer {
  /** The layer's RTP stream id (`q`, `h`, `f` or similar); empty without simulcast. */
  rid: string;
  width?: number;
  height?: number;
  fps?: number;
  /** False when the SFU or the browser stopped this layer (nobody needs it, or no bandwidth). */
  active: boolean;
}

/** One member's video we receive. */
export interface ReceivedVideo {
  trackId: string;
  width?: number;
  height?: number;
  fps?: number;
  framesDecoded: number;
}

/** One sample of the room's SFU connections. */
export interface SfuSample {
  route: Route | null;
  rttMs?: number;
  outBps?: number;
  inBps?: number;
  layers: SentLayer[];
  received: ReceivedVideo[];
}

/** Words for a simulcast layer the SDK asked the SFU for (0 lowest … 2 highest). */
export function layerName(substream: number): string {
  return substream <= 0 ? 'low' : substream === 1 ? 'medium' : 'high';
}

type StatsEntry = Record<string, unknown> & { type: string; id: string; timestamp: number };

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The selected pair's candidate types and RTT in a report. */
function selectedPath(report: RTCStatsReport): { route: Route | null; rttMs?: number } {
  const byId = new Map<string, StatsEntry>();
  for (const s of report.values() as IterableIterator<StatsEntry>) byId.set(s.id, s);
  let pair: StatsEntry | undefined;
  for (const s of byId.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
      pair = byId.get(s.selectedCandidatePairId);
  }
  pair ??= [...byId.values()].find(
    (s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded',
  );
  if (!pair) return { route: null };
  const local = byId.get(String(pair.localCandidateId));
  const remote = byId.get(String(pair.remoteCandidateId));
  const rtt = num(pair.currentRoundTripTime);
  return {
    route: routeOf(local?.candidateType as string | undefined, remote?.candidateType as string | undefined),
    ...(rtt !== undefined ? { rttMs: rtt * 1000 } : {}),
  };
}

/** Reads samples from the SFU connections; bitrates are measured between two reads. */
export class SfuStatsReader {
  #last: { outBytes: number; inBytes: number; atMs: number } | null = null;

  /** A sample from the publisher and subscriber connections (either may be missing). */
  async read(
    publisher: RTCPeerConnection | undefined,
    subscriber: RTCPeerConnection | undefined,
  ): Promise<SfuSample> {
    const [pub, sub] = await Promise.all([publisher?.getStats(), subscriber?.getStats()]);
    const sample: SfuSample = { route: null, layers: [], received: [] };
    let outBytes = 0;
    let inBytes = 0;
    for (const s of (pub?.values() ?? []) as IterableIterator<StatsEntry>) {
      if (s.type !== 'outbound-rtp') continue;
      outBytes += num(s.bytesSent) ?? 0;
      if (s.kind !== 'video') continue;
      const layer: SentLayer = { rid: typeof s.rid === 'string' ? s.rid : '', active: s.active !== false };
      const w = num(s.frameWidth);
      const hgt = num(s.frameHeight);
      const fps = num(s.framesPerSecond);
      if (w !== undefined) layer.width = w;
      if (hgt !== undefined) layer.height = hgt;
      if (fps !== undefined) layer.fps = fps;
      sample.layers.push(layer);
    }
    sample.layers.sort((a, b) => (b.height ?? 0) - (a.height ?? 0));
    for (const s of (sub?.values() ?? []) as IterableIterator<StatsEntry>) {
      if (s.type !== 'inbound-rtp') continue;
      inBytes += num(s.bytesReceived) ?? 0;
      if (s.kind !== 'video' || typeof s.trackIdentifier !== 'string') continue;
      const video: ReceivedVideo = { trackId: s.trackIdentifier, framesDecoded: num(s.framesDecoded) ?? 0 };
      const w = num(s.frameWidth);
      const hgt = num(s.frameHeight);
      const fps = num(s.framesPerSecond);
      if (w !== undefined) video.width = w;
      if (hgt !== undefined) video.height = hgt;
      if (fps !== undefined) video.fps = fps;
      sample.received.push(video);
    }
    const path = sub ? selectedPath(sub) : pub ? selectedPath(pub) : { route: null };
    sample.route = path.route;
    if (path.rttMs !== undefined) sample.rttMs = path.rttMs;
    const now = performance.now();
    const last = this.#last;
    if (last && now > last.atMs) {
      const seconds = (now - last.atMs) / 1000;
      sample.outBps = Math.max(0, ((outBytes - last.outBytes) * 8) / seconds);
      sample.inBps = Math.max(0, ((inBytes - last.inBytes) * 8) / seconds);
    }
    this.#last = { outBytes, inBytes, atMs: now };
    return sample;
  }

  /** Forgets the previous read (new connections after a mode change or an SFU restart). */
  reset(): void {
    this.#last = null;
  }
}
