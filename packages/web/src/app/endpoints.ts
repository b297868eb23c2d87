/**
 * Where the Parley server is: the page's own origin. The app is served by the server (or by
 * Vite's dev server, which forwards these paths to it).
 */
import type { IceServer } from '@parley/protocol';

/** The signaling WebSocket URL, `wss://` on https pages. */
export function signalingUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/**
 * Fetches the ICE servers the server hands out (`GET /ice`). With access control on, TURN
 * credentials come only with a valid access token, sent as `Authorization: Bearer`.
 */
export async function fetchIceServers(signal?: AbortSignal, token?: string | null): Promise<IceServer[]> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch('/ice', { cache: 'no-store', signal, headers });
  if (!res.ok) throw new Error(`GET /ice answered ${res.status}`);
  const body: unknown = await res.json();
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' &&
        body !== null &&
        Array.isArray((body as { iceServers?: unknown }).iceServers)
      ? (body as { iceServers: unknown[] }).iceServers
      : null;
  if (!list) throw new Error('GET /ice did not return a list of ICE servers');
  return list.filter(
    (s): s is IceServer =>
      typeof s === 'object' &&
      s !== null &&
      (typeof (s as IceServer).urls === 'string' || Array.isArray((s as IceServer).urls)),
  );
}

/**
 * Whether the server forwards large rooms through an SFU (`GET /healthz` says `sfu` is `ok` or
 * `unreachable`; `off` or absent: none configured). False when the server cannot be asked.
 */
export async function serverHasSfu(signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch('/healthz', { cache: 'no-store', signal });
    const body: unknown = await res.json();
    const sfu = typeof body === 'object' && body !== null ? (body as { sfu?: unknown }).sfu : undefined;
    return sfu === 'ok' || sfu === 'unreachable';
  } catch {
    return false;
  }
}

/** Every URL of a list of ICE servers, flattened. */
export function iceUrls(servers: IceServer[]): string[] {
  return servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
}

/** Keeps only the URLs of each server that match `scheme` (e.g. /^turns?:/). */
export function onlyUrls(servers: IceServer[], scheme: RegExp): IceServer[] {
  const out: IceServer[] = [];
  for (const s of servers) {
    const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter((u) => scheme.test(u));
    if (urls.length > 0) out.push({ ...s, urls });
  }
  return out;
}
