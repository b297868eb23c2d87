/**
 * Issues access tokens that `createTokenVerifier` accepts. Parley's server never calls this: an
 * operator's backend (or `npm run token`, or tests) does. HS256 signs with the shared secret;
 * ES256 with a private key, so the signaling server only ever holds the public half.
 */
import { LIMITS, NAME_PATTERN } from '@parley/protocol';
import { importPKCS8, SignJWT } from 'jose';
import { MAX_TOKEN_ROOMS } from './tokens.ts';

export interface SignAccessTokenOptions {
  /** The peer name the token is for. */
  readonly name: string;
  /** Rooms (or `*` patterns) it may join; omit for any room. */
  readonly rooms?: readonly string[];
  /** Grant recording under `PARLEY_RECORDING=hosts` (the `record: true` claim). */
  readonly record?: boolean;
  /** Lifetime, seconds. */
  readonly ttlS: number;
  /** HS256 shared secret (the server's PARLEY_AUTH_SECRET). */
  readonly secret?: string;
  /** ES256 private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  readonly privateKeyPem?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Clock, ms. */
  readonly nowMs?: number;
}

/** Signs a token. Throws RangeError/TypeError for arguments the verifier would refuse anyway. */
export async function signAccessToken(options: SignAccessTokenOptions): Promise<string> {
  const { name, rooms, ttlS, secret, privateKeyPem } = options;
  if (name.length > LIMITS.nameMaxChars || !NAME_PATTERN.test(name)) {
    throw new RangeError(`not a valid peer name: ${JSON.stringify(name)}`);
  }
  if (!Number.isInteger(ttlS) || ttlS <= 0) throw new RangeError('ttl must be a whole number of seconds > 0');
  if (rooms && (rooms.length > MAX_TOKEN_ROOMS || rooms.some((r) => !/^[A-Za-z0-9_.*-]{1,64}$/.test(r)))) {
    throw new RangeError(`rooms must be at most ${MAX_TOKEN_ROOMS} names or * patterns`);
  }
  if ((secret === undefined) === (privateKeyPem === undefined)) {
    throw new TypeError('signAccessToken needs exactly one of `secret` (HS256) or `privateKeyPem` (ES256)');
  }
  const nowS = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const jwt = new SignJWT({
    name,
    ...(rooms ? { rooms: [...rooms] } : {}),
    ...(options.record ? { record: true } : {}),
  })
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + ttlS);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  if (secret !== undefined) {
    return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
  }
  const key = await importPKCS8(privateKeyPem!, 'ES256');
  return jwt.setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(key);
}
