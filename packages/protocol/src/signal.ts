/**
 * The SDK's mesh signalling vocabulary: the shapes `@parley/client` puts in a `signal` frame's
 * `data` to set up and run a peer connection (description, candidate, media-state, bye, app).
 * Each carries a `scope` naming the conversation it belongs to, `call:<call id>` or
 * `room:<room name>`, because two peers may share a call and a room at once and each has its own
 * peer connection.
 *
 * The server does not use these schemas: it relays `data` as any JSON (inside the frame limits,
 * `LIMITS.maxFrameBytes` and `LIMITS.frameMaxDepth`) without looking inside, which keeps the relay
 * lean. The receiving SDK decodes `data` with {@link decodeSignalData}, so a malformed payload
 * from a buggy or hostile peer is dropped, never passed to an RTCPeerConnection. The bounds are
 * the protocol's `LIMITS`, the same numbers the SFU path (`sfu.publish`, `sfu.trickle`) uses.
 *
 * Objects are parsed leniently, like server frames: fields this version does not know are dropped,
 * so a newer SDK may add fields without older peers discarding its signals. See docs/PROTOCOL.md,
 * "Signal data of the SDK".
 */
import * as z from 'zod/mini';
import type { DecodeResult } from './codec.ts';
import { E2eeAgreementKey } from './e2ee.ts';
import { LIMITS, NAME_PATTERN } from './limits.ts';
import { boundedInt, type JsonValue, Reason } from './messages.ts';

/** The conversation a signal belongs to: `call:<call id>` or `room:<room name>`. */
export type Scope = `call:${string}` | `room:${string}`;

/** True when `v` is a well-formed scope: a call id or a room name behind its prefix. */
export function isScope(v: unknown): v is Scope {
  if (typeof v !== 'string') return false;
  const rest = v.length - 5;
  if (v.startsWith('call:')) return rest >= 1 && rest <= LIMITS.idMaxChars;
  if (v.startsWith('room:')) return rest >= 1 && rest <= LIMITS.roomMaxChars && NAME_PATTERN.test(v.slice(5));
  return false;
}

export const SignalScope = z.custom<Scope>(isScope, {
  message: '"call:<call id>" or "room:<room name>"',
});

/** An SDP offer or answer, as `RTCSessionDescriptionInit`. */
export const SignalDescription = z.object({
  type: z.enum(['offer', 'answer', 'pranswer']),
  sdp: z.string().check(z.maxLength(LIMITS.sdpMaxChars)),
});
export type SignalDescription = z.infer<typeof SignalDescription>;

/** An ICE candidate, as `RTCIceCandidateInit` (bounded like the SFU's `sfu.trickle`). */
export const SignalCandidate = z.object({
  candidate: z.string().check(z.maxLength(LIMITS.candidateMaxChars)),
  sdpMid: z.optional(z.nullable(z.string().check(z.maxLength(LIMITS.midMaxChars)))),
  sdpMLineIndex: z.optional(z.nullable(boundedInt(0, 1024))),
  usernameFragment: z.optional(z.nullable(z.string().check(z.maxLength(LIMITS.candidateMaxChars)))),
});
export type SignalCandidate = z.infer<typeof SignalCandidate>;

/** Whether a peer's microphone and camera are on, and whether it shares a screen. */
export const SignalMediaState = z.object({
  audio: z.boolean(),
  video: z.boolean(),
  /** Absent from older SDKs: then no screen is shared. */
  screen: z._default(z.boolean(), false),
});
export type SignalMediaState = z.infer<typeof SignalMediaState>;

/** Local and remote descriptions: `description: null` is never sent. */
export const SignalDescriptionData = z.object({
  kind: z.literal('description'),
  scope: SignalScope,
  description: SignalDescription,
});
/** A trickled candidate; `candidate: null` ends the peer's gathering. */
export const SignalCandidateData = z.object({
  kind: z.literal('candidate'),
  scope: SignalScope,
  candidate: z.nullable(SignalCandidate),
});
/** The sender's current outgoing media (sent on change and when the connection comes up). */
export const SignalMediaStateData = z.object({
  kind: z.literal('media-state'),
  scope: SignalScope,
  ...SignalMediaState.shape,
});
/** The conversation is over for the sender (used when the server cannot say it, e.g. after a restart). */
export const SignalByeData = z.object({
  kind: z.literal('bye'),
  scope: SignalScope,
  reason: z.optional(Reason),
});
/** An app-defined JSON value (small control messages; `PeerSession.sendAppData`). */
export const SignalAppData = z.object({
  kind: z.literal('app'),
  scope: SignalScope,
  data: z.custom<JsonValue>((v) => v !== undefined, { message: 'required: any JSON value' }),
});

/** A party's ephemeral public key in an encrypted call's key agreement (see e2ee.ts). */
export const SignalE2eeKeyData = z.object({
  kind: z.literal('e2ee-key'),
  scope: SignalScope,
  key: E2eeAgreementKey,
});

/** Every `data` shape the SDK sends in `signal`, by `kind`. */
export const SignalData = z.discriminatedUnion('kind', [
  SignalDescriptionData,
  SignalCandidateData,
  SignalMediaStateData,
  SignalByeData,
  SignalAppData,
  SignalE2eeKeyData,
]);
export type SignalData = z.infer<typeof SignalData>;
export type SignalDataKind = SignalData['kind'];
export type SignalDataOf<K extends SignalDataKind> = Extract<SignalData, { kind: K }>;
/** The kinds above, read from the union (so the list cannot miss one). */
export const SIGNAL_DATA_KINDS: readonly SignalDataKind[] = SignalData.def.options.map(
  (o) => o.shape.kind.def.values[0] as SignalDataKind,
);

/**
 * Decodes the `data` of a received `signal` (already parsed by `decodeServer`); never throws.
 * Not an object: `BAD_JSON`; no known string `kind`: `UNKNOWN_TYPE`; a field out of its schema or
 * its limits: `BAD_MESSAGE` — the codes the frame codecs use for the same faults.
 */
export function decodeSignalData(value: unknown): DecodeResult<SignalData> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'BAD_JSON', message: 'signal data must be a JSON object' };
  }
  const kind = (value as Record<string, unknown>).kind;
  if (typeof kind !== 'string' || !(SIGNAL_DATA_KINDS as readonly string[]).includes(kind)) {
    const shown = typeof kind === 'string' ? `"${kind.slice(0, 40)}"` : 'none';
    return { ok: false, code: 'UNKNOWN_TYPE', message: `unknown signal data kind: ${shown}` };
  }
  const parsed = SignalData.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(data)'}: ${i.message}`)
      .join('; ');
    return { ok: false, code: 'BAD_MESSAGE', message: `invalid ${kind} signal data: ${detail}` };
  }
  return { ok: true, msg: parsed.data };
}
