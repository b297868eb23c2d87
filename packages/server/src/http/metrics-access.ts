/**
 * Who may read `GET /metrics`. The counters say how many people are online, in which rooms, and
 * how the server is doing: operators' business, not the internet's. By default only loopback
 * clients (a Prometheus or `curl` on the host itself); `PARLEY_METRICS_FROM` widens the list
 * (`private`, CIDR ranges, `any`), and `PARLEY_METRICS_TOKEN` lets any address in with
 * `Authorization: Bearer <token>`.
 *
 * Behind a reverse proxy every request comes from loopback, so the address must be the client's:
 * with the proxy trusted (`PARLEY_TRUST_PROXY`) it is the one `X-Forwarded-For` names; a request
 * that carries forwarding headers but comes from a proxy that is not trusted was made by someone
 * else and never counts as loopback.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type ClientIpResolver, createAddressMatcher, unmap } from '../auth/client-ip.ts';

export interface MetricsAccessOptions {
  /** `PARLEY_METRICS_FROM`: `any`, or address entries. */
  readonly from: string;
  /** `PARLEY_METRICS_TOKEN`, if set. */
  readonly token?: string | undefined;
  /** `PARLEY_TRUST_PROXY`. */
  readonly trustProxy: string;
  /** The server's client address resolver (from the same `trustProxy`). */
  readonly clientIp: ClientIpResolver;
}

const FORWARDING_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded'] as const;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Builds the check: true when `req` may read the metrics. */
export function createMetricsAccess(options: MetricsAccessOptions): (req: IncomingMessage) => boolean {
  const any = options.from.trim().toLowerCase() === 'any';
  const allowed = any ? undefined : createAddressMatcher(options.from, 'metrics address');
  const trustedProxy = createAddressMatcher(options.trustProxy, 'trusted proxy');
  // Compared as digests, so the comparison is constant-time whatever the lengths.
  const tokenDigest = options.token === undefined ? undefined : digest(options.token);
  return (req) => {
    if (tokenDigest) {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (m && timingSafeEqual(digest(m[1]!), tokenDigest)) return true;
    }
    if (any) return true;
    const peer = unmap(req.socket.remoteAddress ?? '');
    const forwarded = FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined);
    if (forwarded && !trustedProxy(peer)) return false;
    return allowed!(options.clientIp(req));
  };
}
