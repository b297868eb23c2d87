/**
 * Security headers on every HTTP response Parley sends (the web app, `/healthz`, `/metrics`,
 * `/ice`, errors). The Content-Security-Policy fits the built web app: scripts and styles only
 * from its own files (no inline code; styles set through the CSSOM are allowed), images from
 * itself plus the `data:` favicon and `blob:` previews, WebSocket and fetch to itself (`ws:`/`wss:`
 * because browsers before CSP 3 did not count them as `'self'`). Media streams from
 * `getUserMedia` and peer connections are not governed by CSP. The page can be framed by nobody
 * (`frame-ancestors 'none'`, and X-Frame-Options for old browsers), sends no Referer (room names
 * and invitation links stay out of other sites' logs), and keeps its own browsing context group
 * (COOP). HSTS is only sent when Parley serves TLS itself, and never for `localhost` or an IP
 * literal (browsers ignore it for IPs, and pinning `localhost` to HTTPS would break every other
 * local development server).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** The policy, also used by the shipped proxy configs (deploy/nginx.conf, deploy/Caddyfile). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** HSTS value: a year. No `includeSubDomains`: Parley does not know the rest of the domain. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** Headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(self), display-capture=(self), geolocation=()',
});

/**
 * Sets the security headers on `res` (before the route writes its own); `tls`: the server
 * itself speaks HTTPS, so HSTS is added for named hosts.
 */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse, tls: boolean): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (tls && hstsApplies(req.headers.host))
    res.setHeader('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
}

function hstsApplies(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    hostname = new URL(`https://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) === 0 && hostname !== 'localhost' && !hostname.endsWith('.localhost');
}
