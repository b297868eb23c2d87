/**
 * One Janus instance as the SFU sees it: a WebSocket connection that is re-established with
 * backoff whenever it drops, plus an "admin" VideoRoom handle for room management (create,
 * exists, list participants, destroy). Room requests carry the admin key; nothing here is ever
 * exposed to clients.
 */
import type { Logger } from '../log.ts';
import { JanusClient, JanusError, type JanusHandle } from './janus-client.ts';

/** Reconnect delays: 250 ms doubling to 5 s. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/** What a link is built from. */
export interface JanusLinkOptions {
  readonly url: string;
  readonly apiSecret?: string | undefined;
  readonly requestTimeoutMs?: number;
  readonly log: Logger;
  /** Called once per outage, when an established connection drops. */
  readonly onDown: (link: JanusLink) => void;
  /** Called whenever a connection is (re-)established. */
  readonly onUp: (link: JanusLink) => void;
}

/** A self-healing connection to one Janus. */
export class JanusLink {
  readonly url: string;
  readonly #o: JanusLinkOptions;
  #client: JanusClient | undefined;
  #admin: JanusHandle | undefined;
  #retryMs = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Bumped on every new connection, so state tied to an old one can tell it is stale. */
  #epoch = 0;
  /** Callers of `waitUp` waiting for the next connection. */
  readonly #waiting = new Set<() => void>();

  constructor(o: JanusLinkOptions) {
    this.url = o.url;
    this.#o = o;
  }

  /** True while connected with a working admin handle. */
  get up(): boolean {
    return this.#client !== undefined && !this.#client.closed && this.#admin !== undefined;
  }

  /** Changes with every (re)connection. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Resolves true once the link is up, or false after `timeoutMs` (or on `close()`). */
  waitUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve(this.up);
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#waiting.add(done);
    });
  }

  /** Starts connecting (in the background); failures are retried until `close()`. */
  start(): void {
    void this.#connect();
  }

  /** The connection, or SFU_UNAVAILABLE-worthy `JanusError` when down. */
  client(): JanusClient {
    if (!this.up) throw new JanusError('closed', 'Janus is not connected');
    return this.#client!;
  }

  /** The admin handle (room management). */
  admin(): JanusHandle {
    if (!this.up) throw new JanusError('closed', 'Janus is not connected');
    return this.#admin!;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    let client: JanusClient | undefined;
    try {
      client = await JanusClient.connect(this.url, {
        ...(this.#o.apiSecret !== undefined ? { apiSecret: this.#o.apiSecret } : {}),
        ...(this.#o.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.#o.requestTimeoutMs } : {}),
      });
      const session = await client.createSession();
      const admin = await session.attach();
      if (this.#closed) {
        client.close();
        return;
      }
      this.#client = client;
      this.#admin = admin;
      this.#epoch++;
      this.#retryMs = RETRY_MIN_MS;
      client.onClose(() => this.#lost(client!));
      this.#o.log.info({ janus: this.url }, 'sfu connected');
      for (const done of [...this.#waiting]) done();
      this.#o.onUp(this);
    } catch (err) {
      client?.close();
      if (this.#closed) return;
      this.#o.log.debug({ err, janus: this.url, retryMs: this.#retryMs }, 'sfu connect failed');
      this.#retry();
    }
  }

  #lost(client: JanusClient): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#admin = undefined;
    if (this.#closed) return;
    this.#o.log.warn({ janus: this.url }, 'sfu connection lost');
    this.#o.onDown(this);
    this.#retry();
  }

  #retry(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  /** Stops reconnecting and closes the connection (Janus drops our sessions with it). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const done of [...this.#waiting]) done();
    const c = this.#client;
    this.#client = undefined;
    this.#admin = undefined;
    c?.close();
  }
}
