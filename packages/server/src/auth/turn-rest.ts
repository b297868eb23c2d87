/**
 * Short-lived TURN credentials in the "TURN REST API" scheme that coturn checks when it runs with
 * `use-auth-secret` + `static-auth-secret` (draft-uberti-behave-turn-rest-00; coturn's
 * `examples/etc/turnserver.conf`). The server and coturn share one secret and never talk to each
 * other: the username carries its own expiry, and the password is a MAC over the username, so
 * coturn can check a credential it has never seen and refuse it once the time has passed.
 */
import { createHmac } from 'node:crypto';

/** A credential ready to put in an RTCIceServer (`username`, `credential`). */
export interface TurnCredential {
  /** `<expiry-unix-seconds>:<name>`; coturn reads the number before the first colon as the expiry. */
  readonly username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  readonly credential: string;
  /** When coturn stops accepting it, in Unix seconds (the number in `username`). */
  readonly expiresAtS: number;
}

/**
 * Mints a TURN credential valid for `ttlS` seconds from `nowMs`.
 *
 * The timestamp is the expiry, not the issue time: coturn refuses a username whose timestamp
 * is in the past. `name` only labels the allocation in coturn's logs (peer names cannot contain
 * ':', so the username stays unambiguous).
 *
 * @example
 * const { username, credential } = mintTurnCredential(secret, 'alice', 3600);
 * const iceServer = { urls: ['turn:turn.example.com:3478'], username, credential };
 */
export function mintTurnCredential(
  secret: string,
  name: string,
  ttlS: number,
  nowMs: number = Date.now(),
): TurnCredential {
  if (secret.length === 0) throw new RangeError('TURN secret must not be empty');
  if (!Number.isFinite(ttlS) || ttlS <= 0) throw new RangeError(`TURN ttl must be > 0 seconds (got ${ttlS})`);
  const expiresAtS = Math.floor(nowMs / 1000) + Math.floor(ttlS);
  const username = `${expiresAtS}:${name}`;
  return { username, credential: turnPassword(secret, username), expiresAtS };
}

/** The password coturn expects for `username`: base64(HMAC-SHA1(secret, username)). */
export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}
