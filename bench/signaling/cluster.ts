/**
 * Scale-out benchmark: Parley's signal relay between clients on the SAME node versus clients on
 * DIFFERENT nodes sharing one Redis, for 1, 2 and 3 node processes, in one run. Prints one JSON
 * document on stdout (progress on stderr).
 *
 *   npx tsx bench/signaling/cluster.ts            full run (about two minutes)
 *   npx tsx bench/signaling/cluster.ts --quick    short windows (under a minute)
 *   options: --pairs N  --rate MSGS_PER_S  --measure-ms N  --window N  --nodes 1,2,3  --out FILE
 *
 * Cells (each with fresh clients; `mixed` alternates same-node and cross-node pairs in one window):
 * - `1 node, memory`: the default single-node server, no Redis (the baseline);
 * - `N nodes, same`: every pair on one node (pairs spread over the N nodes), Redis directory on —
 *   the relay's local fast path, which never touches Redis;
 * - `N nodes, cross`: each pair's sender on node i and receiver on node i+1 — every frame goes
 *   node → Redis (one Lua script: lookup + PUBLISH) → node.
 *
 * Two phases per cell: *paced* — the pairs together send `rate` signals/s for `measure-ms`;
 * latency (send → receive, one clock: all clients live in this process) and CPU per 1,000
 * messages come from it; *closed loop* — each pair keeps `window` signals in flight for
 * `measure-ms`: the sustained throughput. CPU is what the kernel charged each node process (and
 * redis-server) during the window, from /proc.
 *
 * On a small machine the load generator, the nodes and Redis share the same cores: read
 * throughput as a lower bound and CPU per message as the portable figure (docs/BENCHMARKS.md,
 * "Scale-out").
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type RawData, WebSocket } from 'ws';
import { startRedis, type TestRedis } from '../../test/helpers/redis.ts';
import { sleep } from './measure-window.ts';
import { machineInfo, processCpuMs } from './proc.ts';
import { freePort, type RunningServer, startServer } from './server-process.ts';
import { LatencyRecorder, type LatencySummary, round3 } from './stats.ts';
import { PARLEY_BENCH_ENV, ROOT } from './targets.ts';

interface Options {
  pairs: number;
  rate: number;
  measureMs: number;
  warmupMs: number;
  window: number;
  /** Node counts to run (default 1,2,3); the memory baseline runs when 1 is among them. */
  nodes: number[];
  out: string | undefined;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      pairs: { type: 'string' },
      rate: { type: 'string' },
      'measure-ms': { type: 'string' },
      window: { type: 'string' },
      nodes: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const n = (s: string | undefined, fallback: number) => {
    if (s === undefined) return fallback;
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1) throw new Error(`bad number: ${s}`);
    return v;
  };
  return {
    pairs: n(values.pairs, 30),
    rate: n(values.rate, 3000),
    measureMs: n(values['measure-ms'], values.quick ? 2500 : 6000),
    warmupMs: values.quick ? 800 : 1500,
    window: n(values.window, 16),
    nodes: (values.nodes ?? '1,2,3').split(',').map((x) => n(x, 1)),
    out: values.out,
  };
}

const log = (msg: string) => process.stderr.write(`[cluster-bench] ${msg}\n`);

/** One logged-in benchmark client. */
interface Client {
  ws: WebSocket;
  name: string;
}

/**
 * Logs `name` in and joins `room`: Parley relays `signal` only between members of a shared room
 * (or parties of a call), so each pair shares a room of its own, across nodes through Redis.
 */
async function login(
  url: string,
  name: string,
  room: string,
  onSignal: (data: { t: number }) => void,
): Promise<Client> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('message', (raw) => {
      const f = JSON.parse(raw.toString()) as { type: string; code?: string };
      if (f.type === 'welcome') resolve();
      else reject(new Error(`login ${name}: ${f.code}`));
    });
    ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name }));
  });
  await new Promise<void>((resolve, reject) => {
    const onReply = (raw: RawData) => {
      const f = JSON.parse(raw.toString()) as { type: string; re?: number; code?: string };
      if (f.re !== 1) return;
      ws.off('message', onReply);
      if (f.type === 'room.joined') resolve();
      else reject(new Error(`${name} joining ${room}: ${f.code}`));
    };
    ws.on('message', onReply);
    ws.send(JSON.stringify({ type: 'room.join', id: 1, room }));
  });
  ws.on('message', (raw) => {
    const s = raw.toString();
    // `{"type":"signal","from":…,"data":{"t":…}}` — parse only what we need.
    if (s.startsWith('{"type":"signal"')) onSignal((JSON.parse(s) as { data: { t: number } }).data);
  });
  return { ws, name };
}

