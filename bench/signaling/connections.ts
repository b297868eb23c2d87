/**
 * Opens and logs in many load-generator clients, a bounded number at a time, and hands every
 * later frame to the scenario. Clients use `ws` with its default options except
 * permessage-deflate, which is off on every side so no target compresses and none pays for it.
 */
import WebSocket from 'ws';
import type { TargetSpec } from './targets.ts';

export type FrameHandler = (client: number, frame: Buffer) => void;

/** Connected clients plus what went wrong while connecting and afterwards. */
export interface ClientSet {
  sockets: WebSocket[];
  /** Wall time to open and log in all clients. */
  setupMs: number;
  /** Counts the scenario reports: unexpected closes and socket errors after login. */
  health: { closedEarly: number; errors: number; lastError: string };
  /** Ends every socket at once (the server is stopped right after, so no close handshake). */
  terminateAll(): void;
}

export interface ConnectOptions {
  port: number;
  names: readonly string[];
  /** Clients opening at the same time. */
  concurrency: number;
  /** Bound on each client's open + login, in milliseconds. */
  loginTimeoutMs: number;
  onFrame: FrameHandler;
}

interface SetState {
  health: ClientSet['health'];
  /** Set once the harness ends the clients on purpose, so those closes are not counted. */
  closing: boolean;
}

function openOne(target: TargetSpec, opts: ConnectOptions, index: number, state: SetState) {
  const { health } = state;
  const name = opts.names[index]!;
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(target.url(opts.port, name), {
      perMessageDeflate: false,
      handshakeTimeout: opts.loginTimeoutMs,
    });
    let loggedIn = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`login of ${name} timed out after ${opts.loginTimeoutMs} ms`));
    }, opts.loginTimeoutMs);
    ws.on('error', (err) => {
      if (!loggedIn) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      health.errors++;
      health.lastError = err.message;
    });
    ws.on('close', (code, reason) => {
      if (!loggedIn) {
        clearTimeout(timer);
        reject(new Error(`${name} closed before login: ${code} ${String(reason)}`));
        return;
      }
      if (!state.closing) {
        health.closedEarly++;
        health.lastError = `closed by server: ${code} ${String(reason)}`;
      }
    });
    ws.once('open', () => {
      const hello = target.hello(name);
      if (hello !== undefined) ws.send(hello);
    });
    ws.once('message', (data) => {
      clearTimeout(timer);
      const verdict = target.loginResult(String(data));
      if (verdict !== true) {
        ws.terminate();
        reject(new Error(`${name}: ${verdict}`));
        return;
      }
      loggedIn = true;
      const relate = target.relate?.(name);
      if (relate === undefined) {
        ws.on('message', (frame: Buffer) => opts.onFrame(index, frame));
        resolve(ws);
        return;
      }
      // Relate the pair first (Parley: a shared room), then hand frames to the scenario.
      const onRelated = (data: Buffer) => {
        const type = firstType(String(data));
        if (type === 'error') {
          ws.terminate();
          reject(new Error(`${name}: could not relate: ${String(data).slice(0, 200)}`));
          return;
        }
        if (type !== relate.relatedType) return;
        ws.off('message', onRelated);
        ws.on('message', (frame: Buffer) => opts.onFrame(index, frame));
        resolve(ws);
      };
      ws.on('message', onRelated);
      ws.send(relate.frame);
    });
  });
}

/**
 * Connects `names.length` clients, `concurrency` at a time; rejects with the first failure
 * (after closing what was opened), so a scenario never runs on a partial set.
 */
export async function connectAll(target: TargetSpec, opts: ConnectOptions): Promise<ClientSet> {
  const started = performance.now();
  const sockets: WebSocket[] = new Array(opts.names.length);
  const state: SetState = { health: { closedEarly: 0, errors: 0, lastError: '' }, closing: false };
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < opts.names.length) {
      const i = next++;
      try {
        sockets[i] = await openOne(target, opts, i, state);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.names.length) }, worker));
  const terminateAll = () => {
    state.closing = true;
    for (const ws of sockets) ws?.terminate();
  };
  if (failure !== undefined) {
    terminateAll();
    throw failure;
  }
  return { sockets, setupMs: performance.now() - started, health: state.health, terminateAll };
}

/** The `type` of a JSON frame, or '' (only used while relating, before the measured window). */
function firstType(frame: string): string {
  try {
    const v: unknown = JSON.parse(frame);
    return typeof v === 'object' && v !== null && 'type' in v ? String(v.type) : '';
  } catch {
    return '';
  }
}
