/**
 * The ceiling for Node + `ws`: a relay that never parses a payload. A client's `signal` frame
 * starts with the fixed head `{"type":"signal","to":"<name>","data":` (the load generator builds
 * every frame that way, targets.ts); the forwarder reads the name between the quotes, looks it up
 * and sends the receiver `{"type":"signal","from":"<sender>","data":` followed by the sender's
 * bytes after the head, as they came. No JSON parse, no validation, no limits: what is left is
 * ws's framing, masking and writing, which no relay built on `ws` can avoid. Only `hello` (once
 * per connection) is parsed. Run as its own process:
 * `BENCH_PORT=9000 node --import tsx bench/signaling/raw-forwarder.ts`.
 */
import { type WebSocket, WebSocketServer } from 'ws';

const HEAD = Buffer.from('{"type":"signal","to":"');
const QUOTE = 0x22;

const sockets = new Map<string, { ws: WebSocket; prefix: Buffer }>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });

wss.on('connection', (ws) => {
  let prefix: Buffer | undefined;
  ws.on('error', () => ws.terminate());
  ws.on('message', (raw: Buffer, isBinary) => {
    if (
      prefix !== undefined &&
      raw.length > HEAD.length &&
      raw.compare(HEAD, 0, HEAD.length, 0, HEAD.length) === 0
    ) {
      const end = raw.indexOf(QUOTE, HEAD.length);
      if (end < 0) return;
      // After the name's closing quote comes `,"data":`; everything from the comma on is kept.
      const to = sockets.get(raw.toString('latin1', HEAD.length, end));
      to?.ws.send(Buffer.concat([prefix, raw.subarray(end + 1)]), { binary: isBinary });
      return;
    }
    if (prefix !== undefined) return;
    let msg: { type?: unknown; name?: unknown };
    try {
      msg = JSON.parse(String(raw)) as typeof msg;
    } catch {
      return;
    }
    if (msg.type !== 'hello' || typeof msg.name !== 'string') return;
    const name = msg.name;
    if (sockets.has(name)) return void ws.close(4000, 'NAME_TAKEN');
    prefix = Buffer.from(`{"type":"signal","from":${JSON.stringify(name)}`);
    sockets.set(name, { ws, prefix });
    ws.send(JSON.stringify({ type: 'welcome', name }));
    ws.once('close', () => {
      if (sockets.get(name)?.ws === ws) sockets.delete(name);
    });
  });
});

// Exit normally on SIGTERM so that `--cpu-prof` (run.ts --profile) writes its profile.
process.on('SIGTERM', () => process.exit(0));
