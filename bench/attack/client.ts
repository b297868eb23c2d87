/**
 * A hostile-but-honest Parley client for the attack benchmark: it speaks the protocol correctly
 * (hello, room.join, room.message, ping) and counts everything the server answers, by `type`
 * (and `code` for errors), so a figure can say how many frames were refused and how. Requests
 * with an `id` can be awaited until their reply (`re`), bounded in time.
 */
import WebSocket from 'ws';
import { sleep } from '../signaling/measure-window.ts';

export interface Closed {
  code: number;
  reason: string;
  /** performance.now() when the close was seen. */
  atMs: number;
}

interface Reply {
  type: string;
  code?: string;
  message?: string;
}

/** Frame type, or `error:CODE` for errors; `unparsable` when not JSON. */
function kindOf(frame: string): { kind: string; re: unknown; parsed: Reply | undefined } {
  try {
    const v = JSON.parse(frame) as Reply & { re?: unknown };
    const kind = v.type === 'error' ? `error:${String(v.code)}` : String(v.type);
    return { kind, re: v.re, parsed: v };
  } catch {
    return { kind: 'unparsable', re: undefined, parsed: undefined };
  }
}

export class BenchClient {
  readonly ws: WebSocket;
  readonly name: string;
  /** Frames received since login, by kind (see kindOf). */
  readonly received: Record<string, number> = {};
  /** Set once the socket closed. */
  closed: Closed | undefined;
  readonly #waiting = new Map<unknown, (r: Reply) => void>();
  #nextId = 1;

  private constructor(ws: WebSocket, name: string) {
    this.ws = ws;
    this.name = name;
    ws.on('message', (data) => {
      const { kind, re, parsed } = kindOf(String(data));
      this.received[kind] = (this.received[kind] ?? 0) + 1;
      const waiter = re === undefined ? undefined : this.#waiting.get(re);
      if (waiter && parsed) {
        this.#waiting.delete(re);
        waiter(parsed);
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason), atMs: performance.now() };
      for (const w of this.#waiting.values()) w({ type: 'closed', code: String(code) });
      this.#waiting.clear();
    });
    ws.on('error', () => {
      // A close follows; it is what the figures record.
    });
  }

  /** Error replies received, by code. */
  get errors(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.received)
        .filter(([k]) => k.startsWith('error:'))
        .map(([k, n]) => [k.slice('error:'.length), n]),
    );
  }

  /**
   * Connects and logs in as `name`. A refusal that a well-behaved client would wait out (hello
   * RATE_LIMITED, too many connections from this address) is retried after `retryMs` until
   * `deadline` (performance.now() time); `retries` counts them.
   */
  static async open(
    port: number,
    name: string,
    deadline: number,
    stats: { retries: number },
    retryMs = 250,
  ): Promise<BenchClient> {
    for (;;) {
      const attempt = await BenchClient.#tryOpen(port, name, Math.max(1000, deadline - performance.now()));
      if (attempt instanceof BenchClient) return attempt;
      if (!attempt.retry || performance.now() + retryMs > deadline) {
        throw new Error(`login of ${name} failed: ${attempt.reason}`);
      }
      stats.retries++;
      await sleep(retryMs);
    }
  }

  static #tryOpen(
    port: number,
    name: string,
    timeoutMs: number,
  ): Promise<BenchClient | { retry: boolean; reason: string }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
      });
      let done = false;
      const finish = (r: BenchClient | { retry: boolean; reason: string }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!(r instanceof BenchClient)) ws.terminate();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ retry: false, reason: 'login timed out' }), timeoutMs);
      // An upgrade refused with 429 or 503 is worth another try later, like the closes below.
      const onError = (err: Error) =>
        finish({ retry: /\b(429|503)\b/.test(err.message), reason: err.message });
      // 4029: TOO_MANY_CONNECTIONS from this address; 1013: try again later.
      const onClose = (code: number, reason: Buffer) =>
        finish({ retry: code === 4029 || code === 1013, reason: `closed ${code} ${String(reason)}` });
      ws.once('error', onError);
      ws.once('close', onClose);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name })));
      ws.once('message', (data) => {
        const { parsed } = kindOf(String(data));
        if (parsed?.type === 'welcome') {
          ws.off('error', onError);
          ws.off('close', onClose);
          finish(new BenchClient(ws, name));
          return;
        }
        const retry = parsed?.code === 'RATE_LIMITED' || parsed?.code === 'TOO_MANY_CONNECTIONS';
        finish({ retry, reason: `${parsed?.type} ${parsed?.code ?? ''} ${parsed?.message ?? ''}` });
      });
    });
  }

  /** Sends `frame` with a fresh `id` and waits for its reply (bounded); a timeout is a `timeout` reply. */
  request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve({ type: 'timeout' });
      }, timeoutMs);
      this.#waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      if (this.closed || this.ws.readyState !== WebSocket.OPEN) {
        this.#waiting.delete(id);
        clearTimeout(timer);
        resolve({ type: 'closed' });
        return;
      }
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Joins `room`; throws unless the server confirmed. */
  async join(room: string): Promise<void> {
    const r = await this.request({ type: 'room.join', room });
    if (r.type !== 'room.joined') throw new Error(`${this.name} joining ${room}: ${r.type} ${r.code ?? ''}`);
  }

  /** Drops the connection without a close handshake, as a vanished client does. */
  drop(): void {
    this.ws.terminate();
  }
}
