/**
 * The HTTP side of the server: `GET /healthz`, `GET /metrics`, `GET /ice`, then the web app's
 * static files for everything else. Only GET and HEAD are served, apart from `POST /janus/turn`
 * (TURN credentials for Janus, only when configured with its key). Every response carries the
 * security headers (`security-headers.ts`); `/metrics` only goes to the clients `metricsAllowed`
 * accepts (`metrics-access.ts`), others get 403.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IceServer } from '@parley/protocol';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { applySecurityHeaders } from './security-headers.ts';
import { createStaticHandler } from './static-files.ts';

/**
 * This package's version, reported by `/healthz`. package.json sits two folders up from this
 * module both in the sources (src/http/) and in the build (dist/http/).
 */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The body of `GET /healthz` (which adds the server's `version`). */
export interface Health {
  status: 'ok' | 'degraded' | 'draining';
  uptimeS: number;
  sessions: number;
  connections: number;
  directory: 'ok' | 'unreachable';
  /** Janus for large rooms: `off` when none is configured. */
  sfu?: 'off' | 'ok' | 'unreachable';
  /** The built-in STUN server (absent when `PARLEY_STUN_PORT=off`); `unavailable`: port taken. */
  stun?: 'ok' | 'unavailable';
  /**
   * With Redis: `behind` when parked sessions wait past their grace plus another grace to be
   * reaped (their names stay taken); the status is then `degraded`.
   */
  reaper?: 'ok' | 'behind';
}

/** The body of `GET /ice`. */
export interface IceList {
  iceServers: IceServer[];
  /** Lifetime of the TURN credentials in the list, seconds. */
  ttlS?: number;
  /** Why the list has no TURN credentials although the server has TURN (see docs/DEPLOY.md). */
  turnWithheld?: 'token-required' | 'address-budget';
}

/** What the HTTP routes read from the rest of the server. */
export interface HttpSources {
  webDir: string;
  /** Serve the web app's `.map` files (PARLEY_SERVE_SOURCE_MAPS). */
  serveSourceMaps?: boolean;
  metrics: Metrics;
  log: Logger;
  health(): Promise<Health>;
  /** Whether `req` may read `/metrics`; absent: everyone may. */
  metricsAllowed?(req: IncomingMessage): boolean;
  /** The server speaks TLS itself (adds HSTS). */
  tls?: boolean;
  /**
   * ICE servers for the self-test page (fresh TURN credentials when a secret is set). Gets the
   * request, so that access control can ask for a token before handing out TURN credentials;
   * `{ retryAfterS }` when the address is over its rate (answered 429 with `Retry-After`).
   */
  ice(req: IncomingMessage): Promise<IceList | { retryAfterS: number }>;
  /**
   * `POST /janus/turn`, Janus's TURN REST API (`nat.turn_rest_api`). Absent: the path answers
   * 404 to every method.
   */
  janusTurn?: {
    /** True when `key` is the configured one (constant-time). */
    keyMatches(key: string | undefined): boolean;
    /** Fresh credentials; `user` is the username Janus sent (its opaque id or session id). */
    mint(user: string | undefined): JanusTurnReply;
  };
  /** `/recordings…` (recordings-endpoint.ts): resolves true when it answered the request. */
  recordings?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/**
 * The JSON body Janus reads from `POST /janus/turn` (built by turn/janus-turn.ts, which this
 * endpoint only serves).
 */
export interface JanusTurnReply {
  username: string;
  password: string;
  /** Seconds the credentials stay valid. */
  ttl: number;
  uris: string[];
}

/** Largest form body accepted at `/janus/turn` (Janus sends about a hundred bytes). */
const MAX_JANUS_TURN_BODY_BYTES = 4096;

/** Builds the request listener. */
export function createHttpHandler(src: HttpSources): (req: IncomingMessage, res: ServerResponse) => void {
  const serveStatic = createStaticHandler(src.webDir, { serveSourceMaps: src.serveSourceMaps ?? false });
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '/').split('?', 1)[0] === '/janus/turn') {
      if (src.janusTurn) return serveJanusTurn(src.janusTurn, req, res, src.log);
      // Not configured: absent for every method (never the web app's fallback page).
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not Found');
      return;
    }
    if (src.recordings && (await src.recordings(req, res))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed');
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    switch (path) {
      case '/healthz': {
        const health = await src.health();
        // Draining and degraded answer 503 so load balancers stop sending new clients here.
        return json(res, health.status === 'ok' ? 200 : 503, { ...health, version: VERSION });
      }
      case '/metrics': {
        if (src.metricsAllowed && !src.metricsAllowed(req)) {
          res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
          res.end('Forbidden');
          return;
        }
        const body = await src.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': src.metrics.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(body);
        return;
      }
      case '/ice': {
        const ice = await src.ice(req);
        if ('retryAfterS' in ice) {
          // Too many requests from this address (per /64 for IPv6).
          res.setHeader('Retry-After', String(ice.retryAfterS));
          return json(res, 429, { error: 'RATE_LIMITED', retryAfterS: ice.retryAfterS });
        }
        return json(res, 200, ice);
      }
      default:
        return serveStatic(req, res);
    }
  };
  const tls = src.tls ?? false;
  return (req, res) => {
    applySecurityHeaders(req, res, tls);
    route(req, res).catch((err: unknown) => {
      src.log.error({ err }, 'http request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error');
      } else res.destroy();
    });
  };
}

/**
 * Janus's request: `service=turn&api=KEY&key=KEY&username=USER` in the query string and, with
 * POST, in a form body as well. The key may come from either; the body wins.
 */
async function serveJanusTurn(
  janusTurn: NonNullable<HttpSources['janusTurn']>,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Method Not Allowed');
    return;
  }
  const query = new URLSearchParams((req.url ?? '').split('?', 2)[1] ?? '');
  const body = await readBody(req, MAX_JANUS_TURN_BODY_BYTES);
  if (body === undefined) {
    res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end('Payload Too Large');
    return;
  }
  const form = new URLSearchParams(body);
  const param = (name: string) => form.get(name) ?? query.get(name) ?? undefined;
  if (!janusTurn.keyMatches(param('key') ?? param('api'))) {
    log.warn({ ip: req.socket.remoteAddress }, 'janus turn: wrong or missing key');
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Forbidden');
    return;
  }
  const reply = janusTurn.mint(param('username'));
  if (log.isLevelEnabled('debug')) log.debug({ username: reply.username }, 'janus turn: credentials minted');
  json(res, 200, reply);
}

/** The request body as text, or undefined when it is larger than `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
