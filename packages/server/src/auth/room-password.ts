/**
 * Room passwords. The first peer to join an empty room may give a password; it protects the room
 * for as long as the room exists (until its last member has left and the resume grace has run
 * out). Later joiners must give the same password. The server keeps only a salted scrypt hash,
 * never the password, so a directory shared through Redis does not hold it either.
 *
 * Failures are `FORBIDDEN` with one fixed message whether the password was missing or wrong, and
 * the reply never says who is in the room or how many: the only thing a guesser learns is that
 * the guess failed. (A protected room cannot be made indistinguishable from an empty one while
 * rooms are keyed by name alone: joining an empty room succeeds.)
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { LIMITS, ParleyError } from '@parley/protocol';

/** scrypt cost: N=2^14, r=8 (16 MiB, ~30–60 ms here); hard enough for a short-lived room secret. */
const DEFAULT_PARAMS = { N: 1 << 14, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Largest N accepted from a stored hash, so a corrupted or hostile record cannot stall the server. */
const MAX_N = 1 << 16;
const PREFIX = 'scrypt';

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Hashes a room password for storage: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 * The password is NFC-normalised first, so the same word typed on different keyboards matches.
 */
export async function hashRoomPassword(
  password: string,
  params: { N: number; r: number; p: number } = DEFAULT_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return [PREFIX, params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/**
 * True when `password` matches a hash from `hashRoomPassword`. The comparison is constant-time
 * (`timingSafeEqual`); a malformed stored value is simply no match.
 */
export async function verifyRoomPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const sane =
    Number.isInteger(N) &&
    N > 1 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 8 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 4 &&
    salt.length >= 8 &&
    expected.length === KEY_BYTES;
  if (!sane) return false;
  const actual = await derive(password, salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}

/** What the caller must do after `admitWithPassword` let a joiner in. */
export type RoomPasswordOutcome =
  /** The room is (and stays) open: no password involved. */
  | { readonly kind: 'open' }
  /** The joiner creates the room and protects it: store `hash` with the room. */
  | { readonly kind: 'protect'; readonly hash: string }
  /** The room is protected and the password matched. */
  | { readonly kind: 'match' };

/**
 * One message for every password failure. Programs tell missing from wrong by `reason`
 * (`password_required`, `password_wrong`), which says only what the joiner itself sent.
 */
export const ROOM_PASSWORD_REFUSED = 'room password required or wrong';

/**
 * Decides a `room.join` against the room's password state. Throws FORBIDDEN when refused.
 *
 * | room                    | password given | outcome                                   |
 * | ----------------------- | -------------- | ----------------------------------------- |
 * | empty / does not exist  | no             | `open`                                    |
 * | empty / does not exist  | yes, long enough | `protect` (store the hash with the room) |
 * | empty / does not exist  | yes, too short | BAD_MESSAGE (`LIMITS.passwordMinChars`)   |
 * | has members, no hash    | no             | `open`                                    |
 * | has members, no hash    | yes            | FORBIDDEN "room is open…" (reason `room_open`, see below) |
 * | protected               | right          | `match`                                   |
 * | protected               | missing/wrong  | FORBIDDEN `ROOM_PASSWORD_REFUSED` (reason `password_required` / `password_wrong`) |
 *
 * A password offered for a room that already exists without one is refused rather than ignored:
 * silently joining would let the joiner believe the room is private while anyone can walk in.
 * Saying so reveals nothing protected (the room is open to all anyway).
 *
 * A password shorter than `LIMITS.passwordMinChars` cannot protect a new room: a one-letter
 * password falls to a few dozen guesses. Offered for a protected room, a short one is simply
 * wrong (every stored password is long enough), so the check is only made at creation, and a
 * guesser learns nothing from it that an empty room would not tell anyway.
 *
 * Callers must run this and the resulting store/join atomically per room (or re-check after an
 * await), or two first joiners racing with different passwords could both believe they set it.
 */
export async function admitWithPassword(room: {
  /** The room currently has members (including ones within their resume grace). */
  readonly occupied: boolean;
  /** The stored hash, if the room is protected. */
  readonly hash: string | undefined;
  /** The password in `room.join`, if any. */
  readonly offered: string | undefined;
}): Promise<RoomPasswordOutcome> {
  const { occupied, hash, offered } = room;
  if (!occupied) {
    if (offered === undefined) return { kind: 'open' };
    // Code points, not UTF-16 units, so an emoji counts once.
    if ([...offered.normalize('NFC')].length < LIMITS.passwordMinChars) {
      throw new ParleyError(
        'BAD_MESSAGE',
        `a room password must have at least ${LIMITS.passwordMinChars} characters`,
        { reason: 'password_too_short' },
      );
    }
    return { kind: 'protect', hash: await hashRoomPassword(offered) };
  }
  if (hash === undefined) {
    if (offered === undefined) return { kind: 'open' };
    throw new ParleyError('FORBIDDEN', 'room is open (it was created without a password); join without one', {
      reason: 'room_open',
    });
  }
  if (offered !== undefined && (await verifyRoomPassword(offered, hash))) return { kind: 'match' };
  // The reason only repeats what the joiner knows (whether it sent a password); the message is one.
  throw new ParleyError('FORBIDDEN', ROOM_PASSWORD_REFUSED, {
    reason: offered === undefined ? 'password_required' : 'password_wrong',
  });
}
