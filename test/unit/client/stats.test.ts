import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  StatsMonitor,
  type StatsReportLike,
  type StatsSummary,
  selectedCandidatePair,
  summarizeStats,
} from '../../../packages/client/src/features/stats.ts';

/** A Chromium-shaped report: one transport, a selected host pair, audio+video in and out. */
function report(t: number, n: number): StatsReportLike {
  const stats: Array<Record<string, unknown>> = [
    { id: 'T01', type: 'transport', timestamp: t, selectedCandidatePairId: 'CP1' },
    {
      id: 'CP1',
      type: 'candidate-pair',
      timestamp: t,
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      state: 'succeeded',
      nominated: true,
      bytesSent: 200_000 * n,
      bytesReceived: 300_000 * n,
      currentRoundTripTime: 0.012,
      availableOutgoingBitrate: 2_500_000,
    },
    {
      id: 'CP2',
      type: 'candidate-pair',
      timestamp: t,
      localCandidateId: 'L2',
      remoteCandidateId: 'R1',
      bytesSent: 0,
    },
    { id: 'L1', type: 'local-candidate', timestamp: t, candidateType: 'host', protocol: 'udp' },
    {
      id: 'L2',
      type: 'local-candidate',
      timestamp: t,
      candidateType: 'relay',
      protocol: 'udp',
      relayProtocol: 'tcp',
    },
    { id: 'R1', type: 'remote-candidate', timestamp: t, candidateType: 'srflx', protocol: 'udp' },
    {
      id: 'IV',
      type: 'inbound-rtp',
      kind: 'video',
      timestamp: t,
      bytesReceived: 250_000 * n,
      packetsReceived: 95 * n,
      packetsLost: 5 * n,
      jitter: 0.004,
      framesDecoded: 20 * n,
      framesPerSecond: 20,
      frameWidth: 640,
      frameHeight: 480,
    },
    {
      id: 'IA',
      type: 'inbound-rtp',
      kind: 'audio',
      timestamp: t,
      bytesReceived: 5_000 * n,
      packetsReceived: 50 * n,
      packetsLost: 0,
      jitter: 0.007,
    },
    {
      id: 'OV',
      type: 'outbound-rtp',
      kind: 'video',
      timestamp: t,
      bytesSent: 150_000 * n,
      framesEncoded: 30 * n,
      frameWidth: 320,
      frameHeight: 240,
    },
    { id: 'OA', type: 'outbound-rtp', kind: 'audio', timestamp: t, bytesSent: 5_000 * n },
  ];
  return new Map(stats.map((s) => [s.id as string, s]));
}

describe('summarizeStats', () => {
  it('computes rates, loss, jitter, frame rate and candidate types over one second', () => {
    const s = summarizeStats(report(10_000, 1), report(11_000, 2));
    assert.equal(s.intervalMs, 1000);
    assert.equal(s.timestamp, 11_000);
    assert.equal(s.bitrateInKbps, 2040); // (250k + 5k) bytes · 8 / 1000 ms
    assert.equal(s.bitrateOutKbps, 1240); // (150k + 5k) · 8 / 1000
    assert.equal(s.transportInKbps, 2400);
    assert.equal(s.transportOutKbps, 1600);
    assert.equal(s.availableOutgoingKbps, 2500);
    assert.equal(s.rttMs, 12);
    // 5 lost of 5 + 95 + 50 expected.
    assert.ok(Math.abs(s.packetLossPct! - (5 * 100) / 150) < 1e-9);
    assert.equal(s.jitterMs, 7);
    assert.equal(s.framesPerSecond, 20);
    assert.deepEqual(s.resolution, { width: 640, height: 480 });
    assert.equal(s.sendFramesPerSecond, 30); // from framesEncoded deltas: no framesPerSecond field
    assert.deepEqual(s.sendResolution, { width: 320, height: 240 });
    assert.equal(s.candidateType, 'host');
    assert.equal(s.remoteCandidateType, 'srflx');
    assert.equal(s.protocol, 'udp');
    assert.equal(s.relayProtocol, null);
  });

  it('fills instantaneous figures and leaves rates null for the first report', () => {
    const s = summarizeStats(null, report(10_000, 1));
    assert.equal(s.intervalMs, null);
    assert.equal(s.bitrateInKbps, null);
    assert.equal(s.packetLossPct, null);
    assert.equal(s.rttMs, 12);
    assert.equal(s.candidateType, 'host');
  });

  it('finds Firefox-style selected pairs and relay candidates, and tolerates empty reports', () => {
    const ff = new Map<string, unknown>([
      [
        'p',
        {
          id: 'p',
          type: 'candidate-pair',
          selected: true,
          localCandidateId: 'l',
          remoteCandidateId: 'r',
          timestamp: 1,
        },
      ],
      [
        'l',
        { id: 'l', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' },
      ],
      ['r', { id: 'r', type: 'remote-candidate', candidateType: 'prflx' }],
    ]);
    assert.equal(selectedCandidatePair(ff)?.id, 'p');
    const s = summarizeStats(null, ff);
    assert.equal(s.candidateType, 'relay');
    assert.equal(s.relayProtocol, 'tls');
    assert.equal(s.remoteCandidateType, 'prflx');
    const empty = summarizeStats(new Map(), new Map());
    assert.equal(empty.candidateType, null);
    assert.equal(empty.bitrateInKbps, null);
    assert.equal(empty.rttMs, null);
  });

  it('ignores counters that went backwards and unknown candidate types', () => {
    const a = report(0, 2);
    const b = report(1000, 1);
    const s = summarizeStats(a, b);
    assert.equal(s.bitrateInKbps, 0);
    const odd = new Map<string, unknown>([
      ['t', { id: 't', type: 'transport', selectedCandidatePairId: 'p' }],
      ['p', { id: 'p', type: 'candidate-pair', localCandidateId: 'l' }],
      ['l', { id: 'l', type: 'local-candidate', candidateType: 'weird', protocol: 'sctp' }],
    ]);
    const o = summarizeStats(null, odd);
    assert.equal(o.candidateType, null);
    assert.equal(o.protocol, null);
  });
});

describe('StatsMonitor', () => {
  it('polls, emits a summary per poll with rates from the second on, and stops', async () => {
    let n = 0;
    const pc = {
      connectionState: 'connected' as RTCPeerConnectionState,
      getStats: async () => report(n * 1000, ++n),
    };
    const monitor = new StatsMonitor(pc, { intervalMs: 5 });
    const seen: StatsSummary[] = [];
    monitor.on('stats', (s) => seen.push(s));
    monitor.start();
    const deadline = Date.now() + 5000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    monitor.stop();
    assert.ok(seen.length >= 3);
    assert.equal(seen[0]!.bitrateInKbps, null);
    assert.equal(seen[1]!.bitrateInKbps, 2040);
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(seen.length, count, 'no summaries after stop()');
    assert.equal(monitor.running, false);
  });

  it('reports getStats failures as error events and stops on a closed connection', async () => {
    let state: RTCPeerConnectionState = 'connected';
    const pc = {
      get connectionState() {
        return state;
      },
      getStats: async (): Promise<StatsReportLike> => {
        throw new Error('boom');
      },
    };
    const monitor = new StatsMonitor(pc, { intervalMs: 5 });
    const [err] = await new Promise<[Error]>((resolve) => {
      monitor.once('error', (e) => resolve([e]));
      monitor.start();
    });
    assert.equal(err.message, 'boom');
    state = 'closed';
    const deadline = Date.now() + 2000;
    while (monitor.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(monitor.running, false);
  });
});
