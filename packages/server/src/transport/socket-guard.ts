/**
 * Limits on raw TCP connections, before any HTTP request or WebSocket upgrade is complete
 * (slowloris: sockets that send their request head a byte at a time, or nothing at all):
 *
 * - the HTTP server's own `headersTimeout` / `requestTimeout` (set in server.ts) close a socket
 *   whose request head or body does not arrive in time, checked every `checkIntervalMs`;
 * - `maxConnections` caps open sockets of the whole node (Node closes the rest on accept);
 * - this guard counts open sockets per client address (IPv4, or IPv6 /64 like every other
 *   per-address limit) from the first byte to the close, upgraded ones included, and closes
 *   sockets beyond `maxPerAddress` at once. Sockets from a trusted proxy are not counted: the
 *   proxy carries everyone's, and `PARLEY_MAX_CONNS_PER_IP` still applies per forwarded client.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { type AddressMatcher, unmap } from '../auth/client-ip.ts';
import { ipKey } from '../auth/ip-limiter.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface SocketGuardOptions {
  readonly maxConnections: number;
  readonly maxPerAddress: number;
  /** Peers whose sockets are not counted per address (trusted proxies). */
  readonly exempt: AddressMatcher;
}

/** Applies the limits to `server`; returns the live count per address (for tests and health). */
export function guardSockets(
  server: Server,
  options: SocketGuardOptions,
  log: Logger,
  metrics: Metrics,
): ReadonlyMap<string, number> {
  server.maxConnections = options.maxConnections;
  server.on('drop', () => {
    metrics.socketsRefused.labels('max_connections').inc();
    log.debug({ reason: 'max_connections' }, 'socket refused');
  });
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const peer = unmap(socket.remoteAddress ?? '');
    if (options.exempt(peer)) return;
    const key = ipKey(peer || 'unknown');
    const n = (open.get(key) ?? 0) + 1;
    if (n > options.maxPerAddress) {
      metrics.socketsRefused.labels('per_address').inc();
      // debug, not warn: an attacker would otherwise write one log line per attempt.
      log.debug({ reason: 'per_address' }, 'socket refused');
      socket.destroy();
      return;
    }
    open.set(key, n);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
  return open;
}
