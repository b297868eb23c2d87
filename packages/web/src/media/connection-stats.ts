/**
 * What the connection panel shows for one peer, read from the SDK's stats summaries
 * (`StatsMonitor`), and how to say it to people.
 */
import type { StatsSummary } from '@parley/client';

/** How media travels to a peer. */
export type Route = 'direct' | 'stun' | 'relay';

/** One sample of a peer connection's health. */
export interface ConnectionSample {
  /** direct (host candidates), stun (server-reflexive / peer-reflexive), relay (TURN). */
  route: Route | null;
  localType?: string;
  remoteType?: string;
  /** udp or tcp between us and the first hop (for relays, to the TURN server). */
  protocol?: string;
  rttMs?: number;
  /** Fraction of inbound packets lost since the previous sample, 0..1. */
  loss?: number;
  jitterMs?: number;
  inBps?: number;
  outBps?: number;
  /** Frames per second of the inbound video. */
  fps?: number;
  width?: number;
  height?: number;
}

/** A person-readable description of a route. */
export function describeRoute(route: Route | null): { label: string; note: string } {
  switch (route) {
    case 'direct':
      return { label: 'Direct', note: 'Media goes straight between you (same network, no relay).' };
    case 'stun':
      return {
        label: 'Direct via STUN',
        note: 'Media goes straight between you, across your routers (found with STUN).',
      };
    case 'relay':
      return {
        label: 'TURN relay',
        note: 'Media goes through the TURN relay server (a firewall prevents a direct path).',
      };
    default:
      return { label: 'Connecting…', note: 'Looking for a path between you.' };
  }
}

/** Maps candidate types to a route. */
export function routeOf(localType: string | undefined, remoteType: string | undefined): Route | null {
  if (!localType && !remoteType) return null;
  if (localType === 'relay' || remoteType === 'relay') return 'relay';
  if (localType === 'srflx' || localType === 'prflx' || remoteType === 'srflx' || remoteType === 'prflx')
    return 'stun';
  return 'direct';
}

/** The SDK's stats summary, reduced to what the panel shows. */
export function sampleFromSummary(s: StatsSummary): ConnectionSample {
  const sample: ConnectionSample = {
    route: routeOf(s.candidateType ?? undefined, s.remoteCandidateType ?? undefined),
  };
  if (s.candidateType) sample.localType = s.candidateType;
  if (s.remoteCandidateType) sample.remoteType = s.remoteCandidateType;
  const protocol = s.relayProtocol ?? s.protocol;
  if (protocol) sample.protocol = protocol;
  if (s.rttMs !== null) sample.rttMs = s.rttMs;
  if (s.packetLossPct !== null) sample.loss = s.packetLossPct / 100;
  if (s.jitterMs !== null) sample.jitterMs = s.jitterMs;
  const inKbps = s.transportInKbps ?? s.bitrateInKbps;
  const outKbps = s.transportOutKbps ?? s.bitrateOutKbps;
  if (inKbps !== null) sample.inBps = inKbps * 1000;
  if (outKbps !== null) sample.outBps = outKbps * 1000;
  if (s.framesPerSecond !== null) sample.fps = s.framesPerSecond;
  if (s.resolution) {
    sample.width = s.resolution.width;
    sample.height = s.resolution.height;
  }
  return sample;
}
