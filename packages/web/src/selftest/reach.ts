/**
 * How far calls from this browser can reach, as the self-test found it, and the summary it
 * leads to. DOM-free, so it is unit-tested on its own.
 *
 * - `relay`: a call went through the TURN relay: calls connect from any network.
 * - `internet`: a STUN server outside this network answered: calls across the internet connect
 *   through most routers, but not from behind symmetric NATs or networks that block UDP.
 * - `local`: no STUN or TURN server outside this network answered (none configured, none
 *   reachable, or the only one is on a private address): direct calls within this network only.
 */
import type { CheckResult } from './checks.ts';

export type Reach = 'local' | 'internet' | 'relay';

/**
 * True for an address or host name that only means something inside a network: loopback,
 * private (RFC 1918, IPv6 ULA), link-local, carrier-grade NAT (100.64/10), `localhost` and
 * mDNS `.local` names. A public name or address returns false.
 */
export function isLocalAddress(hostOrAddress: string): boolean {
  const host = hostOrAddress
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local')) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host.replace(/^::ffff:/, ''));
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a === 0
    );
  }
  if (host.includes(':')) {
    if (host === '::1' || host === '::') return true;
    const first = Number.parseInt(host.split(':')[0] || '0', 16);
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
  }
  return false;
}

/** The host of a `stun:`/`turn:` URL (`stun:host:port`, `turn:[v6]:port?transport=udp`). */
export function hostOfIceUrl(url: string): string {
  const rest = url.replace(/^[a-z]+:/i, '').split('?')[0] ?? '';
  const v6 = /^\[([^\]]+)\]/.exec(rest);
  return v6 ? v6[1]! : (rest.split(':')[0] ?? '');
}

/**
 * What a STUN probe shows: `internet` when a server-reflexive address is public, or when the
 * STUN servers saw this browser's own address (no NAT in between) and at least one of them is
 * outside this network; otherwise `local`.
 */
export function stunReach(srflxAddresses: readonly string[], stunUrls: readonly string[]): Reach {
  if (srflxAddresses.some((a) => !isLocalAddress(a))) return 'internet';
  if (srflxAddresses.length > 0) return 'local';
  return stunUrls.some((u) => !isLocalAddress(hostOfIceUrl(u))) ? 'internet' : 'local';
}

/** The summary at the top of the self-test page. */
export interface Summary {
  /** Chip text. */
  label: string;
  tone: 'ok' | 'warn' | 'bad';
  text: string;
  /** For screen readers, when the run ends. */
  announcement: string;
}

const LOCAL_ONLY =
  'Direct calls within this network only: no STUN or TURN server outside it answered, so calls to people on other networks will not connect.';

/** Sums up a finished run: problems first, then how far calls reach. */
export function summarize(results: readonly CheckResult[]): Summary {
  const failed = results.filter((r) => r.status === 'fail').length;
  const reach: Reach = results.some((r) => r.reach === 'relay')
    ? 'relay'
    : results.some((r) => r.reach === 'internet')
      ? 'internet'
      : 'local';
  if (failed > 0)
    return {
      label: `${failed} problem${failed > 1 ? 's' : ''}`,
      tone: 'bad',
      text: `Some checks failed. Each one below says what to do.${reach === 'local' ? ' Until they are fixed, calls connect within this network only.' : ''}`,
      announcement: `Self-test finished: ${failed} failed`,
    };
  if (reach === 'relay')
    return {
      label: 'All good',
      tone: 'ok',
      text: 'Everything works: calls connect from any network, through the relay when a direct path is blocked.',
      announcement: 'Self-test finished: all good',
    };
  if (reach === 'internet')
    return {
      label: 'Most networks',
      tone: 'warn',
      text: 'Calls across the internet work through most home and office routers. This server has no working relay (TURN), so people behind strict firewalls, symmetric NATs or some mobile networks may not connect.',
      announcement: 'Self-test finished: calls work across most networks, no relay',
    };
  return {
    label: 'This network only',
    tone: 'warn',
    text: LOCAL_ONLY,
    announcement: 'Self-test finished: direct calls within this network only',
  };
}
