/**
 * Errors the SDK throws or rejects with.
 *
 * - {@link ParleyError} (from the protocol package): the server refused something; `code` is a
 *   stable protocol code such as `NAME_TAKEN` or `PEER_NOT_FOUND`.
 * - {@link InvalidStateError}: the app used an object in a state that does not allow it (a
 *   closed client, a peer session after `close()`), named like the W3C error.
 * - {@link TimeoutError}: a request got no reply in time.
 * - {@link ConnectionError}: the signaling connection failed or closed; `reason` is a
 *   {@link ConnectionErrorReason} a UI can switch on.
 */
import { type ErrorCode, ParleyError } from '@parley/protocol';

export { ParleyError };

/** Misuse of local state: the object is closed, or the operation does not fit its state. */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
}

/** A request to the server got neither a reply nor an error within its timeout. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Why the signaling connection failed ({@link ConnectionError.reason}): the protocol error code
 * the server refused or closed us with (`UNAUTHORIZED`, `SESSION_REPLACED`, …), or one of the
 * client's own:
 * - `timeout`: no `welcome` in time, or the server went silent (missed heartbeats);
 * - `socket-error`: the WebSocket could not even be created (e.g. a malformed URL);
 * - `close-<code>`: the socket closed with that WebSocket close code and no error code
 *   (`close-1006`: the connection dropped);
 * - `not-sent`: a request waited in the outbox and the connection failed or closed before it
 *   could be sent.
 */
export type ConnectionErrorReason = ErrorCode | 'timeout' | 'socket-error' | 'not-sent' | `close-${number}`;

/**
 * The signaling connection could not be established or was lost for good.
 * `reason` is short and printable, and typed for a UI to switch on.
 */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  readonly reason: ConnectionErrorReason;
  constructor(reason: ConnectionErrorReason, message?: string, options?: { cause?: unknown }) {
    super(message ?? `connection failed: ${reason}`, options);
    this.reason = reason;
  }
}

/** True when `error` is an error a browser or the SDK names `name` (DOMException or ours). */
export function isNamedError(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}
