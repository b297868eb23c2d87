/**
 * Origin checking for the WebSocket upgrade. Browsers always send `Origin` on a WebSocket
 * handshake and a page cannot forge it, so checking it stops another site from opening a
 * connection to Parley with the visitor's network position (cross-site WebSocket hijacking).
 * Non-browser clients (the CLI, bots) send no Origin; they are not the threat this guards
 * against, and are let through unless `allowMissing` is false.
 *
 * Allow-list entries (e.g. from `PARLEY_ALLOWED_ORIGINS`, comma-separated):
 * - `https://app.example.com` or `http://localhost:5173`: that exact origin;
 * - `https://*.example.com`: any subdomain of example.com (not example.com itself) on that scheme
 *   and port; `*.example.com` without a scheme means `https://*.example.com`;
 * - `*`: any origin (development only).
 */

/** One parsed allow-list entry. */
interface OriginRule {
  readonly scheme: string;
  /** Lower-case host; for a wildcard rule, the parent domain with its leading dot (`.example.com`). */
  readonly host: string;
  readonly wildcard: boolean;
  /** Port as the URL parser gives it ('' for the scheme's default port). */
  readonly port: string;
}

/** A compiled allow list: parse once at startup, test each upgrade. */
export interface OriginPolicy {
  /** True when `origin` (the header value, or undefined when absent) may connect. */
  allows(origin: string | undefined): boolean;
  /** The entries as given, for logs. */
  readonly entries: readonly string[];
}

/**
 * Compiles an allow list. Throws a TypeError naming every invalid entry at once, so a typo in
 * the configuration fails at startup instead of silently locking everyone out.
 */
export function createOriginPolicy(
  allowList: readonly string[],
  { allowMissing = true }: { allowMissing?: boolean } = {},
): OriginPolicy {
  const any = allowList.includes('*');
  const rules: OriginRule[] = [];
  const bad: string[] = [];
  for (const entry of allowList) {
    if (entry === '*') continue;
    const rule = parseRule(entry);
    if (rule) rules.push(rule);
    else bad.push(entry);
  }
  if (bad.length > 0) {
    throw new TypeError(
      `invalid allowed origin(s): ${bad.map((b) => JSON.stringify(b)).join(', ')} ` +
        '(expected scheme://host[:port], scheme://*.domain or *)',
    );
  }
  return {
    entries: [...allowList],
    allows(origin) {
      if (origin === undefined || origin === '') return allowMissing;
      if (any) return true;
      const parsed = parseOrigin(origin);
      if (!parsed) return false;
      return rules.some((rule) => matches(rule, parsed));
    },
  };
}

/**
 * True when `origin` matches an entry of `allowList` (see the module comment for the forms).
 * Compiles the list on every call: for the upgrade path, keep a `createOriginPolicy` instead.
 */
export function isOriginAllowed(origin: string | undefined, allowList: readonly string[]): boolean {
  return createOriginPolicy(allowList).allows(origin);
}

/**
 * True when the page's origin names the same host and port that the request was sent to (the
 * `Host` header). Useful as the default when no allow list is configured: the app served by
 * Parley itself (including from a LAN address or a reverse proxy that keeps `Host`) connects,
 * other sites do not.
 */
export function isSameHost(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (!origin || !hostHeader) return false;
  const parsed = parseOrigin(origin);
  if (!parsed) return false;
  let host: URL;
  try {
    host = new URL(`${parsed.scheme}://${hostHeader}`);
  } catch {
    return false;
  }
  return host.hostname === parsed.host && host.port === parsed.port;
}

/**
 * The default Origin rule when no allow list is configured: the page's host name equals the host
 * name the request was sent to (the `Host` header), whatever the scheme and port. Loopback names
 * (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`) count as one host.
 *
 * Why the port is ignored: a page on another port of the same machine is run by whoever runs
 * that machine (the Vite dev server on :5173 in front of Parley on :8080, test and example pages
 * served from a second local port), while the attack this stops, cross-site WebSocket hijacking,
 * comes from a page on another host name (`https://evil.example` opening `ws://192.168.1.10`).
 * It does not stop DNS rebinding (a hostile name that resolves to the server sends its own name
 * in both headers): a LAN server that must resist that sets `PARLEY_ALLOWED_ORIGINS`.
 */
export function isSameHostName(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (!origin || !hostHeader) return false;
  const parsed = parseOrigin(origin);
  if (!parsed) return false;
  let host: URL;
  try {
    host = new URL(`http://${hostHeader}`);
  } catch {
    return false;
  }
  if (host.pathname !== '/' || host.username || host.password) return false;
  const a = parsed.host.toLowerCase();
  const b = host.hostname.toLowerCase();
  return a === b || (isLoopbackName(a) && isLoopbackName(b));
}

/** `localhost`, `x.localhost`, `127.x.y.z` or `[::1]`, as the URL parser writes host names. */
function isLoopbackName(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

function parseOrigin(origin: string): { scheme: string; host: string; port: string } | null {
  // An origin is exactly scheme://host[:port]; "null" (sandboxed frames, file:) never matches.
  if (origin === 'null') return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
  return { scheme: url.protocol.slice(0, -1), host: url.hostname, port: url.port };
}

function parseRule(entry: string): OriginRule | null {
  const text = entry.trim().replace(/\/$/, '');
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `https://${text}`;
  const wildcard = /^[a-z]+:\/\/\*\./i.test(withScheme);
  // Parse with a placeholder label in place of '*', so the URL parser validates the rest.
  const probe = wildcard ? withScheme.replace('://*.', '://wildcard.') : withScheme;
  let url: URL;
  try {
    url = new URL(probe);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
  if (url.hostname.includes('*')) return null;
  const scheme = url.protocol.slice(0, -1);
  if (!wildcard) return { scheme, host: url.hostname, wildcard: false, port: url.port };
  const parent = url.hostname.slice('wildcard'.length); // '.example.com'
  // '*.com' would allow every .com site: require at least two labels under the wildcard.
  if (parent.split('.').filter(Boolean).length < 2) return null;
  return { scheme, host: parent, wildcard: true, port: url.port };
}

function matches(rule: OriginRule, origin: { scheme: string; host: string; port: string }): boolean {
  if (rule.scheme !== origin.scheme || rule.port !== origin.port) return false;
  if (!rule.wildcard) return rule.host === origin.host;
  return origin.host.endsWith(rule.host) && origin.host.length > rule.host.length;
}
