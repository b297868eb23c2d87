/**
 * Reaping and failover benchmark of the Redis directory (issue 26), printing one JSON document on
 * stdout (progress on stderr). Two `RedisDirectory` instances in this process stand for two
 * nodes on one redis-server; sessions are claimed, started and parked through the directory's own
 * API (what a node does when a socket drops), so the figures are those of the Redis path: the
 * park and reap scripts, the reaper's ticks on both "nodes", presence going offline.
 *
 *   npx tsx bench/signaling/churn.ts [--quick] [--out FILE]
 *   (also run by `npm run bench:signaling -- --scale-out`, under scaleOut.churn)
 *
 * - `drain`: N sessions parked, then all made due at once (a backlog); how long until every name
 *   is free → sessions reaped per second by the two nodes together.
 * - `steady`: sessions parked at a steady rate for a while (grace 1 s); for each, the time from
 *   its grace end (park time + grace, this machine's clock) to its name going offline (the
 *   presence event) → p50/p99/max, per rate.
 * - `failover`: a primary, a replica and three sentinels (test/helpers/redis-sentinel.ts); the
 *   primary is SIGKILLed; time until a frame routed from one "node" to the other arrives again.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectRedisDirectory, type RedisDirectory } from '@parley/server';
import { Redis } from 'ioredis';
import { startRedis } from '../../test/helpers/redis.ts';
import { startSentinel } from '../../test/helpers/redis-sentinel.ts';
import { machineInfo } from './proc.ts';

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Node {
  dir: RedisDirectory;
  id: string;
  offline: Map<string, number>;
  got: string[];
}

async function node(url: string, prefix: string, id: string, offline: Map<string, number>): Promise<Node> {
  const dir = await connectRedisDirectory({ url, prefix, nodeTtlMs: 3000 });
  const n: Node = { dir, id, offline, got: [] };
  await dir.attachNode(id, {
    deliver: (_name, frame) => {
      n.got.push(frame);
      return true;
    },
    presence: (name, online) => {
      if (!online && !offline.has(name)) offline.set(name, performance.now());
    },
  });
  return n;
}

/** Claims, starts and parks `name` on `n`; resolves with when its grace ends (performance clock). */
async function park(n: Node, name: string, graceMs: number): Promise<number> {
  if (!(await n.dir.claimName(name, n.id))) throw new Error(`claim ${name}`);
  const token = randomUUID();
  await n.dir.started(token, name);
  const t = performance.now();
  if (!(await n.dir.park({ name, token, authContext: null }, graceMs, () => [])))
    throw new Error(`park ${name}`);
  return t + graceMs;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

async function drain(url: string, count: number) {
  const offline = new Map<string, number>();
  const prefix = `bd${randomUUID().slice(0, 6)}:`;
  const nodes = [await node(url, prefix, 'd1', offline), await node(url, prefix, 'd2', offline)];
  // Park everything with a long grace, then make every deadline "now" at once (what a reaper
  // outage or a burst of drops leaves behind): the figure is the two reapers' drain rate.
  const names = Array.from({ length: count }, (_, i) => `dr${i}`);
  for (let i = 0; i < names.length; i += 200)
    await Promise.all(names.slice(i, i + 200).map((nm, j) => park(nodes[(i + j) % 2]!, nm, 600_000)));
  const admin = new Redis(url);
  const members = await admin.zrange(`${prefix}parked`, 0, -1);
  const [sec] = await admin.time();
  const m = admin.multi();
  for (const member of members) m.zadd(`${prefix}parked`, 'XX', Number(sec) * 1000, member);
  await m.exec();
  const dueAt = performance.now();
  admin.disconnect();
  while (offline.size < count) await sleep(5);
  const spanMs = Math.max(...offline.values()) - dueAt;
  for (const n of nodes) await n.dir.close();
  return {
    sessions: count,
    dueToAllFreeMs: Math.round(spanMs),
    reapedPerSecond: Math.round(count / (spanMs / 1000)),
  };
}

async function steady(url: string, ratePerS: number, seconds: number) {
  const offline = new Map<string, number>();
  const prefix = `bs${randomUUID().slice(0, 6)}:`;
  const nodes = [await node(url, prefix, 's1', offline), await node(url, prefix, 's2', offline)];
  const graceMs = 1000;
  const ends = new Map<string, number>();
  const t0 = performance.now();
  let i = 0;
  // A park fails when this one process (load and both "nodes") is too busy to see its own bus
  // marker within 2 s: counted, and the rate is then past what the load generator can drive.
  let failed = 0;
  const pending: Promise<void>[] = [];
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * ratePerS);
    for (; i < due; i++) {
      const name = `st${i}`;
      pending.push(
        park(nodes[i % 2]!, name, graceMs).then(
          (end) => void ends.set(name, end),
          () => void failed++,
        ),
      );
    }
    await sleep(5);
  }
  await Promise.all(pending);
  const wall = (performance.now() - t0) / 1000;
  const deadline = performance.now() + 30_000;
  while (offline.size < ends.size && performance.now() < deadline) await sleep(10);
  const lags = [...ends].map(([name, end]) => (offline.get(name) ?? Number.POSITIVE_INFINITY) - end);
  for (const n of nodes) await n.dir.close();
  return {
    targetRatePerS: ratePerS,
    achievedParkRatePerS: Math.round(ends.size / wall),
    sessions: ends.size,
    parkFailed: failed,
    notFreed: lags.filter((l) => !Number.isFinite(l)).length,
    graceEndToNameFreeMs: { p50: pct(lags, 50), p99: pct(lags, 99), max: pct(lags, 100) },
  };
}

