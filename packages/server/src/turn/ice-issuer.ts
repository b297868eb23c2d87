/**
 * Who gets TURN credentials, under which username, and how often. The one place that turns the
 * configuration into ICE server lists for `welcome`, `ice.updated` and `GET /ice`.
 *
 * - Without access tokens (an open server) anyone may connect, so the relay is rationed per
 *   client address (IPv6: per /64, see `ipKey`): at most `turnPerAddress` holders (sessions,
 *   plus the address's `/ice` self-test) have unexpired credentials at once (`TurnBudget`);
 *   beyond it `welcome` lists STUN only (the STUN servers, and the TURN servers' own addresses
 *   as `stun:`), and the next `ice.updated` brings TURN once a place is free. The TURN username
 *   is `<expiry>:@<address id>`: an opaque keyed hash of the address, never the address itself,
 *   so coturn's `user-quota` (which counts allocations per username *without* the expiry)
 *   caps allocations per client address on every node, however many credentials it collects.
 * - With access tokens only holders of a valid token get here; each session's username is
 *   `<expiry>:<name>`, so the quota holds per user (colleagues behind one NAT do not share it).
 *   `/ice` still uses the address id and the budget: it is reachable without a session.
 * - `GET /ice` is rate-limited per address before anything else is done (429, Retry-After).
 * - Parley's own STUN server (stun/), when it runs, comes last in every list, under the host the
 *   client used to reach Parley (`selfStun`).
 * - Credentials live `turnTtlS` (10 minutes by default); sessions get fresh ones in
 *   `ice.updated` at 80% of that. Expiry only stops *new* allocations: coturn keeps refreshing
 *   an allocation made in time (measured: test/integration/server/turn/turn-exhaustion.test.ts, "refresh").
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '@parley/protocol';
import { IpLimiter, ipKey } from '../auth/ip-limiter.ts';
import type { Metrics } from '../metrics.ts';
import { type IceConfig, iceServersFor } from './credentials.ts';
import { TurnBudget } from './turn-budget.ts';

/** What the issuer reads from the configuration. */
export interface IceIssuerConfig extends IceConfig {
  /** Holders of TURN credentials per client address on an open server (0: none). */
  readonly turnPerAddress: number;
  /** `GET /ice` requests per minute per client address. */
  readonly icePerMin: number;
}

/** The client asking: its address (for the TURN budget) and the host it used to reach Parley. */
export interface IceClient {
  ip: string;
  /** Host (URL form) from the client's request, for the built-in STUN server's URL. */
  host?: string | undefined;
}

/** The ICE servers for one session, and whether TURN credentials are among them. */
export interface SessionIce {
  iceServers: IceServer[];
  /** `minted`: fresh credentials; `withheld`: the address's budget is full; `none`: no TURN secret. */
  turn: 'minted' | 'withheld' | 'none';
}

/** The body of a `GET /ice` that was served. */
export interface SelfTestIce {
  iceServers: IceServer[];
  /** Lifetime of the TURN credentials in the list, seconds (absent without credentials). */
  ttlS?: number;
  /** Why the list holds no TURN credentials although the server has a TURN secret. */
  turnWithheld?: 'token-required' | 'address-budget';
}

/** A `GET /ice` refused by the per-address rate limit. */
export interface IceRateLimited {
  retryAfterS: number;
}

/** Prefix of address ids in TURN usernames: `@` never occurs in a Parley name. */
const ADDRESS_ID_PREFIX = '@';

/**
 * The opaque id of a client address (its `ipKey`) in TURN usernames: HMAC-SHA256 keyed with the
 * TURN secret, 96 bits, base64url. Stable across nodes and restarts (same secret), so coturn
 * counts one address as one user everywhere; not reversible without the secret.
 */
export function turnAddressId(secret: string, addressKey: string): string {
  const mac = createHmac('sha256', secret).update(`parley turn address\0${addressKey}`).digest();
  return `${ADDRESS_ID_PREFIX}${mac.subarray(0, 12).toString('base64url')}`;
}

/** Hands out ICE server lists under the per-address budget and the `/ice` rate limit. */
export class IceIssuer {
  readonly #config: IceIssuerConfig;
  readonly #tokens: boolean;
  readonly #metrics: Metrics | undefined;
  readonly #budget: TurnBudget;
  readonly #iceLimiter: IpLimiter;
  readonly #selfStun: ((host: string | undefined) => string | undefined) | undefined;

