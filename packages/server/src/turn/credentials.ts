/**
 * TURN credentials for the TURN REST API scheme that coturn checks with `use-auth-secret` /
 * `static-auth-secret`: the username is `<expiry-unix-seconds>:<name>` and the credential is
 * base64(HMAC-SHA1(secret, username)). The TURN server recomputes the HMAC and refuses the
 * username once its expiry has passed, so nothing is shared but the secret.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '@parley/protocol';

/** A minted TURN username/credential pair and when it stops working. */
export interface TurnCredentials {
  username: string;
  credential: string;
  /** Unix time, in seconds, at which the TURN server starts refusing them. */
  expiresAtS: number;
}

/** Mints credentials for `name` valid `ttlS` seconds from `nowMs`. */
export function mintTurnCredentials(
  secret: string,
  name: string,
  ttlS: number,
  nowMs: number = Date.now(),
): TurnCredentials {
  const expiresAtS = Math.floor(nowMs / 1000) + Math.floor(ttlS);
  const username = `${expiresAtS}:${name}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAtS };
}

/** What `iceServersFor` needs from the configuration. */
export interface IceConfig {
  readonly stunUrls: readonly string[];
  readonly turnUrls: readonly string[];
  readonly turnSecret: string | undefined;
  readonly turnTtlS: number;
}

/**
 * The ICE servers handed to a client: the STUN URLs, then the TURN URLs with fresh credentials
 * for `name` when a secret is configured (without a secret the TURN URLs are listed bare, for
 * TURN servers that need no authentication).
 */
export function iceServersFor(config: IceConfig, name: string, nowMs: number = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: [...config.stunUrls] });
  if (config.turnUrls.length > 0) {
    if (config.turnSecret) {
      const { username, credential } = mintTurnCredentials(config.turnSecret, name, config.turnTtlS, nowMs);
      servers.push({ urls: [...config.turnUrls], username, credential });
    } else servers.push({ urls: [...config.turnUrls] });
  }
  return servers;
}

/** True when ICE credentials expire and need refreshing (`ice.updated`). */
export function iceRefreshNeeded(config: IceConfig): boolean {
  return config.turnUrls.length > 0 && config.turnSecret !== undefined;
}
