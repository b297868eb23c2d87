/**
 * The relay's per-frame work in one process, without sockets: what a received `signal` costs the
 * server from the bytes `ws` hands over to the bytes handed back to `ws`, three ways, interleaved
 * rep by rep and timed in CPU time (process.cpuUsage), so a loaded machine inflates all three
 * alike and the ratios hold:
 *
 * - `stringify`: the path before issue 17 — UTF-8 decode, `decodeClient` (size, JSON.parse,
 *   depth, compiled schema), `JSON.stringify(msg.data)` into the outgoing frame, UTF-8 encode;
 * - `splice`: the same decode, then the client's own text of `data` (`dataJson`, located by
 *   json-span.ts) spliced after the sender's prefix, UTF-8 encode;
 * - `splice-bytes`: what the server does since: for an ASCII frame the spliced frame is built from
 *   the received bytes (prefix + the data's bytes + `}`), so the payload is not encoded again;
 * - `raw`: what bench/signaling/raw-forwarder.ts does — read the name at a fixed offset and
 *   concatenate a prefix with the bytes after it; no validation at all (the ceiling).
 *
 *   npx tsx bench/protocol/relay-splice.ts [--reps 7] [--ms 300]
 *
 * Prints JSON: ns of CPU per frame (median and min–max over reps) and the ratios per rep.
 */
import { parseArgs } from 'node:util';
import { decodeClient, useCompiledSchemas } from '@parley/protocol';
import { bodyJson, PAYLOAD_KINDS, type PayloadKind } from '../signaling/payloads.ts';

// The outgoing frame as packages/server/src/wire/frames.ts `signalFrame` builds it (the server's
// files are not a package face, test/unit/server/layers.test.ts): text, or bytes for an ASCII frame.
const PREFIX = '{"type":"signal","from":';
function textFrame(fromJson: string, dataJson: string): string {
  return PREFIX + fromJson + ',"data":' + dataJson + '}';
}
function bytesFrame(fromJson: string, data: Buffer): Buffer {
  const prefix = PREFIX + fromJson + ',"data":';
  const n = Buffer.byteLength(prefix);
  const bytes = Buffer.allocUnsafe(n + data.length + 1);
  bytes.write(prefix, 0, 'utf8');
  data.copy(bytes, n);
  bytes[bytes.length - 1] = 0x7d;
  return bytes;
}

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '7' }, ms: { type: 'string', default: '300' } },
});
const REPS = Number(values.reps);
const SLICE_MS = Number(values.ms);

useCompiledSchemas();

/** A client frame as the load generator sends it (bench/signaling/payloads.ts, targets.ts). */
const frameOf = (kind: PayloadKind, frameBytes: number) =>
  Buffer.from(
    `{"type":"signal","to":"p1b","data":{"bts":1733600000000000,"s":1,"k":"${PAYLOAD_KINDS[kind]}","body":${bodyJson(kind, frameBytes)}}}`,
  );

const frames: Record<string, Buffer> = {
  candidate: frameOf('candidate', 0),
  'offer-1KB': frameOf('offer', 1024),
  'offer-4KB': frameOf('offer', 4096),
};

const FROM_JSON = JSON.stringify('p1a');
const RAW_HEAD = Buffer.from('{"type":"signal","to":"');
const RAW_PREFIX = Buffer.from(`{"type":"signal","from":${FROM_JSON}`);
let sink = 0;

const paths: Record<string, (buf: Buffer) => void> = {
  stringify(buf) {
    const r = decodeClient(buf.toString('utf8'));
    if (!r.ok || r.msg.type !== 'signal') throw new Error('bad frame');
    sink += Buffer.from(textFrame(FROM_JSON, JSON.stringify(r.msg.data))).length;
  },
  splice(buf) {
    const r = decodeClient(buf.toString('utf8'));
    if (!r.ok || r.msg.type !== 'signal') throw new Error('bad frame');
    if (r.dataJson === undefined) throw new Error('no data span');
    sink += Buffer.from(textFrame(FROM_JSON, r.dataJson)).length;
  },
  'splice-bytes'(buf) {
    const text = buf.toString('utf8');
    const r = decodeClient(text);
    if (!r.ok || r.msg.type !== 'signal' || r.dataAt === undefined || r.dataJson === undefined)
      throw new Error('bad frame');
    if (text.length !== buf.length) throw new Error('not ASCII');
    sink += bytesFrame(FROM_JSON, buf.subarray(r.dataAt, r.dataAt + r.dataJson.length)).length;
  },
  raw(buf) {
    const end = buf.indexOf(0x22, RAW_HEAD.length);
    sink += buf.toString('latin1', RAW_HEAD.length, end).length;
    sink += Buffer.concat([RAW_PREFIX, buf.subarray(end + 1)]).length;
  },
};

/** CPU ns per call of `fn(buf)`, run for about SLICE_MS of wall time. */
function timeSlice(fn: (buf: Buffer) => void, buf: Buffer): number {
  const until = performance.now() + SLICE_MS;
  const before = process.cpuUsage();
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 200; i++) fn(buf);
    n += 200;
  }
  const used = process.cpuUsage(before);
  return ((used.user + used.system) * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r2 = (x: number) => Math.round(x * 100) / 100;
const summary = (xs: number[]) => ({
  median: r2(median(xs)),
  min: r2(Math.min(...xs)),
  max: r2(Math.max(...xs)),
});

const report: Record<string, unknown> = {};
for (const [name, buf] of Object.entries(frames)) {
  for (const fn of Object.values(paths)) timeSlice(fn, buf); // warm-up
  const ns: Record<string, number[]> = { stringify: [], splice: [], 'splice-bytes': [], raw: [] };
  const ratios: Record<string, number[]> = {
    'splice/stringify': [],
    'splice-bytes/stringify': [],
    'splice-bytes/raw': [],
    'stringify/raw': [],
  };
  for (let rep = 0; rep < REPS; rep++) {
    // Rotate the order rep by rep so no path always runs first.
    const order = Object.keys(paths);
    const rotated = [...order.slice(rep % order.length), ...order.slice(0, rep % order.length)];
    const t: Record<string, number> = {};
    for (const p of rotated) t[p] = timeSlice(paths[p]!, buf);
    for (const p of order) ns[p]!.push(t[p]!);
    ratios['splice/stringify']!.push(t.splice! / t.stringify!);
    ratios['splice-bytes/stringify']!.push(t['splice-bytes']! / t.stringify!);
    ratios['splice-bytes/raw']!.push(t['splice-bytes']! / t.raw!);
    ratios['stringify/raw']!.push(t.stringify! / t.raw!);
  }
  report[name] = {
    frameBytes: buf.length,
    cpuNsPerFrame: Object.fromEntries(Object.entries(ns).map(([k, v]) => [k, summary(v)])),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, summary(v)])),
  };
}
process.stdout.write(
  `${JSON.stringify({ benchmark: 'relay-splice', node: process.version, reps: REPS, sliceMs: SLICE_MS, sink: sink > 0, frames: report }, null, 2)}\n`,
);
