/**
 * A raw `ws` test client for the signaling protocol: send objects or raw frames, await the next
 * frame (optionally of a type) with a timeout, and observe the close code/reason.
 * Every client made here is closed by `closeAllClients()` (call it in `afterEach`).
 *
 * Every frame received is checked with the protocol's own decoder ({@link checkServerFrame}): a
 * frame off the schema (or carrying a field the schema does not know) fails the test — the next
 * `next()`/`hello()` throws it, and so does `closeAllClients()` — so protocol drift on the server
 * cannot pass unnoticed. Tests see the frame exactly as the server sent it.
 */
import type { ServerMessage, ServerMessageOf, ServerMessageType } from '@parley/protocol';
import { WebSocket } from 'ws';
import { checkServerFrame } from './frame-checks.ts';

export { checkServerFrame };

/** How the socket closed. */
export interface Closed {
  code: number;
  reason: string;
}

/** A connected test client. */
export interface TestClient {
  readonly ws: WebSocket;
  /** Every frame received so far and not yet taken by `next`. */
  readonly frames: ServerMessage[];
  /** Frames that failed `checkServerFrame` (they are not in `frames`). */
  readonly offSchema: Error[];
  send(obj: unknown): void;
  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
  /** The next frame (of `type`, skipping others — skipped frames stay queued). */
  next<T extends ServerMessageType>(type?: T, options?: { timeoutMs?: number }): Promise<ServerMessageOf<T>>;
  /** Sends `hello` and waits for `welcome` (or throws with the error frame). */
  hello(name: string, extra?: Record<string, unknown>): Promise<ServerMessageOf<'welcome'>>;
  readonly closed: Promise<Closed>;
  close(): Promise<void>;
}

const open = new Set<TestClient>();
/** Every client made since the last `closeAllClients()`, closed or not (for its off-schema frames). */
const made = new Set<TestClient>();

/** Opens a client on `wsUrl` and waits for the socket to open (`origin` sets the Origin header). */
export async function connectClient(wsUrl: string, options: { origin?: string } = {}): Promise<TestClient> {
  const ws = new WebSocket(wsUrl, {
    perMessageDeflate: false,
    ...(options.origin ? { origin: options.origin } : {}),
  });
  const frames: ServerMessage[] = [];
  const offSchema: Error[] = [];
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const w of [...waiters]) w();
  };
  let isClosed = false;
  const closed = new Promise<Closed>((resolve) => {
    ws.on('close', (code, reason) => {
      isClosed = true;
      resolve({ code, reason: reason.toString() });
      wakeAll();
    });
  });
  ws.on('error', () => {});
  ws.on('message', (data) => {
    try {
      frames.push(checkServerFrame(data.toString()));
    } catch (err) {
      offSchema.push(err as Error);
    }
    wakeAll();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
  });

  const take = async (
    match: (f: ServerMessage) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<ServerMessage> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (offSchema.length > 0) throw offSchema[0];
      const i = frames.findIndex(match);
      if (i >= 0) return frames.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || isClosed) {
        const types = frames.map((f) => f.type);
        const have =
          types.length > 12
            ? `${types.slice(-12).join(', ')} (last 12 of ${types.length})`
            : types.join(', ');
        throw new Error(
          `no ${what} within ${timeoutMs} ms${isClosed ? ' (socket closed)' : ''}; queued: [${have}]`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        waiters.add(done);
      });
    }
  };
  const next = <T extends ServerMessageType>(
    type?: T,
    options: { timeoutMs?: number } = {},
  ): Promise<ServerMessageOf<T>> =>
    take((f) => type === undefined || f.type === type, type ?? 'frame', options.timeoutMs ?? 3000) as Promise<
      ServerMessageOf<T>
    >;

  const client: TestClient = {
    ws,
    frames,
    offSchema,
    send: (obj) => ws.send(JSON.stringify(obj)),
    sendRaw: (data, o = {}) => ws.send(data, { binary: o.binary ?? typeof data !== 'string' }),
    next,
    async hello(name, extra = {}) {
      ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name, ...extra }));
      const f = await take((x) => x.type === 'welcome' || x.type === 'error', 'welcome', 3000);
      if (f.type === 'error') throw new Error(`hello failed: ${f.code} ${f.message}`);
      return f as ServerMessageOf<'welcome'>;
    },
    closed,
    async close() {
      open.delete(client);
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      const t = setTimeout(() => ws.terminate(), 1000);
      await closed;
      clearTimeout(t);
    },
  };
  open.add(client);
  made.add(client);
  return client;
}

/**
 * Closes every client still open, then throws if any client made here since the last call received
 * an off-schema frame.
 */
export async function closeAllClients(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((c) => c.close()));
  const problems = [...made].flatMap((c) => c.offSchema);
  made.clear();
  if (problems.length > 0)
    throw new AggregateError(
      problems,
      `${problems.length} off-schema server frame(s): ${problems[0]!.message}`,
    );
}

/** The frame answering request `re` (taken out of the client's queue), whatever its type. */
export async function replyTo(c: TestClient, re: string, timeoutMs = 10_000): Promise<ServerMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = c.frames.findIndex((f) => (f as { re?: unknown }).re === re);
    if (i >= 0) return c.frames.splice(i, 1)[0]!;
    if (Date.now() > deadline) throw new Error(`no reply to ${re} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Opens a raw socket with extra headers (an `X-Forwarded-For`, an `Origin`) and sends `hello`;
 * resolves with the first frame back, checked like every other. The socket is added to `track`
 * for the caller to close. It listens before 'open': a refused connection's error frame can
 * arrive with the handshake.
 */
export function helloWithHeaders(
  wsUrl: string,
  name: string,
  headers: Record<string, string>,
  track: Set<WebSocket>,
  timeoutMs = 5000,
): Promise<ServerMessage> {
  const ws = new WebSocket(wsUrl, { headers, perMessageDeflate: false });
  track.add(ws);
  return new Promise<ServerMessage>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`no reply to hello ${name} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.on('error', reject);
    ws.once('message', (d) => {
      clearTimeout(t);
      try {
        resolve(checkServerFrame(d.toString()));
      } catch (err) {
        reject(err);
      }
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name })));
  });
}
