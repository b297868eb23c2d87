/**
 * TURN credentials for Janus itself, over the "TURN REST API" Janus speaks as a client
 * (`nat.turn_rest_api` in `janus.jcfg`, draft-uberti-behave-turn-rest-00): for every PeerConnection
 * it sets up, Janus sends `service=turn`, its key (as both `key` and `api`) and a `username`
 * (the handle's opaque id or the session id), in the query string and, with POST, in the body too.
 * It expects JSON `{ username, password, ttl, uris }` with at least one `turn:`/`turns:` URI, and
 * then gathers relay candidates on those servers.
 *
 * The credentials are minted like the browsers' (`mintTurnCredentials`: same coturn secret, same
 * lifetime), so Janus and its clients share one coturn. The key is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { JanusTurnReply } from '../http/http-handler.ts';
import { mintTurnCredentials } from './credentials.ts';

/** What the endpoint needs from the configuration. */
export interface JanusTurnConfig {
  readonly janusTurnKey: string | undefined;
  readonly turnSecret: string | undefined;
  readonly turnUrls: readonly string[];
  readonly turnTtlS: number;
}

/** Why the endpoint is off, or undefined when it is served. */
export function janusTurnDisabledReason(config: JanusTurnConfig): string | undefined {
  if (!config.janusTurnKey) return 'PARLEY_JANUS_TURN_KEY is not set';
  if (!config.turnSecret) return 'PARLEY_TURN_SECRET is not set';
  // Janus keeps only turn: and turns: URIs, and refuses a reply without any.
  if (!config.turnUrls.some((u) => /^turns?:/.test(u))) return 'PARLEY_TURN_URLS lists no turn: URL';
  return undefined;
}

/** True when `given` is the configured key; constant time over the key's digest. */
export function janusTurnKeyMatches(config: JanusTurnConfig, given: string | undefined): boolean {
  if (!config.janusTurnKey || given === undefined) return false;
  const a = createHash('sha256').update(config.janusTurnKey).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * The name inside the minted username (`<expiry>:janus-<name>`): Janus's `username` reduced to
 * letters, digits, `.`, `_` and `-`, at most 64 of them (it shows in coturn's logs).
 */
export function janusTurnName(user: string | undefined): string {
  const clean = (user ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 64);
  return clean ? `janus-${clean}` : 'janus';
}

/** Fresh credentials for Janus; the caller has checked the key and that the endpoint is on. */
export function janusTurnReply(
  config: JanusTurnConfig,
  user: string | undefined,
  nowMs: number = Date.now(),
): JanusTurnReply {
  if (!config.turnSecret) throw new Error('no TURN secret configured');
  const { username, credential } = mintTurnCredentials(
    config.turnSecret,
    janusTurnName(user),
    config.turnTtlS,
    nowMs,
  );
  return {
    username,
    password: credential,
    ttl: Math.floor(config.turnTtlS),
    uris: config.turnUrls.filter((u) => /^turns?:/.test(u)),
  };
}
