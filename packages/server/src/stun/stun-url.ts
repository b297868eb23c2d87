/**
 * The URL under which clients reach Parley's own STUN server. By default it is the host the
 * client itself used to reach Parley (the `Host` header of its request; behind a trusted proxy,
 * `X-Forwarded-Host`) with the STUN port, so a server reached as `talk.example.org` advertises
 * `stun:talk.example.org:3478` and one reached as `192.168.1.20:8080` on a LAN advertises
 * `stun:192.168.1.20:3478`, with nothing to configure. `PARLEY_STUN_PUBLIC_URL` replaces it when
 * the STUN port is published elsewhere (another host name, a port forward).
 *
 * The header is the client's own word and only ever goes back to that client, but it still goes
 * into a URL the browser parses: anything but a plain host name, IPv4 address or bracketed IPv6
 * address is refused, and the client then gets no built-in STUN entry.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { createAddressMatcher } from '../auth/client-ip.ts';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, 'i');

/**
 * The host of a `Host` header value (`name`, `name:port`, `1.2.3.4:port`, `[v6]:port`) as it
 * goes into a URL (IPv6 in brackets), or undefined when it is anything else.
 */
export function urlHostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().replace(/\.$/, '').replace(/\.:/, ':');
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(value);
  if (v6) return isIPv6(v6[1]!) ? `[${v6[1]!.toLowerCase()}]` : undefined;
  const m = /^([^:]+)(?::\d{1,5})?$/.exec(value);
  if (!m) return undefined;
  const host = m[1]!.toLowerCase();
  return isIPv4(host) || HOST_NAME.test(host) ? host : undefined;
}

/**
 * Checks a `PARLEY_STUN_PUBLIC_URL` value: `stun:host` or `stun:host:port` (host as in
 * `urlHostOf`). Returns the normalised URL, or undefined when it is not one.
 */
export function parseStunPublicUrl(value: string): string | undefined {
  const m = /^stun:(.+)$/i.exec(value.trim());
  if (!m) return undefined;
  const host = urlHostOf(m[1]);
  if (host === undefined) return undefined;
  const port = /:(\d{1,5})$/.exec(m[1]!)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return port === undefined ? `stun:${host}` : `stun:${host}:${port}`;
}

/** What a request looks like to the resolver (an `IncomingMessage` fits). */
export interface RequestLike {
  socket: { remoteAddress?: string | undefined };
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The host a client used to reach Parley, ready for a URL: `X-Forwarded-Host` (its first entry)
 * when the socket comes from a trusted proxy (`PARLEY_TRUST_PROXY`), else `Host`.
 */
export function createPublicHostResolver(trustProxy: string): (req: RequestLike) => string | undefined {
  const trusted = createAddressMatcher(trustProxy, 'trusted proxy');
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    if (!trusted.empty && trusted(peer)) {
      const forwarded = req.headers['x-forwarded-host'];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0];
      const host = urlHostOf(first);
      if (host !== undefined) return host;
    }
    const host = req.headers.host;
    return urlHostOf(Array.isArray(host) ? host[0] : host);
  };
}

/**
 * The built-in STUN server's URL for a client that reached Parley as `host`: `publicUrl` when
 * set, else `stun:<host>:<port>`; undefined without a usable host.
 */
export function selfStunUrl(host: string | undefined, port: number, publicUrl?: string): string | undefined {
  if (publicUrl !== undefined) return publicUrl;
  return host === undefined ? undefined : `stun:${host}:${port}`;
}
