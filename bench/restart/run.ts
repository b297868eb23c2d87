/**
 * A node restarts under a crowd (issue 27): how long its clients take to come back, and what the
 * relay between pairs already connected looks like meanwhile, on one node and on two nodes sharing
 * a real redis-server.
 *
 *   npm run bench:restart -- --clients 5000 --nodes 1,2
 *
 * The server runs as its own process with its default login gate (`PARLEY_LOGIN_RATE_PER_S`,
 * `PARLEY_LOGIN_BURST`) and drain; the clients are SDK clients (the Node peer's signaling) spread
 * over `--workers` load processes (bench/restart/worker.ts), paired in rooms of two, each sending
 * its partner a timestamped `room.message` every `--interval` ms. After a quiet phase (`normal`),
 * the runner stops node A with SIGTERM (its drain gives each client its own `reconnectMs`) and
 * starts it again on the same port. Timed: from SIGTERM until every client of node A is back. The
 * relay latency (one-way, epoch clock shared by the processes) is taken in the normal phase and
 * during the storm (first client back → last client back), for pairs already back; relay messages
 * lost between pairs already back are counted.
 *
 * With two nodes, clients alternate between A and B so every pair spans both (each relay crosses
 * Redis), and only A restarts: half the clients reconnect.
 *
 * Prints one JSON document on stdout; progress on stderr.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, processCpuMs } from '../signaling/proc.ts';
import { freePort, type RunningServer, startServer } from '../signaling/server-process.ts';
import { PARLEY_BENCH_ENV, ROOT } from '../signaling/targets.ts';
import { startBenchRedis } from './redis-process.ts';
import type { MemberSpec } from './worker.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    nodes: { type: 'string', default: '1,2' },
    workers: { type: 'string', default: '4' },
    interval: { type: 'string', default: '500' },
    normal: { type: 'string', default: '3000' },
    timeout: { type: 'string', default: '180000' },
    // A directory: the restarted node's new process writes a V8 CPU profile there on exit.
    'cpu-prof': { type: 'string' },
  },
});
const CLIENTS = Number(values.clients) & ~1;
const NODES = values.nodes.split(',').map(Number);
const WORKERS = Math.max(1, Number(values.workers));
const INTERVAL_MS = Number(values.interval);
const NORMAL_MS = Number(values.normal);
const TIMEOUT_MS = Number(values.timeout);
const log = (line: string) => process.stderr.write(`[restart-bench] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const round = (x: number) => Math.round(x * 10) / 10;
/** Processes to end should the run fail half-way (a worker failing exits the runner at once). */
const children = new Set<number>();
const killChildren = () => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
};

// The bench's own limits, except the ones measured: the login gate and the drain stay at their
// defaults, which is what a restart meets in production.
const { PARLEY_DRAIN_MS: _drain, ...BENCH_ENV } = PARLEY_BENCH_ENV;

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const redis = await startBenchRedis();
  children.add(redis.pid);
  return redis;
}

async function launchNode(
  port: number,
  redisUrl: string | undefined,
  profile = false,
): Promise<RunningServer> {
  const prof = profile && values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const server = await startServer(
    {
      args: [...prof, '--import', 'tsx', 'packages/server/src/main.ts'],
      env: {
        ...BENCH_ENV,
        PARLEY_HOST: '127.0.0.1',
        PARLEY_PORT: String(port),
        ...(redisUrl ? { PARLEY_REDIS_URL: redisUrl } : {}),
      },
    },
    port,
    2 * CLIENTS + 1000,
    // tsx compiles the server at startup: on a loaded machine that alone can take tens of seconds.
    120_000,
  );
  children.add(server.pid);
  return server;
}

interface Worker {
  child: ChildProcess;
  next(ev: string): Promise<Record<string, unknown>>;
}

function startWorker(): Worker {
  const child = fork(join(ROOT, 'bench/restart/worker.ts'), [], {
    execArgv: ['--import', 'tsx'],
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child.pid!);
  const waiting = new Map<string, Array<(m: Record<string, unknown>) => void>>();
  child.on('message', (m: Record<string, unknown>) => {
    if (m.ev === 'error') {
      log(`worker failed: ${m.message}`);
      killChildren();
      process.exit(1);
    }
    waiting.get(m.ev as string)?.shift()?.(m);
  });
  return {
    child,
    next: (ev) =>
      new Promise((resolve) => {
        if (!waiting.has(ev)) waiting.set(ev, []);
        waiting.get(ev)!.push(resolve);
      }),
  };
}

/**
 * The restarted node's own counts from `GET /metrics` (loopback may read it): how many resumes it
 * served (more than the clients that came back means attempts abandoned half-way and redone) and
 * the error frames it sent by code (`BUSY` is the login gate refusing).
 */
async function nodeCounts(port: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^parley_(resumes_total|errors_total\{code="([A-Z_]+)"\}|sessions) (\d+)/.exec(line);
      if (m) out[m[2] ? `error:${m[2]}` : m[1]!] = Number(m[3]);
    }
  } catch (err) {
    log(`metrics not read: ${(err as Error).message}`);
  }
  return out;
}

function sumCounts(maps: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function percentiles(xs: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(s[Math.floor(s.length * 0.5)] ?? Number.NaN),
    p99: round(s[Math.floor(s.length * 0.99)] ?? Number.NaN),
    max: round(s.at(-1) ?? Number.NaN),
  };
}

