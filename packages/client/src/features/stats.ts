/**
 * Connection quality from `getStats()`: {@link summarizeStats} turns two consecutive reports of
 * one peer connection into the figures a call UI shows (bitrates, round trip, loss, jitter, frame
 * rate, resolution, candidate type), and {@link StatsMonitor} polls a connection and emits them.
 *
 * Rates need two reports: counters in the W3C stats (webrtc-stats, "RTCInboundRtpStreamStats",
 * "RTCIceCandidatePairStats") are cumulative, so a rate is the difference over the difference of
 * `timestamp` (milliseconds). The summariser is pure so unit tests feed it fabricated reports.
 */
import { TypedEmitter } from '../events.ts';

/** ICE candidate types (webrtc-pc, RTCIceCandidateType). */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** A video frame size. */
export interface Resolution {
  width: number;
  height: number;
}

/** One peer connection's quality over the interval between two reports. Unknown figures are null. */
export interface StatsSummary {
  /** Time of the newer report, in milliseconds (the stats' own clock). */
  timestamp: number;
  /** Milliseconds between the two reports; null for the first report. */
  intervalMs: number | null;
  /** Media (RTP payload) received, all streams, in kbit/s. */
  bitrateInKbps: number | null;
  /** Media (RTP payload) sent, all streams, in kbit/s. */
  bitrateOutKbps: number | null;
  /** Everything received on the selected candidate pair (media, data channels, RTCP), in kbit/s. */
  transportInKbps: number | null;
  /** Everything sent on the selected candidate pair, in kbit/s. */
  transportOutKbps: number | null;
  /** The congestion controller's estimate of what can be sent, in kbit/s. */
  availableOutgoingKbps: number | null;
  /** Round-trip time of the selected candidate pair (else from RTCP), in milliseconds. */
  rttMs: number | null;
  /** Received packets lost over the interval, in percent of packets expected. */
  packetLossPct: number | null;
  /** Largest jitter of the received streams, in milliseconds. */
  jitterMs: number | null;
  /** Frame rate of the received video (the stream with the most bytes). */
  framesPerSecond: number | null;
  /** Frame size of the received video. */
  resolution: Resolution | null;
  /** Frame rate of the sent video. */
  sendFramesPerSecond: number | null;
  /** Frame size of the sent video. */
  sendResolution: Resolution | null;
  /** Type of the local candidate of the selected pair: `relay` means traffic goes through TURN. */
  candidateType: CandidateType | null;
  /** Type of the remote candidate of the selected pair. */
  remoteCandidateType: CandidateType | null;
  /** Transport protocol of the selected local candidate. */
  protocol: 'udp' | 'tcp' | null;
  /** For a relay candidate, the protocol between us and the TURN server. */
  relayProtocol: 'udp' | 'tcp' | 'tls' | null;
}

/** What the summariser reads: an `RTCStatsReport`, or any map of stats objects by id (tests). */
export type StatsReportLike = ReadonlyMap<string, unknown>;

type Stat = Record<string, unknown> & { id?: string; type?: string; timestamp?: number };

const CANDIDATE_TYPES: readonly string[] = ['host', 'srflx', 'prflx', 'relay'];

