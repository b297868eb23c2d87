/**
 * Access tokens: JWTs that an operator's own backend (or `npm run token`) issues, and that a
 * client sends in `hello.token`. A token says who the holder is (`name`) and, optionally, which
 * rooms it may join (`rooms`, with `*` wildcards). Parley never issues tokens to itself; it only
 * verifies them, with either a shared secret (HS256) or the issuer's public key (ES256), so an
 * operator can keep the private key off the signaling server entirely.
 *
 * Every failure is a `ParleyError('UNAUTHORIZED', reason)`: the reason is safe to send to the
 * client (it names what was wrong, never the key or the token).
 */
import { LIMITS, NAME_PATTERN, ParleyError, ROLES, type Role } from '@parley/protocol';
// jose is loaded by `createTokenVerifier`, i.e. only with tokens configured: a server without
// them does not carry it (about 10 MiB of resident memory at start, docs/BENCHMARKS.md).
import type { CryptoKey, JWK, JWTPayload, KeyObject } from 'jose';

type Jose = typeof import('jose');

/** What a verified token allows. */
export interface TokenClaims {
  /** The peer name the holder must use in `hello`. */
  readonly name: string;
  /**
   * Room names (or `*` patterns such as `team-*`) the holder may join; absent means any room.
   * An empty list means no room at all (presence and direct calls only).
   */
  readonly rooms?: readonly string[];
  /** Expiry, Unix seconds. Every token must expire. */
  readonly exp: number;
  /**
   * Roles in rooms: room names or `*` patterns to `host`, `member` or `viewer` (the first
   * matching entry wins, in the claim's order). Absent: the room decides (first joiner is host).
   */
  readonly roles?: readonly { readonly pattern: string; readonly role: Role }[];
  /** `"record": true`: the holder may record SFU rooms under `PARLEY_RECORDING=hosts` (issue 23). */
  readonly record?: true;
}

export interface TokenVerifierOptions {
  /** Shared secret for HS256, at least 32 bytes (RFC 7518 §3.2: no shorter than the hash). */
  readonly secret?: string;
  /** Public key for ES256: SPKI PEM (`-----BEGIN PUBLIC KEY-----`), a JWK object or JWK JSON. */
  readonly publicKey?: string | JWK;
  /** When set, the `iss` claim must equal it. */
  readonly issuer?: string;
  /** When set, the `aud` claim must contain it. */
  readonly audience?: string;
  /** Accepted clock skew between the issuer and this server, seconds. Default 5. */
  readonly clockToleranceS?: number;
  /**
   * Longest lifetime a token may have, seconds: `exp - iat`, or `exp - now` for a token without
   * `iat`. Longer ones are refused, so a leaked token cannot stay useful for years. Default 24 h
   * (`PARLEY_AUTH_MAX_TOKEN_AGE_S`).
   */
  readonly maxTokenAgeS?: number;
}

/** Default of `maxTokenAgeS`: a day. */
export const DEFAULT_MAX_TOKEN_AGE_S = 86_400;

export interface TokenVerifier {
  /** The one algorithm this verifier accepts (`HS256` or `ES256`). */
  readonly algorithm: 'HS256' | 'ES256';
  /**
   * Verifies signature, algorithm, `exp` (required), `nbf`, `iss`/`aud` when configured, and the
   * `name`/`rooms` claims. Resolves to the claims, or throws ParleyError UNAUTHORIZED.
   */
  verify(token: string | undefined): Promise<TokenClaims>;
}

/** Most room entries a token may carry (bounds the work of every room.join check). */
export const MAX_TOKEN_ROOMS = 64;
/** A room entry: the room-name alphabet plus `*`. */
const ROOM_PATTERN = /^[A-Za-z0-9_.*-]+$/;
const MIN_SECRET_BYTES = 32;

