/**
 * Every frame the server sends is built here, from a message typed by the protocol's schemas
 * (`ServerMessageOf<T>`), so a misspelt or missing field is a compile error rather than something
 * a test may or may not notice. The built frame carries its type next to its text: sessions count
 * it and react to it (`Session.send`) without parsing the text back.
 *
 * This module sits below everything that sends (transport, session, services): it imports only
 * the protocol.
 *
 * The relayed `signal` and `room.message` frames have a fast path ({@link signalFrame},
 * {@link roomMessageFrame}): built by string concatenation around the client's own text of `data`
 * (never serialised again when the codec could locate it), with the sender's name encoded once
 * per session, because the relay is the server's hot path (benchmarked
 * against a bare ws forwarder, docs/BENCHMARKS.md). test/unit/server/frames.test.ts checks that
 * their output decodes with the protocol's `decodeServer` and equals what `frame()` would build.
 */
import {
  type ClientMessageOf,
  ERRORS,
  type ErrorCode,
  type ErrorReason,
  type JsonValue,
  type ServerMessageOf,
  type ServerMessageType,
} from '@parley/protocol';

/** An encoded server frame and its message type. */
export interface Frame<T extends ServerMessageType = ServerMessageType> {
  readonly type: T;
  /** The JSON text sent on the socket; it always starts with `{"type":"<type>"`. */
  readonly text: string;
  /**
   * The same frame as UTF-8 bytes, when it was built from bytes (the relay's splice of a client's
   * ASCII frame): sent as a text frame as is, so the payload is neither decoded nor encoded again.
   * `text` is then derived from it on demand (a queued or remote delivery).
   */
  readonly bytes?: Buffer;
}

/**
 * The client's own `data` of a relayed message, as the codec located it: its text, or, when the
 * frame was ASCII (bytes and UTF-16 units coincide), its bytes in the received frame.
 */
export type OpaqueData = string | Buffer;

/** A frame of bytes `prefix` + `data` + `}`; its text is decoded only if someone asks for it. */
class BytesFrame<T extends ServerMessageType> implements Frame<T> {
  readonly type: T;
  readonly bytes: Buffer;

  constructor(type: T, prefix: string, data: Buffer) {
    this.type = type;
    const prefixBytes = Buffer.byteLength(prefix);
    const bytes = Buffer.allocUnsafe(prefixBytes + data.length + 1);
    bytes.write(prefix, 0, 'utf8');
    data.copy(bytes, prefixBytes);
    bytes[bytes.length - 1] = 0x7d; // }
    this.bytes = bytes;
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }
}

/**
 * Encodes a server message. Fields set to `undefined` (an absent `re`, say) are left out, as
 * JSON does. `type` is always the text's first field (see {@link frameFromText}).
 */
export function frame<T extends ServerMessageType>(msg: ServerMessageOf<T>): Frame<T> {
  const type = msg.type as T;
  // `type` first whatever order the caller wrote the fields in (Object.assign keeps key order).
  return { type, text: JSON.stringify(Object.assign({ type }, msg)) };
}

/**
 * A `signal` from the session whose name is `fromJson` (`JSON.stringify(name)`, precomputed per
 * session) carrying `data` as it came. The relay's fast path: with `dataJson`, the text of `data`
 * exactly as the client sent it (the codec's `DecodeResult.dataJson`, a slice of the validated
 * frame) or its bytes in the received frame, it is spliced in as is, so the payload is never
 * serialised again; without it, `data` is serialised (same text as `frame({ type: 'signal', from, data })`). Either way every receiver's
 * JSON.parse gets the same value (test/unit/server/frames-splice.test.ts).
 */
export function signalFrame(fromJson: string, data: JsonValue, dataJson?: OpaqueData): Frame<'signal'> {
  const prefix = '{"type":"signal","from":' + fromJson + ',"data":';
  if (typeof dataJson === 'object') return new BytesFrame('signal', prefix, dataJson);
  return { type: 'signal', text: prefix + (dataJson ?? JSON.stringify(data)) + '}' };
}

/**
 * A `room.message` (the relay's fast path); same text as
 * `frame({ type: 'room.message', room, from, data })`, or with `dataJson` spliced in as in
 * {@link signalFrame}.
 */
export function roomMessageFrame(
  room: string,
  fromJson: string,
  data: JsonValue,
  dataJson?: OpaqueData,
): Frame<'room.message'> {
  const prefix = '{"type":"room.message","room":' + JSON.stringify(room) + ',"from":' + fromJson + ',"data":';
  if (typeof dataJson === 'object') return new BytesFrame('room.message', prefix, dataJson);
  return { type: 'room.message', text: prefix + (dataJson ?? JSON.stringify(data)) + '}' };
}

/** How every lossy `room.data` frame starts, so a node delivering one from the directory can tell. */
const LOSSY_DATA_PREFIX = '{"type":"room.data","lossy":true,';

/**
 * A relayed `room.data` part from `from`; `lossy` goes first so that {@link isLossyData} can tell a
 * lossy frame from its text alone (a frame from another node arrives as text).
 */
export function roomDataFrame(from: string, msg: ClientMessageOf<'room.data'>): Frame<'room.data'> {
  return frame({
    type: 'room.data',
    lossy: msg.lossy,
    room: msg.room,
    from,
    label: msg.label,
    bin: msg.bin,
    part: msg.part,
    more: msg.more,
    data: msg.data,
  });
}

/** Whether `frame` is a lossy `room.data` (which a backed-up or absent recipient does without). */
export function isLossyData(frame: Frame): boolean {
  return frame.type === 'room.data' && frame.text.startsWith(LOSSY_DATA_PREFIX);
}

/**
 * An `error` frame: `fatal: true` for the codes that close the connection (protocol/src/errors.ts),
 * `re` echoing the request id when there was one, `reason` when the refusal has one.
 */
export function errorFrame(
  code: ErrorCode,
  message: string,
  re?: string | number,
  reason?: ErrorReason,
  retryMs?: number,
): Frame<'error'> {
  return frame({
    type: 'error',
    code,
    message,
    re,
    fatal: ERRORS[code].fatal ? true : undefined,
    reason,
    retryMs,
  });
}

const TYPE_PREFIX = '{"type":"';

/**
 * The frame of a text built here that reached this node through the directory (another node
 * sent it, or a parked session's queue held it): its type is read back from the text's first
 * field, which {@link frame} and the fast paths always put there. The directory carries text only
 * (Redis PUBLISH, parked queues).
 */
export function frameFromText(text: string): Frame {
  const end = text.indexOf('"', TYPE_PREFIX.length);
  return { type: text.slice(TYPE_PREFIX.length, end) as ServerMessageType, text };
}
