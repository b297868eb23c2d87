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
 * {@link roomMessageFrame}): built by string concatenation around `JSON.stringify(data)`, with the
 * sender's name encoded once per session, because the relay is the server's hot path (benchmarked
 * against a bare ws forwarder, docs/BENCHMARKS.md). test/unit/server/frames.test.ts checks that
 * their output decodes with the protocol's `decodeServer` and equals what `frame()` would build.
 */
import {
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
 * session) carrying `data` as it came. The relay's fast path; same text as
 * `frame({ type: 'signal', from, data })`.
 */
export function signalFrame(fromJson: string, data: JsonValue): Frame<'signal'> {
  return {
    type: 'signal',
    text: '{"type":"signal","from":' + fromJson + ',"data":' + JSON.stringify(data) + '}',
  };
}

/** A `room.message` (the relay's fast path); same text as `frame({ type: 'room.message', room, from, data })`. */
export function roomMessageFrame(room: string, fromJson: string, data: JsonValue): Frame<'room.message'> {
  return {
    type: 'room.message',
    text:
      '{"type":"room.message","room":' +
      JSON.stringify(room) +
      ',"from":' +
      fromJson +
      ',"data":' +
      JSON.stringify(data) +
      '}',
  };
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
