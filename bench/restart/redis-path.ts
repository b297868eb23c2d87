/**
 * What the Redis path costs a node's CPU per relayed frame and per resume step, with the command
 * connection's auto-pipelining off and on, in one run (issue 27). A profile of a node taking back
 * a crowd under relay load (`npm run bench:restart -- --cpu-prof DIR`) showed the directory's
 * scripts and their socket writes as the largest share of its CPU: one write per command.
 *
 *   npx tsx bench/restart/redis-path.ts [--frames 20000] [--batch 200] [--rounds 3]
 *
 * One real redis-server; in this process a `RedisDirectory` per mode. Measured with
 * `process.cpuUsage` (this process only, so other load on the machine moves it little):
 * `deliver` of `--frames` frames to names held by another node (what every relayed frame
 * costs), issued `--batch` at a time as a busy node does; and the resume's Redis steps for as many
 * sessions (claim a name, share the token, rotate it, end it). Modes alternate over `--rounds`.
 * Prints one JSON document on stdout.
 */
import { parseArgs } from 'node:util';
import { connectRedisDirectory } from '@parley/server';
import { machineInfo } from '../signaling/proc.ts';
import { startBenchRedis } from './redis-process.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
  },
});
const FRAMES = Number(values.frames);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const SESSIONS = 1000;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Runs `op(i)` for i < n, `BATCH` at a time; returns CPU µs per op. */
async function perOp(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = cpuUs();
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => op(i + j)));
  }
  return (cpuUs() - t0) / n;
}

async function measure(url: string, pipelining: boolean, round: number) {
  const dir = await connectRedisDirectory({
    url,
    prefix: `rp${round}${pipelining ? 'on' : 'off'}:`,
    redis: { enableAutoPipelining: pipelining },
  });
  try {
    await dir.attachNode('this-node', { deliver: () => true, presence: () => {} });
    // Names held by another node: each deliver routes and PUBLISHes to that node's channel.
    await perOp(SESSIONS, (i) => dir.claimName(`u${i}`, 'other-node'));
    const frame = JSON.stringify({ type: 'room.message', room: 'pair1', from: 'u1', data: { seq: 1, t: 0 } });
    const deliverUs = await perOp(FRAMES, (i) => dir.deliver(`u${i % SESSIONS}`, frame));
    const membersUs = await perOp(FRAMES, (i) => dir.members(`pair${i % SESSIONS}`));
    // A login's and a resume's own steps: claim, share the token, rotate it, end.
    const sessionUs = await perOp(SESSIONS, async (i) => {
      await dir.claimName(`s${i}`, 'this-node');
      await dir.started(`tok${i}`, `s${i}`);
      await dir.rotated(`tok${i}`, `tok${i}b`, `s${i}`);
      await dir.ended(`tok${i}b`);
    });
    return { deliverUs, membersUs, sessionUs };
  } finally {
    await dir.close();
  }
}

async function main(): Promise<void> {
  const redis = await startBenchRedis();
  const rows: Record<'off' | 'on', Array<Record<string, number>>> = { off: [], on: [] };
  try {
    for (let r = 0; r < ROUNDS; r++)
      for (const on of [false, true]) rows[on ? 'on' : 'off'].push(await measure(redis.url, on, r));
  } finally {
    await redis.stop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = (mode: 'off' | 'on') => ({
    deliverUs: Math.round(median(rows[mode].map((r) => r.deliverUs!))),
    membersUs: Math.round(median(rows[mode].map((r) => r.membersUs!))),
    sessionUs: Math.round(median(rows[mode].map((r) => r.sessionUs!))),
  });
  const off = summary('off');
  const on = summary('on');
  const ratio = (k: keyof typeof off) => Math.round((on[k] / off[k]) * 100) / 100;
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'redis-path',
        date: new Date().toISOString(),
        machine: machineInfo(),
        frames: FRAMES,
        batch: BATCH,
        rounds: ROUNDS,
        cpuPerOpUs: { autoPipeliningOff: off, autoPipeliningOn: on },
        ratioOnToOff: {
          deliver: ratio('deliverUs'),
          members: ratio('membersUs'),
          session: ratio('sessionUs'),
        },
        raw: rows,
      },
      null,
      2,
    )}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
