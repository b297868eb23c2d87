/**
 * Decoding speed of the protocol's schemas on zod/mini (what they use) against the same schemas
 * on zod classic (the protocol package at commit 9d4c308, the last before zod/mini, extracted with
 * `git archive` into node_modules/.cache). Times decodeClient (the server's path) and decodeServer
 * (the SDK's) over typical frames, valid and not, and prints JSON: µs per 1,000 frames, median of
 * the rounds, alternating: zod classic, zod/mini interpreted (the browser) and zod/mini compiled
 * with `useCompiledSchemas()` (the server).
 *
 *   npm run -s bench:zod-mini [-- rounds]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeClient, decodeServer, useCompiledSchemas } from '@parley/protocol';

const CLASSIC_COMMIT = '9d4c308';
const ROOT = new URL('../..', import.meta.url).pathname;
const DIR = `${ROOT}node_modules/.cache/parley-bench/zod-classic-${CLASSIC_COMMIT}`;
if (!existsSync(`${DIR}/packages/protocol/src/index.ts`)) {
  mkdirSync(DIR, { recursive: true });
  const tar = execFileSync('git', ['-C', ROOT, 'archive', CLASSIC_COMMIT, 'packages/protocol/src']);
  execFileSync('tar', ['-x', '-C', DIR], { input: tar });
}
const classic: typeof import('@parley/protocol') = await import(`${DIR}/packages/protocol/src/index.ts`);

const sdp = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host\r\n'.repeat(16)}`;
const CLIENT_FRAMES = {
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
const SERVER_FRAMES = {
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

const rounds = Number(process.argv[2] ?? 7);
const N = 20_000;
function time(decode: (raw: string) => unknown, raw: string): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) decode(raw);
  return ((performance.now() - t) * 1000 * 1000) / N; // µs per 1,000 frames
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;

type Row = { classicUs: number; miniUs: number; miniCompiledUs: number };
const result: Record<string, Row> = {};
const cases = [
  ...Object.entries(CLIENT_FRAMES).map(
    ([k, f]) => [`decodeClient ${k}`, JSON.stringify(f), 'decodeClient'] as const,
  ),
  ...Object.entries(SERVER_FRAMES).map(
    ([k, f]) => [`decodeServer ${k}`, JSON.stringify(f), 'decodeServer'] as const,
  ),
];
// Interpreted zod/mini (the browser) first, then compiled (the server: useCompiledSchemas is process-wide).
for (const column of ['miniUs', 'miniCompiledUs'] as const) {
  if (column === 'miniCompiledUs') useCompiledSchemas();
  const mini = { decodeClient, decodeServer };
  for (const [name, raw, fn] of cases) {
    const c: number[] = [];
    const m: number[] = [];
    time(classic[fn], raw);
    time(mini[fn], raw);
    for (let r = 0; r < rounds; r++) {
      c.push(time(classic[fn], raw));
      m.push(time(mini[fn], raw));
    }
    result[name] ??= { classicUs: 0, miniUs: 0, miniCompiledUs: 0 };
    const row = result[name];
    row.classicUs = Math.round(column === 'miniUs' ? median(c) : (row.classicUs + median(c)) / 2);
    row[column] = Math.round(median(m));
  }
}
console.log(
  JSON.stringify(
    { unit: 'µs per 1,000 frames (median)', rounds, framesPerRound: N, node: process.version, result },
    null,
    2,
  ),
);