function num(s: Stat | undefined, key: string): number | null {
  const v = s?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(s: Stat | undefined, key: string): string | null {
  const v = s?.[key];
  return typeof v === 'string' ? v : null;
}

function byType(report: StatsReportLike, type: string): Stat[] {
  const out: Stat[] = [];
  for (const v of report.values()) {
    if (typeof v === 'object' && v !== null && (v as Stat).type === type) out.push(v as Stat);
  }
  return out;
}

function get(report: StatsReportLike | null, id: string | null | undefined): Stat | undefined {
  if (!report || !id) return undefined;
  const v = report.get(id);
  return typeof v === 'object' && v !== null ? (v as Stat) : undefined;
}

/**
 * The candidate pair in use: the one the transport names (Chromium, spec), else the one flagged
 * `selected` (Firefox), else a nominated succeeded pair.
 */
export function selectedCandidatePair(report: StatsReportLike): Stat | undefined {
  for (const t of byType(report, 'transport')) {
    const pair = get(report, str(t, 'selectedCandidatePairId'));
    if (pair) return pair;
  }
  const pairs = byType(report, 'candidate-pair');
  return (
    pairs.find((p) => p.selected === true) ??
    pairs.find((p) => p.nominated === true && p.state === 'succeeded')
  );
}

/** kbit/s of a cumulative byte counter between two snapshots of the same stats object. */
function kbps(prev: Stat | undefined, curr: Stat, key: string): number | null {
  const b1 = num(curr, key);
  const b0 = num(prev, key);
  const t1 = num(curr, 'timestamp');
  const t0 = num(prev, 'timestamp');
  if (b1 === null || b0 === null || t1 === null || t0 === null || t1 <= t0) return null;
  return (Math.max(0, b1 - b0) * 8) / (t1 - t0); // bytes·8/ms = kbit/s
}

function sumRates(prev: StatsReportLike | null, streams: Stat[], key: string): number | null {
  if (!prev) return null;
  let total: number | null = null;
  for (const s of streams) {
    const r = kbps(get(prev, s.id), s, key);
    if (r !== null) total = (total ?? 0) + r;
  }
  return total;
}

function videoStream(streams: Stat[], bytesKey: string): Stat | undefined {
  let best: Stat | undefined;
  for (const s of streams) {
    if (s.kind !== 'video' && s.mediaType !== 'video') continue;
    if (!best || (num(s, bytesKey) ?? 0) > (num(best, bytesKey) ?? 0)) best = s;
  }
  return best;
}

function resolutionOf(s: Stat | undefined): Resolution | null {
  const width = num(s, 'frameWidth');
  const height = num(s, 'frameHeight');
  return width !== null && height !== null ? { width, height } : null;
}

function frameRate(prev: StatsReportLike | null, s: Stat | undefined, framesKey: string): number | null {
  if (!s) return null;
  const fps = num(s, 'framesPerSecond');
  if (fps !== null) return fps;
  const p = get(prev, s.id);
  const f1 = num(s, framesKey);
  const f0 = num(p, framesKey);
  const t1 = num(s, 'timestamp');
  const t0 = num(p, 'timestamp');
  if (f1 === null || f0 === null || t1 === null || t0 === null || t1 <= t0) return null;
  return ((f1 - f0) * 1000) / (t1 - t0);
}

function candidateType(c: Stat | undefined): CandidateType | null {
  const t = str(c, 'candidateType');
  return t !== null && CANDIDATE_TYPES.includes(t) ? (t as CandidateType) : null;
}

/**
 * Summarises the interval between two `getStats()` reports of one peer connection (`prev` null
 * for the first report: rates are then null, instantaneous figures are filled in). Never throws
 * on missing or odd fields; what cannot be computed is null.
 *
 * @example
 * ```ts
 * let prev = null;
 * setInterval(async () => {
 *   const curr = await pc.getStats();
 *   const s = summarizeStats(prev, curr);
 *   prev = curr;
 *   console.log(s.bitrateInKbps, s.rttMs, s.candidateType);
 * }, 1000);
 * ```
 */
export function summarizeStats(prev: StatsReportLike | null, curr: StatsReportLike): StatsSummary {
  const inbound = byType(curr, 'inbound-rtp');
  const outbound = byType(curr, 'outbound-rtp');
  const pair = selectedCandidatePair(curr);
  const prevPair = prev && pair ? get(prev, pair.id) : undefined;
  const local = get(curr, str(pair, 'localCandidateId'));
  const remote = get(curr, str(pair, 'remoteCandidateId'));

  let timestamp = num(pair, 'timestamp');
  let prevTimestamp = num(prevPair, 'timestamp');
  if (timestamp === null) {
    for (const s of curr.values()) {
      const t = num(s as Stat, 'timestamp');
      if (t !== null) {
        timestamp = t;
        const p = get(prev, (s as Stat).id);
        prevTimestamp = num(p, 'timestamp');
        break;
      }
    }
  }

  let rttMs: number | null = null;
  const pairRtt = num(pair, 'currentRoundTripTime');
  if (pairRtt !== null) rttMs = pairRtt * 1000;
  else {
    for (const r of byType(curr, 'remote-inbound-rtp')) {
      const rtt = num(r, 'roundTripTime');
      if (rtt !== null) rttMs = Math.max(rttMs ?? 0, rtt * 1000);
    }
  }

  let packetLossPct: number | null = null;
  let jitterMs: number | null = null;
  if (prev) {
    let lost = 0;
    let received = 0;
    for (const s of inbound) {
      const p = get(prev, s.id);
      const l1 = num(s, 'packetsLost');
      const r1 = num(s, 'packetsReceived');
      const l0 = num(p, 'packetsLost');
      const r0 = num(p, 'packetsReceived');
      if (l1 === null || r1 === null || l0 === null || r0 === null) continue;
      lost += Math.max(0, l1 - l0);
      received += Math.max(0, r1 - r0);
    }
    if (lost + received > 0) packetLossPct = (lost * 100) / (lost + received);
  }
  for (const s of inbound) {
    const j = num(s, 'jitter');
    if (j !== null) jitterMs = Math.max(jitterMs ?? 0, j * 1000);
  }

  const inVideo = videoStream(inbound, 'bytesReceived');
  const outVideo = videoStream(outbound, 'bytesSent');
  const relayProtocol = str(local, 'relayProtocol');
  const protocol = str(local, 'protocol');
  const available = num(pair, 'availableOutgoingBitrate');

  return {
    timestamp: timestamp ?? 0,
    intervalMs: timestamp !== null && prevTimestamp !== null ? timestamp - prevTimestamp : null,
    bitrateInKbps: sumRates(prev, inbound, 'bytesReceived'),
    bitrateOutKbps: sumRates(prev, outbound, 'bytesSent'),
    transportInKbps: pair ? kbps(prevPair, pair, 'bytesReceived') : null,
    transportOutKbps: pair ? kbps(prevPair, pair, 'bytesSent') : null,
    availableOutgoingKbps: available === null ? null : available / 1000,
    rttMs,
    packetLossPct,
    jitterMs,
    framesPerSecond: frameRate(prev, inVideo, 'framesDecoded'),
    resolution: resolutionOf(inVideo),
    sendFramesPerSecond: frameRate(prev, outVideo, 'framesEncoded'),
    sendResolution: resolutionOf(outVideo),
    candidateType: candidateType(local),
    remoteCandidateType: candidateType(remote),
    protocol: protocol === 'udp' || protocol === 'tcp' ? protocol : null,
    relayProtocol:
      relayProtocol === 'udp' || relayProtocol === 'tcp' || relayProtocol === 'tls' ? relayProtocol : null,
  };
}

/** Events of a {@link StatsMonitor}. */
export type StatsMonitorEvents = {
  /** A summary of the last interval. */
  stats: [StatsSummary];
  /** `getStats()` failed (the monitor keeps polling unless the connection is closed). */
  error: [Error];
};

/** Options of a {@link StatsMonitor}. */
export interface StatsMonitorOptions {
  /** Polling period in milliseconds. Default 1000. */
  intervalMs?: number;
}

/** The part of RTCPeerConnection the monitor needs. */
export interface StatsSource {
  getStats(): Promise<StatsReportLike>;
  readonly connectionState?: RTCPeerConnectionState;
}

/**
 * Polls a peer connection's `getStats()` every `intervalMs` and emits a {@link StatsSummary} per
 * poll (the first one without rates). Polls never overlap; it stops by itself once the connection
 * is closed.
 *
 * @example
 * ```ts
 * const monitor = new StatsMonitor(pc, { intervalMs: 2000 });
 * monitor.on('stats', (s) => render(s.bitrateInKbps, s.rttMs, s.candidateType));
 * monitor.start();
 * // …
 * monitor.stop();
 * ```
 */
export class StatsMonitor extends TypedEmitter<StatsMonitorEvents> {
  readonly #pc: StatsSource;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #prev: StatsReportLike | null = null;
  #last: StatsSummary | null = null;

  constructor(pc: StatsSource, options: StatsMonitorOptions = {}) {
    super();
    this.#pc = pc;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  /** The latest summary, or null before the first poll. */
  get last(): StatsSummary | null {
    return this.#last;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts polling (the first poll runs at once). No effect if already running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#poll();
  }

  /** Stops polling. The next `start()` begins a fresh series (first summary without rates). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#prev = null;
  }

  async #poll(): Promise<void> {
    if (!this.#running) return;
    if (this.#pc.connectionState === 'closed') return this.stop();
    try {
      const report = await this.#pc.getStats();
      if (!this.#running) return;
      const summary = summarizeStats(this.#prev, report);
      this.#prev = report;
      this.#last = summary;
      this.emit('stats', summary);
    } catch (error) {
      if (!this.#running) return;
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    }
    if (this.#running) this.#timer = setTimeout(() => void this.#poll(), this.#intervalMs);
  }
}
