/**
 * The frames bench/protocol/zod-mini.ts (Node) and zod-mini-browser.ts (Chromium) decode, and the
 * timing loop both use: typical frames each way, valid and not. Runs in Node and in a page alike
 * (no Node imports).
 */
const sdp = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host\r\n'.repeat(16)}`;
export const CLIENT_FRAMES = {
  'signal description (~1 KB)': {
    type: 'signal',
    id: 1,
    to: 'bob',
    data: { kind: 'description', scope: 'room:r', description: { type: 'offer', sdp } },
  },
  'signal candidate': {
    type: 'signal',
    to: 'bob',
    data: {
      kind: 'candidate',
      scope: 'call:c1',
      candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 5 typ host', sdpMid: '0' },
    },
  },
  'room.message': { type: 'room.message', id: 'm1', room: 'lobby', data: { text: 'hello', n: [1, 2, 3] } },
  hello: { type: 'hello', id: 1, versions: ['1'], name: 'alice', token: 'x'.repeat(200) },
  'invalid sfu.trickle': {
    type: 'sfu.trickle',
    room: 'bad room!',
    target: 'nope',
    candidate: { candidate: 1 },
  },
};
export const SERVER_FRAMES = {
  welcome: {
    type: 'welcome',
    version: '1',
    name: 'alice',
    session: 's'.repeat(32),
    iceServers: [{ urls: ['stun:192.0.2.1'] }, { urls: 'turn:192.0.2.1', username: 'u', credential: 'c' }],
    heartbeatMs: 25000,
    graceMs: 30000,
    resumed: false,
    rooms: [],
  },
  'signal (relayed)': {
    type: 'signal',
    from: 'bob',
    data: { kind: 'description', scope: 'room:r', description: { type: 'answer', sdp } },
  },
};

/** Frames decoded per timing. */
export const N = 20_000;

/** µs per 1,000 frames of `decode` on `raw`, over {@link N} frames. */
export function time(decode: (raw: string) => unknown, raw: string): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) decode(raw);
  return ((performance.now() - t) * 1000 * 1000) / N;
}

export const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;

/** Every case: its name, the frame's text and which decoder reads it. */
export const CASES = [
  ...Object.entries(CLIENT_FRAMES).map(
    ([k, f]) => [`decodeClient ${k}`, JSON.stringify(f), 'decodeClient'] as const,
  ),
  ...Object.entries(SERVER_FRAMES).map(
    ([k, f]) => [`decodeServer ${k}`, JSON.stringify(f), 'decodeServer'] as const,
  ),
];

type Decoders = { decodeClient: (raw: string) => unknown; decodeServer: (raw: string) => unknown };

/** Medians of `rounds` alternating timings of two decoder sets over every case. */
export function compare(a: Decoders, b: Decoders, rounds: number): Record<string, { a: number; b: number }> {
  const out: Record<string, { a: number; b: number }> = {};
  for (const [name, raw, fn] of CASES) {
    const ta: number[] = [];
    const tb: number[] = [];
    time(a[fn], raw);
    time(b[fn], raw);
    for (let r = 0; r < rounds; r++) {
      ta.push(time(a[fn], raw));
      tb.push(time(b[fn], raw));
    }
    out[name] = { a: Math.round(median(ta)), b: Math.round(median(tb)) };
  }
  return out;
}
