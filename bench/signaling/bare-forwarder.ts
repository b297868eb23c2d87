/**
 * The ceiling: the least a WebSocket signaling relay can do. It parses each frame, looks up the
 * `to` name, stamps `from` and sends. No validation, no limits, no logging — a server cannot
 * relay for less with `ws`, so Parley's cost is judged against this one. Run as its own process:
 * `BENCH_PORT=9000 node --import tsx bench/signaling/bare-forwarder.ts`.
 */
import { type WebSocket, WebSocketServer } from 'ws';

interface Frame {
  type?: unknown;
  name?: unknown;
  to?: unknown;
  data?: unknown;
}

const sockets = new Map<string, WebSocket>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });

wss.on('connection', (ws) => {
  let name: string | undefined;
  ws.on('error', () => ws.terminate());
  ws.on('message', (raw) => {
    let msg: Frame;
    try {
      msg = JSON.parse(String(raw)) as Frame;
    } catch {
      return;
    }
    if (msg.type === 'signal' && name !== undefined && typeof msg.to === 'string') {
      sockets.get(msg.to)?.send(JSON.stringify({ type: 'signal', from: name, data: msg.data }));
    } else if (msg.type === 'hello' && name === undefined && typeof msg.name === 'string') {
      if (sockets.has(msg.name)) return void ws.close(4000, 'NAME_TAKEN');
      name = msg.name;
      sockets.set(name, ws);
      ws.send(JSON.stringify({ type: 'welcome', name }));
    } else if (msg.type === 'ping') ws.send('{"type":"pong"}');
  });
  ws.on('close', () => {
    if (name !== undefined && sockets.get(name) === ws) sockets.delete(name);
  });
});

// Exit normally on SIGTERM so that `--cpu-prof` (run.ts --profile) writes its profile.
process.on('SIGTERM', () => process.exit(0));
