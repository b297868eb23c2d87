/**
 * App data channels (`call.channel(label)`, `room.channel(label)`): the wire format every peer
 * (browser or Node) speaks on them, and the stream ids they use.
 *
 * Identity: each app channel is a negotiated data channel (`negotiated: true`) whose SCTP stream
 * id is derived from its label, so both peers open it with no signaling: an id in
 * {@link APP_CHANNEL_LIMITS} `idBase`…`idBase + idCount - 1`, above the chat channel (id 0) and
 * the low ids the browser hands to in-band channels (file transfers), and below Chromium's
 * highest stream id (1023).
 *
 * Frames (one data-channel message each):
 * - a binary message is app bytes, untouched (`ArrayBuffer` / typed arrays);
 * - a text message starts with a one-character tag: `s` + a string the app sent, `j` + the JSON
 *   text of a JSON value the app sent, `!` + a JSON control message ({@link AppChannelControl}:
 *   the open handshake). Any other first character is refused.
 *
 * May import only the schema library and the protocol's own modules.
 */
import * as z from 'zod/mini';
import type { DecodeResult } from './codec.ts';
import { boundedInt, boundedString, type JsonValue } from './messages.ts';

/** Limits of app channels, quoted by the SDK and the docs. */
export const APP_CHANNEL_LIMITS = {
  /** First stream id reserved for app channels. */
  idBase: 512,
  /** How many stream ids are reserved (512…1023). */
  idCount: 512,
  /** Longest label, in UTF-16 code units. */
  labelMaxChars: 128,
  /** Largest message, in bytes (UTF-8 for text, with its tag): the safe size on every stack. */
  maxMessageBytes: 64 * 1024,
  /** Largest control message, in bytes. */
  maxControlBytes: 1024,
} as const;

/** Labels starting with this are the SDK's own channels. */
export const RESERVED_CHANNEL_PREFIX = 'parley-';

/** Frame tags of text messages. */
export const APP_FRAME_TAG = { string: 's', json: 'j', control: '!' } as const;

/**
 * The stream id of the app channel `label`: FNV-1a (32 bit) of its UTF-16 code units, folded
 * into the reserved range. Every peer computes the same id.
 */
export function appChannelId(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return APP_CHANNEL_LIMITS.idBase + (h % APP_CHANNEL_LIMITS.idCount);
}

/** Why `label` cannot name an app channel, or null when it can. */
export function appChannelLabelProblem(label: string): string | null {
  if (typeof label !== 'string' || label.length === 0) return 'a channel label must be a non-empty string';
  if (label.length > APP_CHANNEL_LIMITS.labelMaxChars)
    return `a channel label has at most ${APP_CHANNEL_LIMITS.labelMaxChars} characters`;
  if (label.startsWith(RESERVED_CHANNEL_PREFIX))
    return `labels starting "${RESERVED_CHANNEL_PREFIX}" are reserved`;
  return null;
}

const Label = boundedString(1, APP_CHANNEL_LIMITS.labelMaxChars);
const Reliability = {
  label: Label,
  ordered: z.boolean(),
  maxRetransmits: z.optional(boundedInt(0, 65535)),
  maxPacketLifeTime: z.optional(boundedInt(0, 65535)),
};

/**
 * The open handshake: each side sends `hello` when its channel opens (and again until it hears
 * from the peer, since a hello sent before the peer created its side is dropped); a side that
 * receives `hello` answers `ack`. Either one tells the receiver the peer's side exists, and how
 * the peer configured it (a mismatch is reported to the app).
 */
export const AppChannelHello = z.strictObject({ t: z.literal('hello'), ...Reliability });
export const AppChannelAck = z.strictObject({ t: z.literal('ack'), ...Reliability });
export const AppChannelControl = z.union([AppChannelHello, AppChannelAck]);
export type AppChannelControl = z.infer<typeof AppChannelControl>;

/** What a received frame holds. */
export type AppFrame =
  | { kind: 'binary'; data: ArrayBuffer }
  | { kind: 'string'; data: string }
  | { kind: 'json'; data: JsonValue }
  | { kind: 'control'; data: AppChannelControl };

/** Encodes a control message. */
export function encodeAppControl(msg: AppChannelControl): string {
  return APP_FRAME_TAG.control + JSON.stringify(msg);
}

/** UTF-8 size of a string, exactly when it may matter for `max`. */
export function utf8Bytes(text: string, max: number): number {
  if (text.length > max || text.length * 3 <= max) return text.length;
  return new TextEncoder().encode(text).length;
}

/**
 * Decodes a received frame; never throws. Checks in order: size → tag → JSON → (control) schema.
 * Binary frames of a legal size are the app's bytes.
 */
export function decodeAppFrame(raw: string | ArrayBuffer): DecodeResult<AppFrame> {
  const max = APP_CHANNEL_LIMITS.maxMessageBytes;
  if (typeof raw !== 'string') {
    if (raw.byteLength > max)
      return { ok: false, code: 'TOO_LARGE', message: `message exceeds ${max} bytes` };
    return { ok: true, msg: { kind: 'binary', data: raw } };
  }
  if (raw.length > max || utf8Bytes(raw, max) > max)
    return { ok: false, code: 'TOO_LARGE', message: `message exceeds ${max} bytes` };
  const tag = raw.charAt(0);
  const body = raw.slice(1);
  if (tag === APP_FRAME_TAG.string) return { ok: true, msg: { kind: 'string', data: body } };
  if (tag !== APP_FRAME_TAG.json && tag !== APP_FRAME_TAG.control)
    return { ok: false, code: 'UNKNOWN_TYPE', message: 'unknown frame tag' };
  if (tag === APP_FRAME_TAG.control && raw.length > APP_CHANNEL_LIMITS.maxControlBytes)
    return { ok: false, code: 'TOO_LARGE', message: 'control message too large' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, code: 'BAD_JSON', message: 'message is not valid JSON' };
  }
  if (tag === APP_FRAME_TAG.json) return { ok: true, msg: { kind: 'json', data: value as JsonValue } };
  const parsed = AppChannelControl.safeParse(value);
  if (!parsed.success)
    return {
      ok: false,
      code: 'BAD_MESSAGE',
      message: parsed.error.issues[0]?.message ?? 'bad control message',
    };
  return { ok: true, msg: { kind: 'control', data: parsed.data } };
}