async function failover() {
  const sentinel = await startSentinel();
  try {
    const offline = new Map<string, number>();
    const a = await node(sentinel.url, 'bf:', 'f1', offline);
    const b = await node(sentinel.url, 'bf:', 'f2', offline);
    await a.dir.claimName('fa', 'f1');
    await b.dir.claimName('fb', 'f2');
    await sleep(500);
    const killedAt = performance.now();
    await sentinel.killPrimary();
    let k = 0;
    while (b.got.length === 0 && performance.now() - killedAt < 30_000) {
      await a.dir.deliver('fb', `x${k++}`).catch(() => false);
      await sleep(20);
    }
    const ms = Math.round(performance.now() - killedAt);
    for (const n of [a, b]) await n.dir.close();
    return {
      sentinel: 'down-after-milliseconds 1000, failover-timeout 4000, quorum 2 of 3',
      primaryKillToFirstRelayedFrameMs: b.got.length > 0 ? ms : null,
    };
  } finally {
    await sentinel.stop();
  }
}

async function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
  });
  const quick = values.quick;
  const started = new Date();
  const redis = await startRedis();
  try {
    log('churn: drain…');
    const drainReport = await drain(redis.url, quick ? 5000 : 20000);
    log(`  ${JSON.stringify(drainReport)}`);
    const steadyReports = [];
    for (const rate of quick ? [200, 1000] : [200, 1000, 2000]) {
      log(`churn: steady ${rate}/s…`);
      const r = await steady(redis.url, rate, quick ? 5 : 15);
      log(`  ${JSON.stringify(r)}`);
      steadyReports.push(r);
    }
    log('churn: sentinel failover…');
    const failoverReport = await failover();
    log(`  ${JSON.stringify(failoverReport)}`);
    const report = {
      benchmark: 'parley-redis-churn',
      startedAt: started.toISOString(),
      machine: machineInfo(),
      method: {
        nodes:
          'two RedisDirectory instances in one process, one redis-server (7.x), reaper tick 250 ms, batch 200',
        quick,
      },
      drain: drainReport,
      steady: steadyReports,
      failover: failoverReport,
    };
    const json = `${JSON.stringify(report, null, 2)}\n`;
    process.stdout.write(json);
    if (values.out) writeFileSync(values.out, json);
  } finally {
    await redis.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`churn benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
