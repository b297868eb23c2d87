/**
 * The HTTP side of the server: `GET /healthz`, `GET /metrics`, `GET /ice`, then the web app's
 * static files for everything else. Only GET and HEAD are served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IceServer } from '@parley/protocol';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { createStaticHandler } from './static-files.ts';

/** The body of `GET /healthz`. */
export interface Health {
  status: 'ok' | 'degraded' | 'draining';
  uptimeS: number;
  sessions: number;
  connections: number;
  directory: 'ok' | 'unreachable';
  /** Janus for large rooms: `off` when none is configured. */
  sfu?: 'off' | 'ok' | 'unreachable';
}

/** The body of `GET /ice`. */
export interface IceList {
  iceServers: IceServer[];
  ttlS?: number;
}

/** What the HTTP routes read from the rest of the server. */
export interface HttpSources {
  webDir: string;
  metrics: Metrics;
  log: Logger;
  health(): Promise<Health>;
  /**
   * ICE servers for the self-test page (fresh TURN credentials when a secret is set). Gets the
   * request, so that access control can ask for a token before handing out TURN credentials.
   */
  ice(req: IncomingMessage): IceList | Promise<IceList>;
}

/** Builds the request listener. */
export function createHttpHandler(src: HttpSources): (req: IncomingMessage, res: ServerResponse) => void {
  const serveStatic = createStaticHandler(src.webDir);
  const route = async (req: IncomingMessage, res: ServerResponse) => {
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
        return json(res, health.status === 'ok' ? 200 : 503, health);
      }
      case '/metrics': {
        const body = await src.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': src.metrics.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(body);
        return;
      }
      case '/ice':
        return json(res, 200, await src.ice(req));
      default:
        return serveStatic(req, res);
    }
  };
  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      src.log.error({ err }, 'http request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error');
      } else res.destroy();
    });
  };
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
