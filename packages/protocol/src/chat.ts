/**
 * The chat sub-protocol: JSON text messages on one reliable, ordered data channel per peer
 * connection, opened out of band (`negotiated: true`) with a fixed stream id on both sides, so it
 * needs no signaling of its own. Peers validate every message on receipt with {@link decodeChat};
 * a bad message is reported to the app and dropped, never thrown. See docs/FILE-TRANSFER.md
 * ("Chat channel") for the wire format.
 *
 * This file also holds {@link decodeChannelFrame}, the never-throwing decoder shared by the
 * data-channel sub-protocols (chat here, file transfer in file-transfer.ts).
 */
import * as z from 'zod/mini';
import type { DecodeResult } from './codec.ts';
import { boundedString, type JsonValue } from './messages.ts';

/** The chat channel's fixed identity: both peers create it with exactly these parameters. */
export const CHAT_CHANNEL = {
  label: 'parley-chat',
  /**
   * SCTP stream id. Negotiated channels must agree on it; in-band channels (file transfers) get
   * ids from the browser's allocator, which skips ids already taken locally, so the chat channel
   * must be created before any in-band channel on that connection.
   */
  id: 0,
} as const;

/** Chat limits, quoted by the SDK and the docs. */
export const CHAT_LIMITS = {
  /** Largest chat-channel message, in UTF-8 bytes. */
  maxMessageBytes: 64 * 1024,
  /** Longest chat text, in UTF-16 code units (what `String.length` counts). */
  textMaxChars: 8000,
  /** Message ids. */
  idMaxChars: 64,
  /** App message kinds. */
  kindMaxChars: 64,
} as const;

const MessageId = boundedString(1, CHAT_LIMITS.idMaxChars);
/** Milliseconds since the Unix epoch, as the sender's clock read it. */
const Timestamp = z.number().check(z.int(), z.nonnegative(), z.maximum(8.64e15));

/** A text message shown to people. */
export const ChatText = z.strictObject({
  type: z.literal('chat'),
  id: MessageId,
  text: boundedString(1, CHAT_LIMITS.textMaxChars),
  ts: Timestamp,
});
/** An application-defined message: `kind` names it, `data` is any JSON value the app validates. */
export const ChatApp = z.strictObject({
  type: z.literal('app'),
  id: z.optional(MessageId),
  kind: boundedString(1, CHAT_LIMITS.kindMaxChars),
  data: z.custom<JsonValue>((v) => v !== undefined, { message: 'required: any JSON value' }),
  ts: z.optional(Timestamp),
});
/** The sender's current outgoing media: whether its microphone, camera and screen share are live (not muted). */
export const ChatMediaState = z.strictObject({
  type: z.literal('media-state'),
  audio: z.boolean(),
  video: z.boolean(),
  screen: z.optional(z.boolean()),
});
/** The sender started or stopped typing. */
export const ChatTyping = z.strictObject({ type: z.literal('typing'), active: z.boolean() });

/** Schemas of chat-channel messages by `type`. */
export const CHAT_SCHEMAS = {
  chat: ChatText,
  app: ChatApp,
  'media-state': ChatMediaState,
  typing: ChatTyping,
} as const;

export type ChatMessage = z.infer<(typeof CHAT_SCHEMAS)[keyof typeof CHAT_SCHEMAS]>;
export type ChatMessageType = ChatMessage['type'];
export type ChatMessageOf<T extends ChatMessageType> = Extract<ChatMessage, { type: T }>;
export const CHAT_MESSAGE_TYPES = Object.keys(CHAT_SCHEMAS) as ChatMessageType[];

type Raw = string | Uint8Array | ArrayBuffer;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one data-channel frame against a table of schemas; never throws. Checks, in order:
 * byte size (`TOO_LARGE`), UTF-8 and JSON object (`BAD_JSON`), a known string `type`
 * (`UNKNOWN_TYPE`), then the schema (`BAD_MESSAGE`) — the same order and codes as the signaling
 * codec, so both ends report the same code for the same input.
 */
export function decodeChannelFrame<M>(
  raw: Raw,
  schemas: Readonly<Record<string, z.ZodMiniType>>,
  maxBytes: number,
): DecodeResult<M> {
  // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length; encode only when the cheap bounds disagree.
  const bytes =
    typeof raw !== 'string'
      ? raw.byteLength
      : raw.length > maxBytes || raw.length * 3 <= maxBytes
        ? raw.length
        : new TextEncoder().encode(raw).length;
  if (bytes > maxBytes) return { ok: false, code: 'TOO_LARGE', message: `frame exceeds ${maxBytes} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8.decode(raw));
  } catch {
    return { ok: false, code: 'BAD_JSON', message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'BAD_JSON', message: 'frame must be a JSON object' };
  }
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string')
    return { ok: false, code: 'UNKNOWN_TYPE', message: 'frame has no string "type"' };
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) return { ok: false, code: 'UNKNOWN_TYPE', message: `unknown type "${type.slice(0, 40)}"` };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(frame)'}: ${i.message}`)
      .join('; ');
    return { ok: false, code: 'BAD_MESSAGE', message: `invalid ${type}: ${detail}` };
  }
  return { ok: true, msg: parsed.data as M };
}

/** Decodes a chat-channel message; never throws. */
export function decodeChat(raw: Raw): DecodeResult<ChatMessage> {
  return decodeChannelFrame<ChatMessage>(raw, CHAT_SCHEMAS, CHAT_LIMITS.maxMessageBytes);
}
