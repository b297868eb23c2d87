/**
 * Which client ICE candidates may reach Janus. Janus runs beside the server, inside its network:
 * every remote candidate it is given, it sends STUN connectivity checks to. Left unfiltered, a
 * client could make Janus probe the server's own LAN, its loopback services or multicast groups
 * (`sfu.trickle`, or `a=candidate` lines inside a description). So, by default, a candidate is
 * passed on only when its address is a literal IP outside the ranges below and its port is an
 * unprivileged one; anything else is dropped (silently: a browser's own private host candidates
 * are normal, and ICE still connects without them, because Janus learns the client's address
 * from the client's own checks as a peer-reflexive candidate, RFC 8445 §7.3.1.3).
 *
 * `allowPrivate` passes private, loopback, link-local and CGNAT addresses and mDNS `.local` names.
 * PARLEY_SFU_PRIVATE_CANDIDATES decides it: `drop`, `allow`, or by default `auto`, which allows
 * them only to clients that connect from such an address themselves (`isPrivateAddress`): a client
 * inside the LAN can reach the LAN anyway, and a LAN deployment (clients and coturn's relay
 * addresses on private ranges) needs those candidates, while a client from the internet never
 * gets Janus to look inside. Multicast,
 * broadcast, unspecified addresses, other host names, ports below 1024 and lines that do not
 * parse are dropped whatever the setting, and so are the operator's own `blocked` ranges
 * (PARLEY_SFU_BLOCKED_CANDIDATES: typically the server's public address and its neighbours, where
 * a STUN check would reach the host's own UDP services, such as coturn).
 */
import { BlockList, isIP } from 'node:net';

/** Ranges dropped unless private candidates are allowed: the server's own networks. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** True for a private, loopback, link-local, CGNAT or ULA address (a client inside the LAN). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Ranges never passed on: nobody can be reached there by ICE. */
const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addSubnet('240.0.0.0', 4, 'ipv4');
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6');

/** Why a candidate was dropped (for the counters), or `ok`. */
export type CandidateVerdict = 'ok' | 'private' | 'forbidden' | 'blocked' | 'hostname' | 'malformed';

/** What `judgeCandidate` lets through. */
export interface CandidatePolicy {
  readonly allowPrivate: boolean;
  /** Extra ranges never passed on (from `blockList`). */
  readonly blocked?: BlockList;
}

/**
 * Parses `a.b.c.d`, `a.b.c.d/n`, `v6` or `v6/n` entries into a BlockList; throws on the first
 * entry that is none of those (config.ts reports it).
 */
export function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0 || !/^\d{1,3}$/.test(String(bits)) || bits > max) {
      throw new Error(`not an address or address/prefix: "${entry}"`);
    }
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/**
 * Judges one candidate line (`candidate:<foundation> <component> <transport> <priority>
 * <address> <port> typ <type> …`, with or without a leading `a=`).
 */
export function judgeCandidate(line: string, policy: CandidatePolicy): CandidateVerdict {
  const { allowPrivate, blocked } = policy;
  const text = line.startsWith('a=') ? line.slice(2) : line;
  const parts = text.trim().split(/\s+/);
  if (parts.length < 8 || !/^candidate:\S+$/.test(parts[0]!) || parts[6] !== 'typ') return 'malformed';
  if (!/^\d{1,3}$/.test(parts[1]!) || !/^(udp|tcp)$/i.test(parts[2]!) || !/^\d{1,10}$/.test(parts[3]!))
    return 'malformed';
  if (!/^(host|srflx|prflx|relay)$/.test(parts[7]!)) return 'malformed';
  const address = parts[4]!;
  const port = /^\d{1,5}$/.test(parts[5]!) ? Number(parts[5]) : -1;
  if (port < 0 || port > 65_535) return 'malformed';
  if (port < 1024) return 'forbidden';
  const family = isIP(address);
  if (family === 0) {
    // mDNS names (browsers hide host addresses behind them) resolve on the server's LAN.
    const mdns = /^[0-9a-z-]{1,63}\.local$/i.test(address);
    if (!mdns) return 'hostname';
    return allowPrivate ? 'ok' : 'private';
  }
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it maps to.
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  const addr = mapped ?? address;
  const fam: 'ipv4' | 'ipv6' = mapped || family === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(addr, fam)) return 'forbidden';
  if (blocked?.check(addr, fam)) return 'blocked';
  if (PRIVATE.check(addr, fam)) return allowPrivate ? 'ok' : 'private';
  return 'ok';
}

/**
 * A session description with the `a=candidate` lines `judgeCandidate` refuses taken out, and how
 * many were. Everything else is kept byte for byte (line endings included).
 */
export function filterSdpCandidates(sdp: string, policy: CandidatePolicy): { sdp: string; dropped: number } {
  if (!sdp.includes('a=candidate:')) return { sdp, dropped: 0 };
  let dropped = 0;
  const lines = sdp.split(/(?<=\n)/);
  const kept = lines.filter((line) => {
    if (!line.startsWith('a=candidate:')) return true;
    if (judgeCandidate(line.replace(/\r?\n$/, ''), policy) === 'ok') return true;
    dropped++;
    return false;
  });
  return { sdp: dropped === 0 ? sdp : kept.join(''), dropped };
}
