/**
 * Liveness by WebSocket ping: every interval, a socket that has not answered the previous ping
 * is cut off, and every other socket is pinged again. A dead peer is therefore reaped within two
 * intervals, and its session moves into resume grace.
 */
import type { Connection } from './connection.ts';

/** Starts the sweep over `connections()`; returns the function that stops it. */
export function startHeartbeat(connections: () => Iterable<Connection>, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (const conn of connections()) {
      if (!conn.alive) {
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
