/**
 * The WebSocket endpoint: `/ws` upgrades on the HTTP server, with the limits that apply before a
 * session exists. Upgrades elsewhere get 404 and, while draining, 503. The per-address connection
 * limit (IPv4 address, or IPv6 /64 prefix: `ipKey`, since one subscriber usually holds a whole
 * /64 and could otherwise open unlimited sockets) is enforced *after* the upgrade — the socket gets a TOO_MANY_CONNECTIONS error frame and close
 * code 4029 — because browsers cannot read the HTTP status of a refused upgrade.
 *
 * ws `maxPayload` is the hard cap (close 1009 before parsing); it sits a little above the
 * application limit, which answers TOO_LARGE and keeps the connection. permessage-deflate is off:
 * signaling frames are small and compression costs CPU on every frame.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { ipKey } from '../auth/ip-limiter.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { errorFrame } from '../wire/frames.ts';
import { Connection } from './connection.ts';
import { startHeartbeat } from './heartbeat.ts';

/** Bytes above the application frame limit that ws still reads (answered with TOO_LARGE). */
export const HARD_CAP_SLACK_BYTES = 16 * 1024;

/** Transport limits, from the configuration. */
export interface TransportOptions {
  maxFrameBytes: number;
  maxConnsPerIp: number;
  maxSendBufferBytes: number;
  heartbeatMs: number;
  /** Returns an HTTP status to refuse an upgrade (e.g. a disallowed Origin), else undefined. */
  checkUpgrade?: ((req: IncomingMessage) => number | undefined) | undefined;
  /**
   * The client's address (behind a trusted proxy, from `X-Forwarded-For`), for the per-address
   * limit and logs. Default: the socket's peer address.
   */
  clientIp?: ((req: IncomingMessage) => string) | undefined;
  /** The host the client used to reach the server, in URL form (for the built-in STUN URL). */
  publicHost?: ((req: IncomingMessage) => string | undefined) | undefined;
}

/** The `/ws` endpoint and the set of open connections. */
export class WsTransport {
  readonly #wss: WebSocketServer;
  /** Connections accepted so far (their ids). */
  #connSeq = 0;
  readonly #conns = new Set<Connection>();
  readonly #perIp = new Map<string, number>();
  readonly #options: TransportOptions;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #onConnection: (conn: Connection) => void;
  readonly #stopHeartbeat: () => void;
  #draining = false;

  constructor(
    server: Server,
    options: TransportOptions,
    log: Logger,
    metrics: Metrics,
    onConnection: (conn: Connection) => void,
  ) {
    this.#options = options;
    this.#log = log;
    this.#metrics = metrics;
    this.#onConnection = onConnection;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes + HARD_CAP_SLACK_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#wss.on('error', (err) => log.error({ err }, 'websocket server error'));
    server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.#stopHeartbeat = startHeartbeat(() => this.#conns, options.heartbeatMs);
  }

  /** Open connections. */
  get connections(): ReadonlySet<Connection> {
    return this.#conns;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.#log.debug({ err }, 'upgrade socket error'));
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = '';
    }
    if (path !== '/ws') {
      refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.#draining) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    const status = this.#options.checkUpgrade?.(req);
    if (status !== undefined) {
      // The Origin is the page's site (not personal data): what an operator needs to fix a list.
      this.#log.warn({ status, origin: req.headers.origin }, 'upgrade refused');
      refuse(socket, status, STATUS_TEXT[status] ?? 'Refused');
      return;
    }
    // The address is read before the upgrade completes, and the rest happens in #accept, so no
    // closure of the connection's lifetime keeps the upgrade request alive (about 1.5 KiB per
    // idle connection, measured by bench:signaling).
    const ip = this.#options.clientIp?.(req) ?? req.socket.remoteAddress ?? 'unknown';
    const host = this.#options.publicHost?.(req);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, ip, host));
  }

  #accept(ws: WebSocket, ip: string, host: string | undefined): void {
    ws.on('error', (err) => this.#log.debug({ err }, 'websocket error'));
    const key = ipKey(ip);
    const count = this.#perIp.get(key) ?? 0;
    if (count >= this.#options.maxConnsPerIp) {
      this.#metrics.errors.labels('TOO_MANY_CONNECTIONS').inc();
      this.#log.warn({ code: 'TOO_MANY_CONNECTIONS' }, 'connection refused');
      ws.send(errorFrame('TOO_MANY_CONNECTIONS', 'too many connections from this address').text);
      ws.close(4029, 'TOO_MANY_CONNECTIONS');
      const t = setTimeout(() => ws.terminate(), 2000);
      t.unref();
      ws.once('close', () => clearTimeout(t));
      return;
    }
    this.#perIp.set(key, count + 1);
    const conn = new Connection(
      ws,
      ip,
      this.#options.maxSendBufferBytes,
      () => {
        this.#metrics.errors.labels('SLOW_CONSUMER').inc();
        this.#log.warn({ code: 'SLOW_CONSUMER', bufferedBytes: ws.bufferedAmount }, 'slow consumer dropped');
      },
      (++this.#connSeq).toString(36),
    );
    conn.publicHost = host;
    this.#conns.add(conn);
    this.#metrics.connections.inc();
    ws.once('close', () => {
      this.#conns.delete(conn);
      this.#metrics.connections.dec();
      const n = (this.#perIp.get(key) ?? 1) - 1;
      if (n <= 0) this.#perIp.delete(key);
      else this.#perIp.set(key, n);
    });
    this.#onConnection(conn);
  }

  /** Refuses new upgrades with 503 from now on. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Resolves once every connection has closed, or after `timeoutMs` (then cuts the rest off). */
  async waitForClose(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#conns.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const conn of this.#conns) conn.terminate();
  }

  /** Stops the heartbeat and the WebSocket server. */
  close(): void {
    this.#stopHeartbeat();
    for (const conn of this.#conns) conn.terminate();
    this.#wss.close();
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
};

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
