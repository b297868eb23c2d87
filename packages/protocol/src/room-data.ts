/**
 * Room data relayed by the server (issue 24, "Large rooms"): the frames that carry a room's app
 * channel messages (`room.channel(label)`) through the Parley server while the room is in SFU mode,
 * where members have no peer-to-peer path worth relying on. See docs/PROTOCOL.md, "Room data".
 *
 * One app message (the same bytes an app channel carries peer to peer: a tagged text frame or
 * binary bytes, at most `APP_CHANNEL_LIMITS.maxMessageBytes`) travels as one or more `room.data`
 * parts, so every part fits the 64 KiB frame limit:
 * - `data` is the text frame itself (`s…` or `j…`), or with `bin: true` the base64 of the bytes;
 * - a message cut into parts sends `part` 0, 1, … with `more: true` on every part but the last.
 * `lossy: true` marks a message the server may drop for a backed-up recipient instead of queueing
 * it. The server stamps `from` (the inbound schema is strict: a client's `from` is refused).
 *
 * Imports only the schema library and the protocol's field schemas (not messages.ts, which
 * spreads these schemas into its unions).
 */
import * as z from 'zod/mini';
import { boundedInt, boundedString, PeerName, ReqId, RoomName } from './fields.ts';

/** Bounds of `room.data`, quoted by the SDK and the docs. */
export const ROOM_DATA_LIMITS = {
  /** Longest label (the same as an app channel's, `APP_CHANNEL_LIMITS.labelMaxChars`). */
  labelMaxChars: 128,
  /** Characters of `data` in one part (base64 is ASCII; text parts are cut much shorter, below). */
  partMaxChars: 48_000,
  /**
   * Characters of a text message per part, so that even text JSON escapes six-fold (control
   * characters) stays inside a 64 KiB frame.
   */
  textPartChars: 8_000,
  /** Characters of base64 per part (ASCII, escaped by nobody). */
  binaryPartChars: 44_000,
  /** Parts of one message: 64 KiB of text in 8,000-character parts needs 9 at most. */
  partsMax: 16,
  /**
   * Default per-sender rates (the server's `PARLEY_ROOM_DATA_*` may differ; `welcome.roomLimits`
   * says which apply). Every part is one frame.
   */
  defaultPerS: 200,
  defaultBurst: 400,
  defaultBytesPerS: 1024 * 1024,
  defaultBytesBurst: 2 * 1024 * 1024,
} as const;

/** What base64 may contain. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const dataFields = {
  room: RoomName,
  label: boundedString(1, ROOM_DATA_LIMITS.labelMaxChars),
  data: boundedString(0, ROOM_DATA_LIMITS.partMaxChars),
  bin: z.optional(z.literal(true)),
  lossy: z.optional(z.literal(true)),
  part: z.optional(boundedInt(0, ROOM_DATA_LIMITS.partsMax - 1)),
  more: z.optional(z.literal(true)),
};

const base64WhenBinary = (m: { bin?: true; data: string }) => m.bin !== true || BASE64.test(m.data);

/** Client → server: one part of an app message for every other member of `room`. No reply when it passes. */
export const RoomDataSend = z
  .strictObject({ type: z.literal('room.data'), id: z.optional(ReqId), ...dataFields })
  .check(z.refine(base64WhenBinary, { message: 'bin data must be base64', path: ['data'] }));
/** Server → client: the same part, with the sender's name as the server knows it. */
export const RoomData = z.object({
  type: z.literal('room.data'),
  re: z.optional(ReqId),
  from: PeerName,
  ...dataFields,
});

/** What the server's per-sender room data limits are (in `welcome.roomLimits.data`). */
export const RoomDataLimits = z.object({
  perS: z.number().check(z.positive()),
  burst: z.number().check(z.positive()),
  bytesPerS: z.number().check(z.positive()),
  bytesBurst: z.number().check(z.positive()),
});
export type RoomDataLimits = z.infer<typeof RoomDataLimits>;

/** The text every `room.data` frame a client sends starts with (the server's rate limits key on it). */
export const ROOM_DATA_FRAME_PREFIX = '{"type":"room.data",';
