/**
 * Maps the browser's `RTCIceServer[]` onto node-datachannel's ICE server list.
 *
 * libdatachannel also accepts URL strings (`turn:user:pass@host:port`), but the TURN REST API
 * usernames Parley mints are `"<expiry>:<peer>"` and the credentials are base64 (`/`, `+`, `=`):
 * both collide with that URL syntax. The object form (`hostname`, `port`, `username`,
 * `password`, `relayType`) needs no escaping, so every server is passed that way.
 *
 * Servers the native stack cannot use (`stuns:`, TURN over TCP or TLS) are left out and
 * reported, rather than passed on to fail without a word.
 */
import type { IceServer as NativeIceServer, RelayType } from 'node-datachannel';

/** A server the browser would accept but libdatachannel cannot use, with the reason. */
export interface SkippedIceServer {
  readonly url: string;
  readonly reason: string;
}

export interface MappedIceServers {
  readonly servers: NativeIceServer[];
  readonly skipped: SkippedIceServer[];
}

const DEFAULT_PORT = { stun: 3478, turn: 3478, turns: 5349 } as const;

/**
 * Parses one ICE URL (RFC 7064 `stun:`, RFC 7065 `turn:`/`turns:`) into its parts.
 * Returns null for anything that is not such a URL.
 */
export function parseIceUrl(url: string): {
  scheme: 'stun' | 'stuns' | 'turn' | 'turns';
  host: string;
  port: number;
  transport?: 'udp' | 'tcp';
} | null {
  const m =
    /^(stuns?|turns?):(\[[0-9A-Fa-f:.]+\]|[^:?/[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i.exec(
      url.trim(),
    );
  if (!m) return null;
  const scheme = m[1]!.toLowerCase() as 'stun' | 'stuns' | 'turn' | 'turns';
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  const port = m[3] ? Number(m[3]) : scheme === 'stuns' ? DEFAULT_PORT.turns : DEFAULT_PORT[scheme];
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  const transport = m[4]?.toLowerCase() as 'udp' | 'tcp' | undefined;
  if (transport && scheme.startsWith('stun')) return null; // RFC 7064: no transport on stun URLs
  return transport ? { scheme, host, port, transport } : { scheme, host, port };
}

/**
 * Converts browser-shaped ICE servers. Like a browser, a TURN entry without `username` and
 * `credential` throws `InvalidAccessError` and a malformed URL throws `SyntaxError`; a URL that
 * is valid but unsupported here (`stuns:`) is skipped and reported, not fatal.
 */
export function toNativeIceServers(iceServers: readonly RTCIceServer[] = []): MappedIceServers {
  const servers: NativeIceServer[] = [];
  const skipped: SkippedIceServer[] = [];
  for (const server of iceServers) {
    const urls = typeof server.urls === 'string' ? [server.urls] : [...server.urls];
    if (urls.length === 0) throw new DOMException('RTCIceServer.urls is empty', 'SyntaxError');
    for (const url of urls) {
      const parsed = parseIceUrl(url);
      if (!parsed) throw new DOMException(`invalid ICE server URL: ${url}`, 'SyntaxError');
      if (parsed.scheme === 'stuns') {
        skipped.push({ url, reason: 'STUN over TLS is not supported by libdatachannel' });
        continue;
      }
      if (parsed.scheme === 'stun') {
        servers.push({ hostname: parsed.host, port: parsed.port });
        continue;
      }
      const { username, credential } = server;
      if (typeof username !== 'string' || typeof credential !== 'string' || !username || !credential) {
        throw new DOMException(`TURN server ${url} needs a username and a credential`, 'InvalidAccessError');
      }
      if (parsed.scheme === 'turns' || parsed.transport === 'tcp') {
        // libdatachannel's ICE backend (libjuice) allocates relays over UDP only: a TCP or TLS
        // TURN server gathers nothing, silently (measured; see docs/CLI.md). Say so instead.
        skipped.push({ url, reason: 'TURN over TCP/TLS is not supported by libdatachannel (UDP only)' });
        continue;
      }
      const relayType: RelayType = 'TurnUdp';
      servers.push({ hostname: parsed.host, port: parsed.port, username, password: credential, relayType });
    }
  }
  return { servers, skipped };
}