  /**
   * `tokens`: hello requires an access token (then sessions are identified by name).
   * `selfStun`: the built-in STUN server's URL for a client that came in as `host`, undefined
   * when it does not run (then nothing is added).
   */
  constructor(
    config: IceIssuerConfig,
    o: { tokens: boolean; metrics?: Metrics; selfStun?: (host: string | undefined) => string | undefined },
  ) {
    this.#config = config;
    this.#selfStun = o.selfStun;
    this.#tokens = o.tokens;
    this.#metrics = o.metrics;
    this.#budget = new TurnBudget({ perAddress: config.turnPerAddress });
    this.#iceLimiter = new IpLimiter({ ratePerS: config.icePerMin / 60, burst: config.icePerMin });
  }

  /** True when credentials expire, so sessions need `ice.updated` before they do. */
  get refreshes(): boolean {
    return this.#config.turnUrls.length > 0 && this.#config.turnSecret !== undefined;
  }

  /** ICE servers for session `name` of `client` (`via`: for the metric). */
  forSession(
    name: string,
    client: IceClient,
    via: 'welcome' | 'refresh',
    nowMs: number = Date.now(),
  ): SessionIce {
    const ice = this.#forSession(name, client.ip, via, nowMs);
    ice.iceServers = this.#withSelfStun(ice.iceServers, client.host);
    return ice;
  }

  #forSession(name: string, ip: string, via: 'welcome' | 'refresh', nowMs: number): SessionIce {
    if (!this.refreshes) return { iceServers: iceServersFor(this.#config, name, nowMs), turn: 'none' };
    if (this.#tokens) return this.#minted(name, via, nowMs);
    const key = ipKey(ip);
    if (!this.#budget.grant(key, `s:${name}`, this.#expiryMs(nowMs), nowMs)) return this.#withheld(via);
    return this.#minted(turnAddressId(this.#config.turnSecret!, key), via, nowMs);
  }

  /**
   * `GET /ice` from `ip`: rate-limited first (before the token is checked, which costs a
   * signature verification), then TURN credentials when `turnAllowed()` and the address budget
   * let it; the username carries the address id, like an anonymous session's.
   */
  async forSelfTest(
    client: IceClient,
    turnAllowed: () => Promise<boolean>,
    nowMs: number = Date.now(),
  ): Promise<SelfTestIce | IceRateLimited> {
    const key = ipKey(client.ip);
    if (!this.#iceLimiter.take(key)) {
      this.#metrics?.iceRateLimited.inc();
      return { retryAfterS: Math.max(1, Math.ceil(this.#iceLimiter.retryAfterMs(key) / 1000)) };
    }
    const own = (servers: IceServer[]) => this.#withSelfStun(servers, client.host);
    if (!this.refreshes) return { iceServers: own(iceServersFor(this.#config, 'selftest', nowMs)) };
    if (!(await turnAllowed()))
      return { iceServers: own(this.#withheld('ice').iceServers), turnWithheld: 'token-required' };
    if (!this.#budget.grant(key, 'ice', this.#expiryMs(nowMs), nowMs))
      return { iceServers: own(this.#withheld('ice').iceServers), turnWithheld: 'address-budget' };
    const { iceServers } = this.#minted(turnAddressId(this.#config.turnSecret!, key), 'ice', nowMs);
    return { iceServers: own(iceServers), ttlS: this.#config.turnTtlS };
  }

  /** `servers` plus the built-in STUN server, last, unless it is off or already listed. */
  #withSelfStun(servers: IceServer[], host: string | undefined): IceServer[] {
    const url = this.#selfStun?.(host);
    if (url === undefined || servers.some((s) => [s.urls].flat().includes(url))) return servers;
    return [...servers, { urls: [url] }];
  }

  #expiryMs(nowMs: number): number {
    return (Math.floor(nowMs / 1000) + Math.floor(this.#config.turnTtlS)) * 1000;
  }

  #minted(turnName: string, via: string, nowMs: number): SessionIce {
    this.#metrics?.turnCredentials.labels(via, 'minted').inc();
    return { iceServers: iceServersFor(this.#config, turnName, nowMs), turn: 'minted' };
  }

  /** STUN only: the STUN servers, then the TURN servers' `turn:` addresses as STUN (coturn answers both). */
  #withheld(via: string): { iceServers: IceServer[]; turn: 'withheld' } {
    this.#metrics?.turnCredentials.labels(via, 'withheld').inc();
    const urls = new Set(this.#config.stunUrls);
    for (const url of this.#config.turnUrls) {
      const m = /^turn:([^?]+)/.exec(url);
      if (m) urls.add(`stun:${m[1]}`);
    }
    return { iceServers: urls.size > 0 ? [{ urls: [...urls] }] : [], turn: 'withheld' };
  }
}
