/**
 * Routes of the app. Links work as hashes (`/#/room/standup`, `/#/test`) so any static host can
 * serve them; the path forms `/r/standup` and `/test` work too when the server sends index.html
 * for them, and are rewritten to the hash form on load. `#/room/standup?large` is a link to a
 * large room: whoever opens it first creates the room with its media through the server's SFU
 * from the start (a room that already exists keeps its mode).
 */
import { LIMITS, NAME_PATTERN } from '@parley/protocol';

/** Where the person is. */
export type Route =
  | { page: 'home' }
  | { page: 'room'; room: string; large?: boolean; e2ee?: string; brokenE2ee?: true }
  | { page: 'test' };

/**
 * An end-to-end encryption secret in a room link (`#/room/x?e2ee=…`): base64url, 16 to 128
 * characters. It lives in the URL fragment, which browsers never send to the server.
 */
const E2EE_SECRET = /^[A-Za-z0-9_-]{16,128}$/;

/** True for a valid room name (the protocol's alphabet and length). */
export function isRoomName(room: string): boolean {
  return room.length > 0 && room.length <= LIMITS.roomMaxChars && NAME_PATTERN.test(room);
}

/** Parses the current location; path routes win over hash routes. */
export function parseRoute(loc: Pick<Location, 'pathname' | 'hash'> = location): Route {
  const path = loc.pathname.replace(/\/+$/, '');
  const pathRoom = /^\/r\/([^/]+)$/.exec(path);
  const query = loc.hash.includes('?')
    ? new URLSearchParams(loc.hash.slice(loc.hash.indexOf('?') + 1))
    : null;
  const large = query?.has('large') === true && query.get('large') !== '0';
  const secret = query?.get('e2ee') ?? '';
  // A link that asks for encryption with a damaged secret must not join in clear: it is marked.
  const e2ee = E2EE_SECRET.test(secret) ? secret : query?.has('e2ee') ? null : undefined;
  if (pathRoom) return roomRoute(pathRoom[1]!, large, e2ee);
  if (path === '/test') return { page: 'test' };
  const hash = loc.hash.replace(/^#\/?/, '').replace(/\?.*$/, '');
  const hashRoom = /^(?:room|r)\/([^/]+)$/.exec(hash);
  if (hashRoom) return roomRoute(hashRoom[1]!, large, e2ee);
  if (hash === 'test') return { page: 'test' };
  return { page: 'home' };
}

function roomRoute(raw: string, large: boolean, e2ee: string | null | undefined): Route {
  let room: string;
  try {
    room = decodeURIComponent(raw);
  } catch {
    return { page: 'home' };
  }
  if (!isRoomName(room)) return { page: 'home' };
  return {
    page: 'room',
    room,
    ...(large ? { large } : {}),
    ...(e2ee ? { e2ee } : {}),
    ...(e2ee === null ? { brokenE2ee: true as const } : {}),
  };
}

/** The hash for a route. */
export function hrefFor(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'room': {
      const query = [route.large ? 'large' : '', route.e2ee ? `e2ee=${route.e2ee}` : ''].filter(Boolean);
      return `#/room/${encodeURIComponent(route.room)}${query.length > 0 ? `?${query.join('&')}` : ''}`;
    }
    case 'test':
      return '#/test';
  }
}

/**
 * The shareable absolute link to a room (`large`: created as an SFU room if it is new; `e2ee`:
 * the room's end-to-end encryption secret, in the fragment).
 */
export function roomLink(room: string, large = false, e2ee?: string): string {
  return `${location.origin}/${hrefFor({ page: 'room', room, ...(large ? { large } : {}), ...(e2ee ? { e2ee } : {}) })}`;
}

/** Navigates (adds a history entry); the app re-renders on `hashchange`. */
export function navigate(route: Route): void {
  const target = hrefFor(route);
  if (location.pathname !== '/') {
    history.pushState(null, '', `/${target}`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else if (location.hash !== target) {
    location.hash = target;
  } else {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
}

/** Rewrites a path route (`/r/x`, `/test`) to its hash form, keeping the page. */
export function normalizeLocation(): void {
  if (location.pathname === '/' || location.pathname === '/index.html') return;
  const route = parseRoute();
  history.replaceState(null, '', `/${hrefFor(route)}`);
}
