// @needs redis-server
/**
 * Churn across two node processes sharing one redis-server, with dropped sockets: workers live
 * whole lives (hello on both nodes, a room, 20 signals, a call, then bye — or, one life in four,
 * a dropped socket). The reaper must keep up while the load runs (a name whose grace ended more
 * than the allowance ago is free already), and once the load stops and the last grace has
 * ended, nothing of a gone session is left in Redis (the whole keyspace is scanned: only the
 * nodes' heartbeats remain) and every dropped name can log in again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, stopAllRedis } from '../../../helpers/redis.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

const GRACE_S = 3;
const LOAD_MS = 15_000;
const WORKERS = 12;
/**
 * How long after its grace ends a name may still be taken: the reaper ticks every 250 ms on each
 * node; the rest is the scheduler of a shared 2-core machine running the load, two nodes and Redis.
 */
const ALLOWANCE_MS = 2000;

/** Every key in Redis (SCAN, never KEYS). */
async function allKeys(admin: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

async function bye(c: TestClient): Promise<void> {
  c.send({ type: 'bye' });
  await c.close();
}

describe('Redis cluster › churn with dropped sockets', () => {
  after(async () => {
    await closeAllClients().catch(() => {});
    await stopAllNodes();
    await stopAllRedis();
  });

  it('Churn › parked sessions are reaped on time during the load, and afterwards nothing of a gone session is left in Redis', async () => {
    const redis = await startRedis();
    const env = {
      PARLEY_GRACE_S: String(GRACE_S),
      PARLEY_MAX_SOCKETS_PER_IP: '10000',
      PARLEY_MAX_CONNS_PER_IP: '10000',
      PARLEY_HELLO_RATE_PER_S: '100000',
      PARLEY_HELLO_BURST: '100000',
    };
    const nodes: ParleyNode[] = await Promise.all([
      startNode('ch-1', redis.url, env),
      startNode('ch-2', redis.url, env),
    ]);
    const admin = new Redis(redis.url);
    try {
      /** Names whose socket was dropped, with when. */
      const dropped: { name: string; at: number }[] = [];
      let lives = 0;
      let signals = 0;
      const stopAt = Date.now() + LOAD_MS;
      const worker = async (w: number) => {
        for (let k = 0; Date.now() < stopAt; k++) {
          const [na, nb] = w % 2 === 0 ? [nodes[0]!, nodes[1]!] : [nodes[1]!, nodes[0]!];
          const an = `ch${w}-${k}-a`;
          const bn = `ch${w}-${k}-b`;
          const a = await connectClient(na.wsUrl);
          const b = await connectClient(nb.wsUrl);
          await a.hello(an);
          await b.hello(bn);
          const room = `churn-${w}-${k}`;
          for (const c of [a, b]) {
            c.send({ type: 'room.join', room });
            await c.next('room.joined');
          }
          for (let i = 0; i < 20; i++) a.send({ type: 'signal', to: bn, data: `s${i}` });
          for (let i = 0; i < 20; i++) assert.equal((await b.next('signal')).data, `s${i}`);
          signals += 20;
          a.send({ type: 'call.invite', to: bn });
          const { call } = await a.next('call.ringing');
          await b.next('call.incoming');
          b.send({ type: 'call.accept', call });
          await a.next('call.accepted');
          // One life in four ends with a's socket dropped (one in eight: both), the rest with bye.
          if (k % 4 === 3) {
            a.ws.terminate();
            dropped.push({ name: an, at: Date.now() });
            if (k % 8 === 7) {
              b.ws.terminate();
              dropped.push({ name: bn, at: Date.now() });
            } else await bye(b);
          } else {
            await bye(a);
            await bye(b);
          }
          lives++;
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      const loadEnd = Date.now();

      // Keeping up: every name whose grace ended more than the allowance ago is free already.
      const due = dropped.filter((d) => d.at + GRACE_S * 1000 + ALLOWANCE_MS < loadEnd);
      const stillTaken = [];
      for (const d of due) if ((await admin.exists(`parley:name:${d.name}`)) === 1) stillTaken.push(d.name);
      assert.deepEqual(
        stillTaken,
        [],
        `${stillTaken.length} of ${due.length} names still taken past their grace`,
      );

      // After the last grace: only the two nodes' heartbeats (and the node set) remain.
      const lastDrop = Math.max(...dropped.map((d) => d.at));
      const expected = ['parley:node:ch-1', 'parley:node:ch-2', 'parley:nodes'];
      let keys: string[] = [];
      await until(
        async () => {
          keys = await allKeys(admin);
          return keys.join() === expected.join();
        },
        {
          timeoutMs: Math.max(0, lastDrop + GRACE_S * 1000 + ALLOWANCE_MS - Date.now()) + 3000,
          what: 'redis keyspace clean',
        },
      ).catch(() => {
        assert.deepEqual(keys.slice(0, 20), expected, `${keys.length} keys left`);
      });
      const cleanAfterMs = Date.now() - (lastDrop + GRACE_S * 1000);
      assert.ok(cleanAfterMs <= ALLOWANCE_MS + 3000, `clean ${cleanAfterMs} ms after the last grace ended`);
      for (const n of nodes) assert.equal((await n.health()).sessions, 0);

      // Every dropped name logs in again, on either node.
      for (const [i, d] of dropped.entries()) {
        const c = await connectClient(nodes[i % 2]!.wsUrl);
        await c.hello(d.name);
        await bye(c);
      }
      console.log(
        `# churn: ${lives} lives, ${signals} signals, ${dropped.length} dropped sockets in ${LOAD_MS} ms; ` +
          `${due.length} due during the load all free; keyspace clean ${cleanAfterMs} ms after the last grace`,
      );
      assert.ok(dropped.length >= 20, `enough dropped sockets (${dropped.length})`);
    } finally {
      admin.disconnect();
    }
  });
});
