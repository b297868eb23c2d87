/**
 * Errors the SDK throws or rejects with.
 *
 * - {@link ParleyError} (from the protocol package): the server refused something; `code` is a
 *   stable protocol code such as `NAME_TAKEN` or `PEER_NOT_FOUND`.
 * - {@link InvalidStateError}: the app used an object in a state that does not allow it (a
 *   closed client, a peer session after `close()`), named like the W3C error.
 * - {@link TimeoutError}: a request got no reply in time.
 * - {@link ConnectionError}: the signaling connection failed or closed; `reason` is printable.
 */
import { ParleyError } from '@parley/protocol';

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
 * The signaling connection could not be established or was lost for good.
 * `reason` is short and printable: an error code (`UNAUTHORIZED`), `closed`, `gave-up`, …
 */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  readonly reason: string;
  constructor(reason: string, message?: string, options?: { cause?: unknown }) {
    super(message ?? `connection failed: ${reason}`, options);
    this.reason = reason;
  }
}

/** True when `error` is an error a browser or the SDK names `name` (DOMException or ours). */
export function isNamedError(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}
