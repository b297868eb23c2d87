/**
 * Invitation links for servers with access control on (`PARLEY_AUTH_SECRET` or
 * `PARLEY_AUTH_PUBLIC_KEY`): the link carries an access token in its fragment,
 * `…/#/room/standup?token=JWT`. The fragment never leaves the browser, so the token stays out of
 * server and proxy access logs. The app keeps it for this tab (sessionStorage, so a reload still
 * has it), removes it from the address bar (so "Copy link" never shares it), sends it in `hello`
 * and with `GET /ice`. The token names the person: the app reads that name to fill in the name
 * screen. Nothing here verifies the token; the server does.
 *
 * A token in the query string (`…/?token=JWT`, a form older versions accepted) has already been
 * sent to the server and every proxy on the way, which may have logged it: it is removed from the
 * address bar and not used, and the app says why (`refusedQueryTokenNotice`).
 */

const KEY = 'parley.token';

/** Set when the address carried a token in its query string (refused; see the module comment). */
let refusedFromQuery = false;

/**
 * Takes a token from the current address's fragment (`#…?token=`) and keeps it; returns the
 * kept one. A token in the query string is dropped from the address and not used.
 */
export function captureInviteToken(): string | null {
  const search = new URLSearchParams(location.search);
  refusedFromQuery = search.has('token');
  search.delete('token');
  const hashQuery = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  const token = new URLSearchParams(hashQuery).get('token');
  if (token) {
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      // No storage: the token lasts for this page load only.
    }
  }
  if (token || refusedFromQuery) {
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
  }
  return token ?? inviteToken();
}

/**
 * What to tell the person when the link carried its token in the query string (else null).
 */
export function refusedQueryTokenNotice(): string | null {
  return refusedFromQuery
    ? 'This link carried its access token in the page address (“?token=”), where servers and proxies ' +
        'log it, so Parley did not use it. Ask for a new invitation link (of the form “…/#/room/NAME?token=…”).'
    : null;
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
