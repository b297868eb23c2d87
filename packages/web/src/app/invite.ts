/**
 * Invitation links for servers with access control on (`PARLEY_AUTH_SECRET` or
 * `PARLEY_AUTH_PUBLIC_KEY`): the link carries an access token, `…/#/room/standup?token=JWT` or
 * `…/?token=JWT`. The app keeps it for this tab (sessionStorage, so a reload still has it),
 * removes it from the address bar (so "Copy link" never shares it), sends it in `hello` and with
 * `GET /ice`. The token names the person: the app reads that name to fill in the name screen.
 * Nothing here verifies the token; the server does.
 */

const KEY = 'parley.token';

/** Takes a token from the current address (query or hash query) and keeps it; returns the kept one. */
export function captureInviteToken(): string | null {
  const fromSearch = new URLSearchParams(location.search).get('token');
  const hashQuery = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  const fromHash = new URLSearchParams(hashQuery).get('token');
  const token = fromSearch ?? fromHash;
  if (token) {
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      // No storage: the token lasts for this page load only.
    }
    const search = new URLSearchParams(location.search);
    search.delete('token');
    const rest = search.toString();
    // Keep the hash's other parameters (`?large`), drop only the token.
    let hash = location.hash;
    if (hash.includes('?')) {
      const params = new URLSearchParams(hash.slice(hash.indexOf('?') + 1));
      params.delete('token');
      const kept = params.toString().replace(/=(?=&|$)/g, '');
      hash = `${hash.slice(0, hash.indexOf('?'))}${kept ? `?${kept}` : ''}`;
    }
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${hash}`);
    return token;
  }
  return inviteToken();
}

/** The token kept for this tab, if any. */
export function inviteToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Forgets the kept token (the server refused it). */
export function forgetInviteToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
}

/** The `name` claim of a JWT, read without verifying it (only to fill in the name screen). */
export function tokenName(token: string): string | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const claims: unknown = JSON.parse(json);
    const name =
      typeof claims === 'object' && claims !== null ? (claims as { name?: unknown }).name : undefined;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}