interface PhaseResult {
  delivered: number;
  msgsPerS: number;
  latencyMs: LatencySummary;
  /** Mixed cells only: latency of the same-node pairs and of the cross-node pairs. */
  latencyBySide?: { same: LatencySummary; cross: LatencySummary };
  /** CPU ms charged to each node process during the window. */
  nodeCpuMs: number[];
  redisCpuMs: number;
  /** (all nodes' CPU) per 1,000 delivered messages, ms. */
  cpuMsPer1kMsgs: number;
  /** The same, per node (mean). */
  cpuMsPer1kMsgsPerNode: number;
  redisCpuMsPer1kMsgs: number;
}

/**
 * Where each pair's two clients are: on one node, on neighbouring nodes, or alternately (mixed:
 * both kinds in the same window, so they meet the same machine noise — the fair p99 ratio).
 */
type Placement = 'same' | 'cross' | 'mixed';

interface CellResult {
  cell: string;
  nodes: number;
  redis: boolean;
  placement: Placement;
  pairs: number;
  paced: PhaseResult;
  closedLoop: PhaseResult;
}

function cpuNow(servers: RunningServer[], redisPid: number | undefined) {
  return {
    nodes: servers.map((s) => processCpuMs(s.pid)),
    redis: redisPid ? processCpuMs(redisPid) : 0,
  };
}

async function runCell(
  o: Options,
  servers: RunningServer[],
  redisPid: number | undefined,
  placement: Placement,
  label: string,
): Promise<CellResult> {
  const n = servers.length;
  const url = (i: number) => `ws://127.0.0.1:${servers[i % n]!.port}/ws`;
  const tag = Math.random().toString(36).slice(2, 7);
  let recorder = new LatencyRecorder(200_000);
  let bySide = { same: new LatencyRecorder(100_000), cross: new LatencyRecorder(100_000) };
  let delivered = 0;
  let onDelivered: ((pair: number) => void) | undefined;
  const senders: Client[] = [];
  const everyone: Client[] = [];
  for (let p = 0; p < o.pairs; p++) {
    const from = p % n;
    const cross = placement === 'cross' || (placement === 'mixed' && p % 2 === 1);
    const to = cross ? (from + 1) % n : from;
    const side = cross ? 'cross' : 'same';
    const receiverName = `r${tag}-${p}`;
    const room = `pair-${tag}-${p}`;
    const receiver = await login(url(to), receiverName, room, (data) => {
      const ms = performance.now() - data.t;
      recorder.record(ms);
      bySide[side].record(ms);
      delivered++;
      onDelivered?.(p);
    });
    const sender = await login(url(from), `s${tag}-${p}`, room, () => {});
    senders.push(sender);
    everyone.push(sender, receiver);
  }
  const frameTo = (p: number) =>
    `{"type":"signal","to":"r${tag}-${p}","data":{"t":${performance.now()},"kind":"candidate","candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host"}}`;

  const measure = async (phase: () => () => void): Promise<PhaseResult> => {
    const stopWarm = phase();
    await sleep(o.warmupMs);
    stopWarm();
    await sleep(200);
    recorder = new LatencyRecorder(200_000);
    bySide = { same: new LatencyRecorder(100_000), cross: new LatencyRecorder(100_000) };
    delivered = 0;
    const before = cpuNow(servers, redisPid);
    const t0 = performance.now();
    const stop = phase();
    await sleep(o.measureMs);
    const after = cpuNow(servers, redisPid);
    const elapsedS = (performance.now() - t0) / 1000;
    const got = delivered;
    stop();
    await sleep(300);
    const nodeCpuMs = after.nodes.map((c, i) => round3(c - before.nodes[i]!));
    const totalCpu = nodeCpuMs.reduce((a, b) => a + b, 0);
    const redisCpuMs = round3(after.redis - before.redis);
    return {
      delivered: got,
      msgsPerS: Math.round(got / elapsedS),
      latencyMs: recorder.summary(),
      ...(placement === 'mixed'
        ? { latencyBySide: { same: bySide.same.summary(), cross: bySide.cross.summary() } }
        : {}),
      nodeCpuMs,
      redisCpuMs,
      cpuMsPer1kMsgs: round3((totalCpu / got) * 1000),
      cpuMsPer1kMsgsPerNode: round3((totalCpu / n / got) * 1000),
      redisCpuMsPer1kMsgs: round3((redisCpuMs / got) * 1000),
    };
  };

  // Paced: `rate` messages/s in total, in 5 ms ticks, round-robin over the pairs.
  const paced = () => {
    let next = 0;
    let credit = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      credit += ((now - last) / 1000) * o.rate;
      last = now;
      for (; credit >= 1; credit--) {
        const p = next++ % o.pairs;
        senders[p]!.ws.send(frameTo(p));
      }
    }, 5);
    return () => clearInterval(timer);
  };
  // Closed loop: every pair keeps `window` signals in flight.
  const closedLoop = () => {
    let running = true;
    onDelivered = (p) => {
      if (running) senders[p]!.ws.send(frameTo(p));
    };
    for (let p = 0; p < o.pairs; p++) for (let k = 0; k < o.window; k++) senders[p]!.ws.send(frameTo(p));
    return () => {
      running = false;
      onDelivered = undefined;
    };
  };

  log(`${label}: paced ${o.rate}/s`);
  const pacedResult = await measure(paced);
  log(`${label}: closed loop, window ${o.window} per pair`);
  const closedResult = await measure(closedLoop);
  await sleep(500);
  for (const c of everyone) c.ws.close();
  return {
    cell: label,
    nodes: n,
    redis: redisPid !== undefined,
    placement,
    pairs: o.pairs,
    paced: pacedResult,
    closedLoop: closedResult,
  };
}

