/**
 * The file-transfer sub-protocol: one in-band data channel per transfer, labelled
 * `parley-file/<transferId>`, reliable and ordered. JSON text messages on it are control messages
 * (below); binary messages are the file's bytes, in order, with no header — a chunk's offset is
 * implied by the bytes before it, which a reliable ordered channel guarantees. The SHA-256 of the
 * whole file travels in `file.done`, computed while sending. Full description with examples:
 * docs/FILE-TRANSFER.md.
 */
import * as z from 'zod/mini';
import { decodeChannelFrame } from './chat.ts';
import type { DecodeResult } from './codec.ts';

/** Limits of the file-transfer sub-protocol. */
export const FILE_LIMITS = {
  /** Largest control message, in UTF-8 bytes. */
  maxControlBytes: 4096,
  /** Longest file name, in UTF-16 code units. */
  nameMaxChars: 255,
  /** Longest MIME type. */
  mimeMaxChars: 255,
  /** Longest free-text reason. */
  reasonMaxChars: 200,
  /** Largest file size (bytes): offsets must stay exact in a double. */
  maxSize: Number.MAX_SAFE_INTEGER,
} as const;

/** Prefix of every file-transfer channel label; the transfer id follows it. */
export const FILE_CHANNEL_PREFIX = 'parley-file/';

/** Transfer ids: 1–64 of letters, digits, `_` and `-` (a UUID fits). */
export const TRANSFER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const TransferId = z.string().check(z.regex(TRANSFER_ID_PATTERN, '1–64 letters, digits, "_" or "-"'));

/**
 * A file name as offered: a plain name, never a path. Control characters, `/` and `\` are
 * refused, as are `.` and `..`, so a receiver that writes to disk cannot be steered elsewhere.
 */
export const FileName = z.string().check(
  z.minLength(1),
  z.maxLength(FILE_LIMITS.nameMaxChars),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  z.regex(/^[^\u0000-\u001f\u007f/\\]+$/, 'no control characters, "/" or "\\"'),
  z.refine((n) => n !== '.' && n !== '..', 'not "." or ".."'),
);

const Offset = z.number().check(z.int(), z.nonnegative(), z.maximum(FILE_LIMITS.maxSize));
const Sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'));
const Reason = z.string().check(z.maxLength(FILE_LIMITS.reasonMaxChars));

/** Why a transfer was stopped, carried by `file.cancel`. */
export const FILE_CANCEL_CODES = [
  /** A person (or the app) cancelled it. */
  'CANCELLED',
  /** The received bytes do not hash to the sender's SHA-256. */
  'HASH_MISMATCH',
  /** More or fewer bytes arrived than the offer announced. */
  'SIZE_MISMATCH',
  /** A control message failed validation, or a message came out of turn. */
  'BAD_MESSAGE',
  /** The sender could not read its source. */
  'SOURCE_FAILED',
  /** The receiver could not write to its sink. */
  'SINK_FAILED',
  /** A re-offer for a known id does not describe the same file, so it cannot resume. */
  'RESUME_MISMATCH',
] as const;
export const FileCancelCode = z.enum(FILE_CANCEL_CODES);
export type FileCancelCode = z.infer<typeof FileCancelCode>;

// Sender → receiver.

/** First message on the channel: what the sender proposes. A re-offer (resume) reuses the id. */
export const FileOffer = z.strictObject({
  type: z.literal('file.offer'),
  id: TransferId,
  name: FileName,
  size: Offset,
  mime: z.string().check(z.maxLength(FILE_LIMITS.mimeMaxChars)),
  /** Milliseconds since the epoch, when the source knows it (a browser `File` does). */
  lastModified: z.optional(z.number().check(z.int(), z.nonnegative(), z.maximum(8.64e15))),
});
/** Every byte has been handed to the channel; `sha256` is the hash of the whole file. */
export const FileDone = z.strictObject({
  type: z.literal('file.done'),
  id: TransferId,
  size: Offset,
  sha256: Sha256Hex,
});

// Either side.

/** Stops the transfer for good; the channel is closed right after. */
export const FileCancel = z.strictObject({
  type: z.literal('file.cancel'),
  id: TransferId,
  code: FileCancelCode,
  reason: z.optional(Reason),
});

// Receiver → sender.

/** Start sending at `offset`: 0 for a new transfer, the bytes already kept when resuming. */
export const FileAccept = z.strictObject({ type: z.literal('file.accept'), id: TransferId, offset: Offset });
/** The receiver declines the offer. */
export const FileReject = z.strictObject({
  type: z.literal('file.reject'),
  id: TransferId,
  reason: z.optional(Reason),
});
/** The receiver has kept every byte below `offset`; a resume may start there. Sent periodically. */
export const FileAck = z.strictObject({ type: z.literal('file.ack'), id: TransferId, offset: Offset });
/** The whole file arrived and its SHA-256 matches `file.done`. */
export const FileReceived = z.strictObject({
  type: z.literal('file.received'),
  id: TransferId,
  sha256: Sha256Hex,
});

/** Messages a sender sends (the receiver decodes these). */
export const FILE_SENDER_SCHEMAS = {
  'file.offer': FileOffer,
  'file.done': FileDone,
  'file.cancel': FileCancel,
} as const;
/** Messages a receiver sends (the sender decodes these). */
export const FILE_RECEIVER_SCHEMAS = {
  'file.accept': FileAccept,
  'file.reject': FileReject,
  'file.ack': FileAck,
  'file.received': FileReceived,
  'file.cancel': FileCancel,
} as const;

export type FileSenderMessage = z.infer<(typeof FILE_SENDER_SCHEMAS)[keyof typeof FILE_SENDER_SCHEMAS]>;
export type FileReceiverMessage = z.infer<(typeof FILE_RECEIVER_SCHEMAS)[keyof typeof FILE_RECEIVER_SCHEMAS]>;
export type FileControlMessage = FileSenderMessage | FileReceiverMessage;
export type FileOfferMessage = z.infer<typeof FileOffer>;
/** Every control message type, for docs and tests. */
export const FILE_MESSAGE_TYPES = [
  ...new Set([...Object.keys(FILE_SENDER_SCHEMAS), ...Object.keys(FILE_RECEIVER_SCHEMAS)]),
] as FileControlMessage['type'][];

type Raw = string | Uint8Array | ArrayBuffer;

/** Decodes a control message from the sending side (used by receivers); never throws. */
export function decodeFileSenderMessage(raw: Raw): DecodeResult<FileSenderMessage> {
  return decodeChannelFrame<FileSenderMessage>(raw, FILE_SENDER_SCHEMAS, FILE_LIMITS.maxControlBytes);
}

/** Decodes a control message from the receiving side (used by senders); never throws. */
export function decodeFileReceiverMessage(raw: Raw): DecodeResult<FileReceiverMessage> {
  return decodeChannelFrame<FileReceiverMessage>(raw, FILE_RECEIVER_SCHEMAS, FILE_LIMITS.maxControlBytes);
}

/** The channel label for a transfer. */
export function fileChannelLabel(id: string): string {
  return FILE_CHANNEL_PREFIX + id;
}

/** The transfer id a channel label names, or null when the label is not a valid file channel. */
export function transferIdFromLabel(label: string): string | null {
  if (!label.startsWith(FILE_CHANNEL_PREFIX)) return null;
  const id = label.slice(FILE_CHANNEL_PREFIX.length);
  return TRANSFER_ID_PATTERN.test(id) ? id : null;
}
