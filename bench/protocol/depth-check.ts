/**
 * What the codec's nesting-depth check costs: decodes typical `signal` frames (an SDP-carrying
 * description of ~1 KB and ~4 KB, and a candidate) and times `decodeClient` as a whole against
 * the depth check alone on the already-parsed frame, so the share of the check in decoding (and
 * so in relaying) can be read directly. Prints JSON.
 *
 *   npx tsx bench/protocol/depth-check.ts
 */
import { decodeClient, LIMITS, nestedDeeperThan } from '@parley/protocol';

function sdpOf(bytes: number): string {
  const lines = ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
  let i = 0;
  while (lines.join('\r\n').length < bytes - 150) {
    lines.push(`a=candidate:${i} 1 udp 2122260223 192.0.2.${i++ % 250} 5${i % 10000} typ host generation 0`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

function frameOf(bytes: number): string {
  return JSON.stringify({
    type: 'signal',
    id: 42,
    to: 'bob',
    data: { kind: 'description', scope: 'room:bench', description: { type: 'offer', sdp: sdpOf(bytes) } },
  });
}

const candidate = JSON.stringify({
  type: 'signal',
  to: 'bob',
  data: {
    kind: 'candidate',
    scope: 'room:bench',
    candidate: {
      candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    },
  },
});

function nsPerOp(fn: () => void, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / iterations;
}

const out: Record<string, unknown> = { limit: LIMITS.frameMaxDepth };
for (const [name, raw] of [
  ['1KB', frameOf(1024)],
  ['4KB', frameOf(4096)],
  ['candidate', candidate],
] as const) {
  const parsed = JSON.parse(raw);
  let sink = 0;
  const best = (f: () => void) => Math.min(...[0, 1, 2, 3, 4].map(() => nsPerOp(f, 100_000)));
  const decodeNs = best(() => {
    if (decodeClient(raw).ok) sink++;
  });
  const parseNs = best(() => {
    if (JSON.parse(raw)) sink++;
  });
  const checkNs = best(() => {
    if (!nestedDeeperThan(parsed, LIMITS.frameMaxDepth)) sink++;
  });
  out[name] = {
    bytes: Buffer.byteLength(raw),
    decodeClientNs: Math.round(decodeNs),
    jsonParseNs: Math.round(parseNs),
    depthCheckNs: Math.round(checkNs),
    checkShareOfDecodePct: Number(((100 * checkNs) / decodeNs).toFixed(2)),
    sink: sink > 0,
  };
}
console.log(JSON.stringify(out, null, 2));
