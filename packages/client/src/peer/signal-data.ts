/**
 * The shapes the SDK puts in a `signal` frame's `data` (the server relays `data` untouched; see
 * docs/SDK.md). Each carries a `scope` naming the conversation it belongs to, `call:<call id>` or
 * `room:<room name>`, because two peers may share a call and a room at once and each has its own
 * peer connection. Inbound data is checked here by hand: a malformed frame from a buggy or
 * hostile peer is dropped, never passed to the RTCPeerConnection.
 */
import type { JsonValue } from '@parley/protocol';

/** `call:<id>` or `room:<name>`. */
export type Scope = `call:${string}` | `room:${string}`;

/** An SDP offer or answer, as `RTCSessionDescriptionInit`. */
export interface DescriptionInit {
  type: 'offer' | 'answer' | 'pranswer';
  sdp: string;
}

/** An ICE candidate, as `RTCIceCandidateInit`. */
export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What a peer sends: whether its microphone and camera are on, and whether it shares a screen. */
export interface MediaStateData {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

/** Every `data` shape the SDK sends by `signal`. */
export type SignalData =
  | { kind: 'description'; scope: Scope; description: DescriptionInit }
  | { kind: 'candidate'; scope: Scope; candidate: CandidateInit | null }
  | ({ kind: 'media-state'; scope: Scope } & MediaStateData)
  | { kind: 'bye'; scope: Scope; reason?: string }
  | { kind: 'app'; scope: Scope; data: JsonValue };

/** Largest SDP accepted from a peer (the server's frame limit caps it further). */
const MAX_SDP_CHARS = 60_000;
const MAX_CANDIDATE_CHARS = 1_000;
const MAX_SCOPE_CHARS = 100;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const optStrOrNull = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** True when `v` is a well-formed scope string. */
export function isScope(v: unknown): v is Scope {
  return (
    typeof v === 'string' &&
    v.length <= MAX_SCOPE_CHARS &&
    (v.startsWith('call:') || v.startsWith('room:')) &&
    v.length > 5
  );
}

/** Validates inbound `data`; returns the typed shape or null (to be dropped and logged). */
export function parseSignalData(v: unknown): SignalData | null {
  if (!isObj(v) || !isScope(v.scope)) return null;
  const scope = v.scope;
  switch (v.kind) {
    case 'description': {
      const d = v.description;
      if (!isObj(d) || typeof d.sdp !== 'string' || d.sdp.length > MAX_SDP_CHARS) return null;
      if (d.type !== 'offer' && d.type !== 'answer' && d.type !== 'pranswer') return null;
      return { kind: 'description', scope, description: { type: d.type, sdp: d.sdp } };
    }
    case 'candidate': {
      const c = v.candidate;
      if (c === null) return { kind: 'candidate', scope, candidate: null };
      if (!isObj(c) || typeof c.candidate !== 'string' || c.candidate.length > MAX_CANDIDATE_CHARS)
        return null;
      if (!optStrOrNull(c.sdpMid) || !optStrOrNull(c.usernameFragment)) return null;
      const idx = c.sdpMLineIndex;
      if (!(idx === undefined || idx === null || (Number.isInteger(idx) && (idx as number) >= 0)))
        return null;
      const candidate: CandidateInit = { candidate: c.candidate };
      if (c.sdpMid !== undefined) candidate.sdpMid = c.sdpMid as string | null;
      if (idx !== undefined) candidate.sdpMLineIndex = idx as number | null;
      if (c.usernameFragment !== undefined) candidate.usernameFragment = c.usernameFragment as string | null;
      return { kind: 'candidate', scope, candidate };
    }
    case 'media-state':
      if (typeof v.audio !== 'boolean' || typeof v.video !== 'boolean') return null;
      return { kind: 'media-state', scope, audio: v.audio, video: v.video, screen: v.screen === true };
    case 'bye':
      return {
        kind: 'bye',
        scope,
        ...(typeof v.reason === 'string' ? { reason: v.reason.slice(0, 200) } : {}),
      };
    case 'app':
      if (v.data === undefined) return null;
      return { kind: 'app', scope, data: v.data as JsonValue };
    default:
      return null;
  }
}
