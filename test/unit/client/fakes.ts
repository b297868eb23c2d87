/**
 * Fakes for the client SDK's unit tests: a scriptable WebSocket, and an RTCPeerConnection that
 * models just the signaling state machine (W3C webrtc-pc §4.3.1) with implicit rollback,
 * negotiationneeded and trickle candidates. They test our logic only; real calls are proven in
 * Chromium by the e2e suite.
 */

import { type ConnectOptions, ParleyClient } from '../../../packages/client/src/client.ts';
import type { RTCPeerConnectionConstructor } from '../../../packages/client/src/peer/peer-session.ts';
import { ExponentialBackoffPolicy } from '../../../packages/client/src/signaling/reconnect-policy.ts';
import type { WebSocketLike } from '../../../packages/client/src/signaling/signaling-client.ts';
import { checkClientFrame, checkServerFrame } from '../../helpers/frame-checks.ts';
import { until } from '../../helpers/wait.ts';
import { FakePeerConnection } from './fake-peer-connection.ts';

/** A WebSocket whose server side is driven by the test. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly url: string;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  /**
   * Whether every `signal` sent must carry the SDK's signal vocabulary (true for a ParleyClient;
   * a bare SignalingClient may send any JSON).
   */
  sdkSignals = true;

  constructor(url: string) {
    this.url = url;
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    checkClientFrame(data, { sdkSignals: this.sdkSignals });
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  // ---- test side ----
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  /**
   * Delivers a server frame to the SDK. An object must be a frame the protocol defines (checked
   * with the real decoder, so a test cannot pass by pushing a frame the SDK would drop); a string
   * goes through as it is (for tests of malformed input).
   */
  push(frame: unknown): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    if (typeof frame !== 'string') checkServerFrame(text);
    this.onmessage?.({ data: text });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  last(type?: string): Record<string, unknown> | undefined {
    const list = type ? this.sent.filter((f) => f.type === type) : this.sent;
    return list[list.length - 1];
  }
}

/** A WebSocket constructor that records every socket it makes. */
export function fakeWebSocket(options: { sdkSignals?: boolean } = {}): {
  WebSocket: new (url: string) => FakeSocket;
  sockets: FakeSocket[];
} {
  const sockets: FakeSocket[] = [];
  class WS extends FakeSocket {
    constructor(url: string) {
      super(url);
      if (options.sdkSignals !== undefined) this.sdkSignals = options.sdkSignals;
      sockets.push(this);
    }
  }
  return { WebSocket: WS, sockets };
}

/** A `welcome` frame with sensible defaults. */
export function welcome(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'welcome',
    version: '1',
    name: 'alice',
    session: 'session-token-0123456789',
    iceServers: [],
    heartbeatMs: 60_000,
    graceMs: 20_000,
    resumed: false,
    rooms: [],
    ...over,
  };
}

/** Resolves after pending timers and microtasks ran (a macrotask turn). */
export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * How the SDK unit tests wait on the fakes with `until` (test/helpers/wait.ts): everything runs
 * in this process and settles in a few ms, so check every 1 ms and give up after 2 s.
 */
export const onFakes = { timeoutMs: 2_000, intervalMs: 1 } as const;

const openClients: ParleyClient[] = [];

/**
 * A ParleyClient as alice on a fake WebSocket and FakePeerConnection, no storage, reconnecting
 * after 1 ms; opened: its first socket accepted and welcomed. `over` replaces any option. Close
 * it (and every other) with `closeClients()` after each test.
 */
export async function openClient(
  over: Partial<ConnectOptions> = {},
): Promise<{ client: ParleyClient; s: FakeSocket; sockets: FakeSocket[] }> {
  const ws = fakeWebSocket();
  const client = new ParleyClient('ws://parley.test/ws', {
    name: 'alice',
    WebSocket: ws.WebSocket,
    RTCPeerConnection: FakePeerConnection as unknown as RTCPeerConnectionConstructor,
    storage: null,
    reconnectPolicy: new ExponentialBackoffPolicy({ initialDelayMs: 1, jitter: 0 }),
    ...over,
  });
  openClients.push(client);
  const opened = client.open();
  await until(() => ws.sockets[0], { ...onFakes, what: 'the first socket' });
  const s = ws.sockets[0] as FakeSocket;
  s.accept();
  s.push(welcome({ re: s.last('hello')?.id }));
  await opened;
  return { client, s, sockets: ws.sockets };
}

/** Closes every client `openClient` made (call it in `afterEach`). */
export function closeClients(): void {
  for (const c of openClients.splice(0)) c.close();
}