/**
 * Builds a verifier. Async because importing a public key is; a bad key or a short secret fails
 * here, at startup, rather than on the first `hello`.
 *
 * @example
 * const verifier = await createTokenVerifier({ secret: config.authSecret });
 * const claims = await verifier.verify(hello.token); // throws UNAUTHORIZED
 * authorizeName(claims, hello.name);
 */
export async function createTokenVerifier(options: TokenVerifierOptions): Promise<TokenVerifier> {
  const { secret, publicKey } = options;
  if ((secret === undefined) === (publicKey === undefined)) {
    throw new TypeError('createTokenVerifier needs exactly one of `secret` (HS256) or `publicKey` (ES256)');
  }
  const jose = await import('jose');
  let key: CryptoKey | KeyObject | Uint8Array;
  let algorithm: 'HS256' | 'ES256';
  if (secret !== undefined) {
    const bytes = new TextEncoder().encode(secret);
    if (bytes.byteLength < MIN_SECRET_BYTES) {
      throw new RangeError(`the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    key = bytes;
    algorithm = 'HS256';
  } else {
    key = await importEs256PublicKey(jose, publicKey!);
    algorithm = 'ES256';
  }
  const clockTolerance = options.clockToleranceS ?? 5;
  const maxAgeS = options.maxTokenAgeS ?? DEFAULT_MAX_TOKEN_AGE_S;

  return {
    algorithm,
    async verify(token) {
      if (token === undefined || token.length === 0) throw unauthorized('access token required');
      if (token.length > LIMITS.tokenMaxChars) throw unauthorized('access token too long');
      let payload: JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(token, key, {
          algorithms: [algorithm],
          requiredClaims: ['exp'],
          clockTolerance,
          ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
          ...(options.audience !== undefined ? { audience: options.audience } : {}),
        }));
      } catch (err) {
        throw unauthorized(describeJoseError(jose, err), err);
      }
      checkLifetime(payload, maxAgeS, clockTolerance);
      return claimsFrom(payload);
    },
  };
}

async function importEs256PublicKey(jose: Jose, publicKey: string | JWK): Promise<CryptoKey | KeyObject> {
  let key: CryptoKey | KeyObject | Uint8Array;
  try {
    const text = typeof publicKey === 'string' ? publicKey.trim() : undefined;
    if (text === undefined) key = await jose.importJWK(publicKey as JWK, 'ES256');
    else if (text.startsWith('{')) key = await jose.importJWK(JSON.parse(text) as JWK, 'ES256');
    else key = await jose.importSPKI(text, 'ES256');
  } catch (err) {
    throw new TypeError('the ES256 public key is not a P-256 SPKI PEM or JWK', { cause: err });
  }
  // A symmetric JWK ("kty": "oct") imports as bytes: that is a secret, not a public key.
  if (key instanceof Uint8Array) throw new TypeError('the ES256 public key is a symmetric JWK');
  return key;
}

function unauthorized(reason: string, cause?: unknown): ParleyError {
  return new ParleyError('UNAUTHORIZED', reason, cause === undefined ? undefined : { cause });
}

/** A short, client-safe reason for a jose failure. */
function describeJoseError({ errors: joseErrors }: Jose, err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'access token expired';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'access token algorithm not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'access token signature invalid';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'exp') return 'access token has no expiry';
    if (err.claim === 'nbf') return 'access token not valid yet';
    if (err.claim === 'iss') return 'access token issuer not accepted';
    if (err.claim === 'aud') return 'access token audience not accepted';
    return `access token claim "${err.claim}" invalid`;
  }
  if (err instanceof joseErrors.JOSENotSupported) return 'access token algorithm not allowed';
  return 'access token malformed';
}

/**
 * Refuses a token that lives longer than `maxAgeS`. With `iat` the lifetime is `exp - iat` (and
 * `iat` may not lie in the future, or a token could claim a late `iat` to stretch its life);
 * without it, `exp - now`, the life it has left.
 */
function checkLifetime(payload: JWTPayload, maxAgeS: number, toleranceS: number): void {
  const exp = payload.exp as number;
  const nowS = Date.now() / 1000;
  const iat = payload.iat;
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw unauthorized('access token iat invalid');
    if (iat > nowS + toleranceS) throw unauthorized('access token issued in the future');
  }
  const lifetimeS = exp - (iat ?? nowS);
  if (lifetimeS > maxAgeS + toleranceS) {
    throw unauthorized(`access token lives too long (at most ${maxAgeS} s between iat and exp)`);
  }
}

function claimsFrom(payload: JWTPayload): TokenClaims {
  const name = payload.name;
  if (typeof name !== 'string' || name.length === 0) throw unauthorized('access token has no name claim');
  if (name.length > LIMITS.nameMaxChars || !NAME_PATTERN.test(name)) {
    throw unauthorized('access token name claim is not a valid peer name');
  }
  const exp = payload.exp as number;
  const roles = rolesFrom(payload.roles);
  const rooms = payload.rooms;
  const grant = payload.record === true ? { record: true as const } : {};
  if (rooms === undefined) return { name, exp, ...(roles ? { roles } : {}), ...grant };
  if (
    !Array.isArray(rooms) ||
    rooms.length > MAX_TOKEN_ROOMS ||
    !rooms.every(
      (r): r is string =>
        typeof r === 'string' && r.length > 0 && r.length <= LIMITS.roomMaxChars && ROOM_PATTERN.test(r),
    )
  ) {
    throw unauthorized('access token rooms claim invalid');
  }
  return { name, rooms: [...rooms], exp, ...(roles ? { roles } : {}), ...grant };
}

/** The `roles` claim: an object of at most MAX_TOKEN_ROOMS room patterns to a role. */
function rolesFrom(value: unknown): TokenClaims['roles'] {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw unauthorized('access token roles claim invalid');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (
    entries.length > MAX_TOKEN_ROOMS ||
    !entries.every(
      ([p, r]) =>
        p.length > 0 &&
        p.length <= LIMITS.roomMaxChars &&
        ROOM_PATTERN.test(p) &&
        (ROLES as readonly unknown[]).includes(r),
    )
  ) {
    throw unauthorized('access token roles claim invalid');
  }
  return entries.map(([pattern, role]) => ({ pattern, role: role as Role }));
}

/** The role the token's `roles` claim grants in `room`: the first matching entry's, if any. */
export function roleInRoom(claims: TokenClaims, room: string): Role | undefined {
  return claims.roles?.find((e) => globMatch(e.pattern, room))?.role;
}

/**
 * Throws UNAUTHORIZED unless the token was issued for `requestedName` (checked at `hello`; the
 * name in a token is an identity, so using another one is an authentication failure).
 */
export function authorizeName(claims: TokenClaims, requestedName: string): void {
  if (claims.name !== requestedName) throw unauthorized('access token was issued for another name');
}

/**
 * Throws FORBIDDEN unless the token allows `room` (checked at `room.join`). FORBIDDEN, not
 * UNAUTHORIZED: the session is authenticated and may carry on elsewhere; only this room is
 * off limits (the protocol's error table lists "room not in token" under FORBIDDEN).
 */
export function authorizeRoom(claims: TokenClaims, room: string): void {
  if (!isRoomAllowed(claims, room))
    throw new ParleyError('FORBIDDEN', 'access token does not allow this room', {
      reason: 'room_not_in_token',
    });
}

/** True when the token allows `room`: no `rooms` claim, an exact entry, or a matching pattern. */
export function isRoomAllowed(claims: TokenClaims, room: string): boolean {
  if (claims.rooms === undefined) return true;
  return claims.rooms.some((pattern) => globMatch(pattern, room));
}

/**
 * `*` matches any run of characters (including none); everything else matches itself.
 * Iterative with one backtrack point, so it is linear-ish and never explodes on `*a*a*a…`.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
