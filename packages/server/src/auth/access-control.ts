/**
 * The server's own `Authorizer`, built from the configuration: it puts the auth modules in front
 * of the places a stranger can reach.
 *
 * - Upgrade: a browser page whose `Origin` is not in `PARLEY_ALLOWED_ORIGINS` gets HTTP 403
 *   (cross-site WebSocket hijacking). No list: every origin passes, because the Vite dev proxy
 *   rewrites `Host` but not `Origin`, so a same-host default would lock out development.
 * - `hello` (fresh and resume): a per-address token bucket first (name scanning and squatting,
 *   and it bounds the signature checks a client can make us do), then, with a verifier
 *   configured, the access token must verify and name the session's peer name.
 * - `room.join`: the token's `rooms` claim; room passwords behind a per-address bucket, so
 *   guessing is slow and cannot keep scrypt busy.
 *
 * Tokens gate *connecting*: a session admitted with a token outlives the token's `exp`. A resume
 * is a new connection, so it needs a valid token again.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ParleyError } from '@parley/protocol';
import type { Config } from '../config.ts';
import type { Authorizer, HelloRequest } from '../session/authorizer.ts';
import { IpLimiter, ipKey } from './ip-limiter.ts';
import { createOriginPolicy, type OriginPolicy } from './origin.ts';
import {
  authorizeName,
  authorizeRoom,
  createTokenVerifier,
  type TokenClaims,
  type TokenVerifier,
} from './tokens.ts';

/** What `hello` leaves on the session: the verified claims, when tokens are required. */
export interface AccessContext {
  readonly claims: TokenClaims | undefined;
}

/** The collaborators of `AccessControl`; `createAccessControl` builds them from the config. */
export interface AccessControlOptions {
  /** Token verifier; absent: no token is required (and any given one is ignored). */
  readonly verifier?: TokenVerifier | undefined;
  /** Origin allow list; absent: every origin may open the WebSocket. */
  readonly origins?: OriginPolicy | undefined;
  /** `hello` attempts per client address. */
  readonly helloLimiter: IpLimiter;
  /** Room password checks per client address. */
  readonly passwordLimiter: IpLimiter;
}

/** The configured access control (see the module comment). */
export class AccessControl implements Authorizer<AccessContext | undefined> {
  readonly #verifier: TokenVerifier | undefined;
  readonly #origins: OriginPolicy | undefined;
  readonly #helloLimiter: IpLimiter;
  readonly #passwordLimiter: IpLimiter;

  constructor(options: AccessControlOptions) {
    this.#verifier = options.verifier;
    this.#origins = options.origins;
    this.#helloLimiter = options.helloLimiter;
    this.#passwordLimiter = options.passwordLimiter;
  }

  /** True when `hello` must carry a valid access token. */
  get requiresToken(): boolean {
    return this.#verifier !== undefined;
  }

  /**
   * Whether `GET /ice` may hand out TURN credentials: always without tokens; with tokens, only
   * for an `Authorization: Bearer <token>` that verifies (any name, any rooms).
   */
  async iceAllowed(authorization: string | undefined): Promise<boolean> {
    if (!this.#verifier) return true;
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) return false;
    return this.#verifier.verify(m[1]).then(
      () => true,
      () => false,
    );
  }

  /** 403 for a browser page from an origin that is not allowed; clients without Origin pass. */
  upgrade(req: IncomingMessage): number | undefined {
    if (!this.#origins) return undefined;
    const origin = req.headers.origin;
    return this.#origins.allows(origin) ? undefined : 403;
  }

  /** Rate limit per address, then the token (UNAUTHORIZED, fatal) for `name`. */
  async hello(req: HelloRequest): Promise<AccessContext | undefined> {
    const key = ipKey(req.ip);
    if (!this.#helloLimiter.take(key)) {
      const s = Math.max(1, Math.ceil(this.#helloLimiter.retryAfterMs(key) / 1000));
      throw new ParleyError('RATE_LIMITED', `too many hello attempts from this address; retry in ${s} s`);
    }
    if (!this.#verifier) return undefined;
    const claims = await this.#verifier.verify(req.token);
    authorizeName(claims, req.name);
    return { claims };
  }

  /** FORBIDDEN when the session's token does not list `room`. */
  roomJoin(context: AccessContext | undefined, room: string): void {
    if (context?.claims) authorizeRoom(context.claims, room);
  }

  /** RATE_LIMITED when this address has tried too many room passwords lately. */
  roomPassword(req: { ip: string }): void {
    const key = ipKey(req.ip);
    if (!this.#passwordLimiter.take(key)) {
      const s = Math.max(1, Math.ceil(this.#passwordLimiter.retryAfterMs(key) / 1000));
      throw new ParleyError(
        'RATE_LIMITED',
        `too many room password attempts from this address; retry in ${s} s`,
      );
    }
  }
}

/**
 * Builds the access control the configuration asks for. Async because importing a public key
 * is; the configuration was validated already, so this fails only on what `loadConfig` cannot
 * see (e.g. a key file removed since).
 */
export async function createAccessControl(config: Readonly<Config>): Promise<AccessControl> {
  const tokenOptions = {
    ...(config.authIssuer !== undefined ? { issuer: config.authIssuer } : {}),
    ...(config.authAudience !== undefined ? { audience: config.authAudience } : {}),
  };
  const verifier =
    config.authSecret !== undefined
      ? await createTokenVerifier({ secret: config.authSecret, ...tokenOptions })
      : config.authPublicKey !== undefined
        ? await createTokenVerifier({ publicKey: readPublicKey(config.authPublicKey), ...tokenOptions })
        : undefined;
  return new AccessControl({
    verifier,
    origins: config.allowedOrigins.length > 0 ? createOriginPolicy(config.allowedOrigins) : undefined,
    helloLimiter: new IpLimiter({ ratePerS: config.helloRatePerS, burst: config.helloBurst }),
    passwordLimiter: new IpLimiter({ ratePerS: config.passwordRatePerS, burst: config.passwordBurst }),
  });
}

/** `PARLEY_AUTH_PUBLIC_KEY` is the key itself (PEM or JWK JSON) or the path of a file holding it. */
export function readPublicKey(value: string): string {
  const text = value.trim();
  if (text.startsWith('-----BEGIN') || text.startsWith('{')) return text;
  return readFileSync(text, 'utf8');
}
