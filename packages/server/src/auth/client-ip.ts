/**
 * The client's address behind a reverse proxy (`PARLEY_TRUST_PROXY`). Behind Caddy or nginx
 * every socket comes from 127.0.0.1, so per-IP limits would put all users in one bucket; the
 * proxy's `X-Forwarded-For` names the real client. That header is only believed when the socket
 * itself comes from a trusted proxy; otherwise anyone could pick their own address and walk
 * around the limits.
 *
 * `X-Forwarded-For: client, proxy1, proxy2` grows to the right, one hop per proxy. Walking it
 * from the right and skipping trusted proxies, the first untrusted address is the client: the
 * left part may be forged by the client itself, the trusted hops cannot.
 */
import { BlockList, isIP } from 'node:net';

/** Turns a request's socket address and headers into the client address to limit and log. */
export type ClientIpResolver = (req: {
  socket: { remoteAddress?: string | undefined };
  headers: Record<string, string | string[] | undefined>;
}) => string;

const NAMED: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  // Containers and private networks: a proxy in another container on the same host.
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Parses a trust setting: empty or `false` trusts nobody (direct exposure, the default);
 * otherwise a comma-separated list of `loopback`, `private`, addresses and CIDR ranges
 * (`10.0.0.0/8`, `2001:db8::/32`). Throws a TypeError naming every invalid entry.
 *
 * @example
 * const clientIp = createClientIpResolver(config.trustProxy); // 'loopback' behind Caddy
 * server.on('upgrade', (req) => { const ip = clientIp(req); … });
 */
export function createClientIpResolver(trust: string | readonly string[] | undefined): ClientIpResolver {
  const trusted = createAddressMatcher(trust, 'trusted proxy');

  return (req) => {
    const peer = unmap(req.socket.remoteAddress ?? '');
    if (trusted.empty || !trusted(peer)) return peer || 'unknown';
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => unmap(h.trim()))
      .filter((h) => h.length > 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) return peer; // garbage in the chain: do not guess, use the proxy
      if (!trusted(hop)) return hop;
    }
    // Every hop is a trusted proxy (e.g. a health check from the proxy host itself).
    return hops[0] ?? peer;
  };
}

/** A compiled address list: true when an address (IPv4-mapped allowed) is in it. */
export interface AddressMatcher {
  (address: string): boolean;
  /** No entries: matches nothing. */
  readonly empty: boolean;
}

/**
 * Compiles a list of `loopback`, `private`, addresses and CIDR ranges (a comma-separated string
 * or an array; empty or `false` entries are skipped), as used by `PARLEY_TRUST_PROXY` and
 * `PARLEY_METRICS_FROM`. Throws a TypeError naming every invalid entry; `what` names the list.
 */
export function createAddressMatcher(
  entriesText: string | readonly string[] | undefined,
  what = 'address',
): AddressMatcher {
  const entries = (typeof entriesText === 'string' ? entriesText.split(',') : (entriesText ?? []))
    .map((e) => e.trim())
    .filter((e) => e.length > 0 && e.toLowerCase() !== 'false');
  const list = new BlockList();
  const bad: string[] = [];
  for (const entry of entries) {
    for (const range of NAMED[entry.toLowerCase()] ?? [entry]) {
      if (!addRange(list, range)) bad.push(entry);
    }
  }
  if (bad.length > 0) {
    throw new TypeError(`invalid ${what} entr${bad.length > 1 ? 'ies' : 'y'}: ${bad.join(', ')}`);
  }
  const matcher = (address: string): boolean => {
    const bare = unmap(address);
    const family = isIP(bare);
    return family !== 0 && list.check(bare, family === 6 ? 'ipv6' : 'ipv4');
  };
  return Object.assign(matcher, { empty: entries.length === 0 });
}

function addRange(list: BlockList, range: string): boolean {
  const [address = '', prefixText] = range.split('/');
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefixText === undefined) {
    list.addAddress(address, type);
    return true;
  }
  const prefix = Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) return false;
  list.addSubnet(address, prefix, type);
  return true;
}

/** `::ffff:192.0.2.1` (how dual-stack sockets report IPv4 peers) → `192.0.2.1`. */
export function unmap(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}