async function startNodes(count: number, redis: TestRedis | undefined): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const env: Record<string, string> = {
      ...PARLEY_BENCH_ENV,
      PARLEY_HOST: '127.0.0.1',
      PARLEY_PORT: String(port),
      PARLEY_STUN_PORT: 'off',
      // Closing thousands of bench sockets must not park sessions for long.
      PARLEY_GRACE_S: '0',
    };
    if (redis) {
      env.PARLEY_REDIS_URL = redis.url;
      env.PARLEY_NODE_ID = `bench-${count}-${i}`;
    }
    servers.push(
      await startServer({ args: ['--import', 'tsx', `${ROOT}packages/server/src/main.ts`], env }, port, 4096),
    );
  }
  return servers;
}

async function main(): Promise<void> {
  const o = options();
  const machine = machineInfo();
  log(`machine: ${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadAverage1m}`);
  const cells: CellResult[] = [];

  if (o.nodes.includes(1)) {
    const servers = await startNodes(1, undefined);
    try {
      cells.push(await runCell(o, servers, undefined, 'same', '1 node, memory'));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
  const redis = await startRedis();
  try {
    const redisPid = redis.pid;
    for (const count of o.nodes) {
      const servers = await startNodes(count, redis);
      try {
        cells.push(await runCell(o, servers, redisPid, 'same', `${count} node${count > 1 ? 's' : ''}, same`));
        if (count > 1) {
          cells.push(await runCell(o, servers, redisPid, 'cross', `${count} nodes, cross`));
          cells.push(await runCell(o, servers, redisPid, 'mixed', `${count} nodes, mixed`));
        }
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    }
  } finally {
    await redis.stop();
  }

  const verdicts = o.nodes
    .filter((c) => c > 1)
    .map((count) => {
      const same = cells.find((c) => c.nodes === count && c.placement === 'same')!;
      const cross = cells.find((c) => c.nodes === count && c.placement === 'cross')!;
      const mixed = cells.find((c) => c.nodes === count && c.placement === 'mixed')!.paced.latencyBySide!;
      const ratio = round3(mixed.cross.p99 / mixed.same.p99);
      return {
        nodes: count,
        // The goal is judged on the mixed cell: both kinds of pairs in one window.
        mixedSameP50Ms: mixed.same.p50,
        mixedCrossP50Ms: mixed.cross.p50,
        mixedSameP99Ms: mixed.same.p99,
        mixedCrossP99Ms: mixed.cross.p99,
        crossOverSameP99: ratio,
        goalUnder2x: ratio < 2,
        separateCellsP99Ms: { same: same.paced.latencyMs.p99, cross: cross.paced.latencyMs.p99 },
        cpuPer1kSameMs: same.paced.cpuMsPer1kMsgs,
        cpuPer1kCrossMs: cross.paced.cpuMsPer1kMsgs,
        redisCpuPer1kCrossMs: cross.paced.redisCpuMsPer1kMsgs,
      };
    });
  const report = {
    benchmark: 'signaling scale-out (bench/signaling/cluster.ts)',
    date: new Date().toISOString(),
    machine,
    loadAverageAfter1m: machineInfo().loadAverage1m,
    options: o,
    cells,
    verdicts,
  };
  const json = JSON.stringify(report, null, 2);
  if (o.out) writeFileSync(o.out, `${json}\n`);
  process.stdout.write(`${json}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
