/**
 * The shapes the SDK puts in a `signal` frame's `data` (the server relays `data` untouched; see
 * docs/SDK.md). The vocabulary and its limits are defined once, as schemas, in
 * `@parley/protocol` (signal.ts); this module names them for the SDK and keeps the SDK's
 * `parseSignalData`. Inbound data is decoded with the protocol's `decodeSignalData`: a malformed
 * payload from a buggy or hostile peer is dropped, never passed to the RTCPeerConnection.
 */
import {
  decodeSignalData,
  type Scope,
  type SignalCandidate,
  type SignalData,
  type SignalDescription,
  type SignalMediaState,
} from '@parley/protocol';

export type { Scope, SignalData };
/** An SDP offer or answer, as `RTCSessionDescriptionInit`. */
export type DescriptionInit = SignalDescription;
/** An ICE candidate, as `RTCIceCandidateInit`. */
export type CandidateInit = SignalCandidate;
/** What a peer sends: whether its microphone and camera are on, and whether it shares a screen. */
export type MediaStateData = SignalMediaState;

/** Validates inbound `data`; returns the typed shape or null (to be dropped and logged). */
export function parseSignalData(v: unknown): SignalData | null {
  const decoded = decodeSignalData(v);
  return decoded.ok ? decoded.msg : null;
}
