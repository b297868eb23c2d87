/**
 * The server's own `Authorizer`, built from the configuration: it puts the auth modules in front
 * of the places a stranger can reach.
 *
 * - Upgrade: a browser page whose `Origin` is not in `PARLEY_ALLOWED_ORIGINS` gets HTTP 403
 *   (cross-site WebSocket hijacking). No list: the page must come from the host name the
 *   request was sent to (`isSameHostName`: any port, so the Vite dev proxy, which rewrites `Host`
 *   to Parley's, still works). A request without `Origin` passes either way: browsers always send
 *   it on a WebSocket handshake and a page cannot remove it, so only non-browser clients (the CLI,
 *   bots, Node tests) lack it, and they act with their own network position, not a victim's.
 * - `hello` (fresh and resume): a per-address token bucket first (name scanning and squatting,
 *   and it bounds the signature checks a client can make us do), then, with a verifier
 *   configured, the access token must verify and name the session's peer name.
 * - `room.join`: the token's `rooms` claim; room passwords behind a bucket per (address, room),
 *   so guessing is slow but one guesser behind a NAT does not lock everyone there out of other
 *   rooms, and a wider per-address bucket over all rooms, so nobody can keep scrypt busy.
 *
 * Tokens gate *connecting*: a session admitted with a token outlives the token's `exp`. A resume
 * is a new connection, so it needs a valid token again.
 */
import type { IncomingMessage } from 'node:http';
import { ParleyError, type Role } from '@parley/protocol';
import type { Authorizer, HelloRequest } from './authorizer.ts';
import { IpLimiter, ipKey } from './ip-limiter.ts';
import { createOriginPolicy, isSameHostName, type OriginPolicy } from './origin.ts';
import { readPublicKey } from './public-key.ts';
import {
  authorizeName,
  authorizeRoom,
  createTokenVerifier,
  roleInRoom,
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
  /** Origin allow list; absent: pages from the same host name only (`isSameHostName`). */
  readonly origins?: OriginPolicy | undefined;
  /** `hello` attempts per client address. */
  readonly helloLimiter: IpLimiter;
  /** Room password checks per (client address, room). */
  readonly passwordLimiter: IpLimiter;
  /**
   * Room password checks per client address over all rooms (bounds scrypt work); default: none.
   */
  readonly passwordAddressLimiter?: IpLimiter | undefined;
}

/** The per-address password bucket is this many times the per-room one (rate and burst). */
export const PASSWORD_ADDRESS_FACTOR = 5;

/** The configured access control (see the module comment). */
export class AccessControl implements Authorizer<AccessContext | undefined> {
  readonly #verifier: TokenVerifier | undefined;
  readonly #origins: OriginPolicy | undefined;
  readonly #helloLimiter: IpLimiter;
  readonly #passwordLimiter: IpLimiter;
  readonly #passwordAddressLimiter: IpLimiter | undefined;

  constructor(options: AccessControlOptions) {
    this.#verifier = options.verifier;
    this.#origins = options.origins;
    this.#helloLimiter = options.helloLimiter;
    this.#passwordLimiter = options.passwordLimiter;
    this.#passwordAddressLimiter = options.passwordAddressLimiter;
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

  /**
   * 403 for a browser page from an origin that is not allowed (the configured list, else the same
   * host name); clients without Origin pass.
   */
  upgrade(req: IncomingMessage): number | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    if (this.#origins) return this.#origins.allows(origin) ? undefined : 403;
    return isSameHostName(origin, req.headers.host) ? undefined : 403;
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

  /** The role the token grants in `room` (its `roles` claim), if any. */
  roomRole(context: AccessContext | undefined, room: string): Role | undefined {
    return context?.claims ? roleInRoom(context.claims, room) : undefined;
  }

  /**
   * RATE_LIMITED when this address has tried too many passwords for this room lately, or too
   * many over all rooms. The room's bucket is checked first, and the address's is only charged
   * when the room's allowed the attempt, so a refused attempt costs nothing.
   */
  roomPassword(req: { ip: string; room: string }): void {
    const address = ipKey(req.ip);
    // A space cannot occur in a room name or an address key, so the pair key is unambiguous.
    const key = `${address} ${req.room}`;
    const limited = (limiter: IpLimiter, k: string, what: string): ParleyError => {
      const s = Math.max(1, Math.ceil(limiter.retryAfterMs(k) / 1000));
      return new ParleyError('RATE_LIMITED', `too many room password attempts ${what}; retry in ${s} s`);
    };
    if (this.#passwordLimiter.retryAfterMs(key) > 0) {
      throw limited(this.#passwordLimiter, key, 'for this room from this address');
    }
    const all = this.#passwordAddressLimiter;
    if (all && !all.take(address)) throw limited(all, address, 'from this address');
    this.#passwordLimiter.take(key);
  }
}

/** The settings `createAccessControl` reads (a part of the server's `Config`). */
export interface AccessControlConfig {
  readonly authSecret: string | undefined;
  readonly authPublicKey: string | undefined;
  readonly authIssuer: string | undefined;
  readonly authAudience: string | undefined;
  readonly authMaxTokenAgeS: number;
  readonly allowedOrigins: readonly string[];
  readonly helloRatePerS: number;
  readonly helloBurst: number;
  readonly passwordRatePerS: number;
  readonly passwordBurst: number;
}

/**
 * Builds the access control the configuration asks for. Async because importing a public key
 * is; the configuration was validated already, so this fails only on what `loadConfig` cannot
 * see (e.g. a key file removed since).
 */
export async function createAccessControl(config: AccessControlConfig): Promise<AccessControl> {
  const tokenOptions = {
    maxTokenAgeS: config.authMaxTokenAgeS,
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
    passwordAddressLimiter: new IpLimiter({
      ratePerS: config.passwordRatePerS * PASSWORD_ADDRESS_FACTOR,
      burst: config.passwordBurst * PASSWORD_ADDRESS_FACTOR,
    }),
  });
}