async function run(nodes: number): Promise<Record<string, unknown>> {
  const redis = nodes > 1 ? await startRedis() : undefined;
  const ports = await Promise.all(Array.from({ length: nodes }, () => freePort()));
  const servers = await Promise.all(ports.map((p) => launchNode(p, redis?.url)));
  const workers = Array.from({ length: WORKERS }, startWorker);
  try {
    // Pairs stay within one worker; with two nodes a pair's members sit on A and B.
    const shares: MemberSpec[][] = workers.map(() => []);
    for (let k = 0; k < CLIENTS; k++) {
      const node = k % nodes;
      shares[(k >> 1) % WORKERS]!.push({
        name: `r${k}`,
        partner: `r${k ^ 1}`,
        room: `pair${k >> 1}`,
        url: `ws://127.0.0.1:${ports[node]}/ws`,
        restarted: node === 0,
      });
    }
    log(`${nodes} node(s): logging in ${CLIENTS} clients over ${WORKERS} processes…`);
    const t0 = now();
    for (const [i, w] of workers.entries())
      w.child.send({ cmd: 'start', members: shares[i], intervalMs: INTERVAL_MS });
    await Promise.all(workers.map((w) => w.next('ready')));
    log(`  all pairs relaying after ${round((now() - t0) / 1000)} s`);

    const normalFrom = now();
    await sleep(NORMAL_MS);
    const normalTo = now();
    const restartedCount = CLIENTS / nodes;
    const restartAt = now();
    log('  restarting node A (SIGTERM, drain, start again on the same port)…');
    await servers[0]!.stop();
    const downAt = now();
    servers[0] = await launchNode(ports[0]!, redis?.url, true);
    const upAt = now();
    const cpuNewA = processCpuMs(servers[0]!.pid);
    let back = 0;
    let lastProgress = now();
    while (back < restartedCount) {
      if (now() - restartAt > TIMEOUT_MS)
        throw new Error(`only ${back} of ${restartedCount} back within ${TIMEOUT_MS} ms`);
      await sleep(250);
      const statuses = await Promise.all(
        workers.map((w) => {
          const p = w.next('status');
          w.child.send({ cmd: 'status' });
          return p;
        }),
      );
      back = statuses.reduce((s, st) => s + (st.back as number), 0);
      if (now() - lastProgress > 5000) {
        lastProgress = now();
        const states = sumCounts(statuses.map((st) => st.states as Record<string, number>));
        log(`    ${round((now() - restartAt) / 1000)} s: ${back} back; ${JSON.stringify(states)}`);
      }
    }
    const allBackAt = now();
    const stormCpuMs = processCpuMs(servers[0]!.pid) - cpuNewA;
    const newNode = await nodeCounts(ports[0]!);
    // Relay a little longer, so losses after the storm would show.
    await sleep(2 * INTERVAL_MS + 500);
    const reports = await Promise.all(
      workers.map((w) => {
        const p = w.next('report');
        w.child.send({
          cmd: 'report',
          windows: {
            normal: [normalFrom, normalTo],
            storm: [restartAt, allBackAt],
            after: [allBackAt, now()],
          },
        });
        return p;
      }),
    );
    const backMs = reports
      .flatMap((r) => r.backAt as Array<number | null>)
      .filter((x): x is number => x !== null)
      .map((t) => t - restartAt)
      .sort((a, b) => a - b);
    const lat = (key: string) =>
      percentiles(reports.flatMap((r) => (r.latencies as Record<string, number[]>)[key] ?? []));
    const result = {
      nodes,
      clients: CLIENTS,
      restarted: restartedCount,
      drainS: round((downAt - restartAt) / 1000),
      startS: round((upAt - downAt) / 1000),
      backFirstS: round(backMs[0]! / 1000),
      backMedianS: round(backMs[Math.floor(backMs.length / 2)]! / 1000),
      backAllS: round((allBackAt - restartAt) / 1000),
      relayNormalMs: lat('normal'),
      relayStormMs: lat('storm'),
      relayAfterMs: lat('after'),
      lostBetweenPairsBack: reports.reduce((s, r) => s + (r.lost as number), 0),
      deliveredFromBeforeThePairWasBack: reports.reduce((s, r) => s + (r.early as number), 0),
      reconnects: sumCounts(reports.map((r) => r.resumes as Record<string, number>)),
      errorFrames: sumCounts(reports.map((r) => r.errors as Record<string, number>)),
      newNodeCpuUntilAllBackS: round(stormCpuMs / 1000),
      newNodeCpuPerClientBackMs: round(stormCpuMs / restartedCount),
      newNode,
    };
    log(`  ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const w of workers) w.child.send({ cmd: 'close' });
    await Promise.all(workers.map((w) => once(w.child, 'exit')));
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  }
}

async function main(): Promise<void> {
  const rows = [];
  for (const nodes of NODES) rows.push(await run(nodes));
  process.stdout.write(
    `${JSON.stringify({ bench: 'restart', date: new Date().toISOString(), machine: machineInfo(), clients: CLIENTS, workers: WORKERS, intervalMs: INTERVAL_MS, rows }, null, 2)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    killChildren();
    process.exit(1);
  },
);
