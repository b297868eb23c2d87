// @needs redis-server
/**
 * Missed calls across a Redis cluster (issue 19): a call that rang on one node and ended
 * unanswered is told (`call.missed`) exactly once to the callee wherever it next logs in, survives
 * a restart of the node that rang, and a flood of calls to one name keeps at most 10.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

const FAST = { PARLEY_GRACE_S: '0.8', PARLEY_RING_TIMEOUT_S: '0.4' };

/** Logs `name` in on `node` once its previous session (in grace) has let the name go. */
async function loginWhenFree(node: ParleyNode, name: string): Promise<TestClient> {
  let client: TestClient | undefined;
  await until(
    async () => {
      const c = await connectClient(node.wsUrl);
      try {
        await c.hello(name);
        client = c;
        return true;
      } catch {
        await c.close();
        return false;
      }
    },
    { what: `${name} to be free`, timeoutMs: 10_000, intervalMs: 100 },
  );
  return client as TestClient;
}

/** No `call.missed` reached `c` by a ping's round trip after it was told (or not) once. */
async function noMoreMissed(c: TestClient): Promise<void> {
  c.send({ type: 'ping', id: 'sync' });
  await c.next('pong');
  assert.equal(c.frames.filter((f) => f.type === 'call.missed').length, 0);
}

describe('Redis cluster: missed calls', () => {
  let redis: TestRedis;
  let r: Redis;
  before(async () => {
    redis = await startRedis();
    r = new Redis(redis.url);
  });
  afterEach(async () => {
    await closeAllClients();
    await stopAllNodes();
    await r.flushall();
  });
  after(async () => {
    r.disconnect();
    await redis.stop();
  });

  it('Missed › rung on node 1 while the callee is in grace there, told once at its login on node 2', async () => {
    const n1 = await startNode('node-1', redis.url, FAST);
    const n2 = await startNode('node-2', redis.url, FAST);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n1.wsUrl);
    await a.hello('mx-alice');
    await b.hello('mx-bob');
    b.ws.terminate();
    await b.closed;
    a.send({ type: 'call.invite', id: 1, to: 'mx-bob' });
    const { call } = await a.next('call.ringing');
    assert.equal((await a.next('call.ended')).reason, 'no_answer');

    const b2 = await loginWhenFree(n2, 'mx-bob');
    const missed = await b2.next('call.missed');
    assert.deepEqual(
      missed.calls.map((c) => ({ ...c, at: 0 })),
      [{ call, from: 'mx-alice', at: 0, reason: 'no_answer' }],
    );
    assert.equal(await r.exists('parley:missed:mx-bob'), 0, 'taken, not copied');
    await noMoreMissed(b2);
    // Told once: a later login on either node hears nothing more.
    b2.send({ type: 'bye' });
    await b2.closed;
    for (const node of [n1, n2]) {
      const again = await loginWhenFree(node, 'mx-bob');
      await noMoreMissed(again);
      again.send({ type: 'bye' });
      await again.closed;
    }
  });

  it('Missed › a restart of the node that rang does not lose the missed call', async () => {
    const n1 = await startNode('node-1', redis.url, FAST);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n1.wsUrl);
    await a.hello('mr-alice');
    await b.hello('mr-bob');
    b.ws.terminate();
    await b.closed;
    a.send({ type: 'call.invite', id: 1, to: 'mr-bob' });
    const { call } = await a.next('call.ringing');
    assert.equal((await a.next('call.ended')).reason, 'no_answer');
    const port = n1.port;
    await n1.stop();
    const n1b = await startNode('node-1b', redis.url, { ...FAST, PARLEY_PORT: String(port) });
    const b2 = await loginWhenFree(n1b, 'mr-bob');
    const missed = await b2.next('call.missed');
    assert.deepEqual(
      missed.calls.map((c) => c.call),
      [call],
    );
  });

  it('Missed › 50 calls to one name keep the newest 10 in one bounded list', async () => {
    const n1 = await startNode('node-1', redis.url, { ...FAST, PARLEY_INVITES_PER_PEER_PER_MIN: '1000' });
    const n2 = await startNode('node-2', redis.url, FAST);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('mb-alice');
    await b.hello('mb-bob');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      a.send({ type: 'call.invite', id: `i${i}`, to: 'mb-bob' });
      const { call } = await a.next('call.ringing');
      a.send({ type: 'call.cancel', id: `c${i}`, call });
      await a.next('call.ended');
      ids.push(call);
      const len = await r.llen('parley:missed:mb-bob');
      assert.ok(len <= 10, `list length ${len} after ${i + 1} calls`);
    }
    assert.equal(await r.llen('parley:missed:mb-bob'), 10);
    const ttl = await r.pttl('parley:missed:mb-bob');
    assert.ok(ttl > 0 && ttl <= 3_600_000, `expires within 1 h (pttl ${ttl})`);
    b.send({ type: 'bye' });
    await b.closed;
    const b2 = await loginWhenFree(n2, 'mb-bob');
    const missed = await b2.next('call.missed');
    assert.deepEqual(
      missed.calls.map((c) => c.call),
      ids.slice(-10),
      'the newest 10, oldest first',
    );
    assert.ok(missed.calls.every((c) => c.reason === 'cancelled' && c.from === 'mb-alice'));
  });

  it('Missed › entries in Redis that are not missed calls (damaged, foreign) are skipped, never sent', async () => {
    const n1 = await startNode('node-1', redis.url, FAST);
    const good = { call: 'g1', from: 'mg-alice', at: Date.now(), reason: 'no_answer' };
    await r.lpush(
      'parley:missed:mg-bob',
      JSON.stringify(good),
      'not json',
      'null',
      JSON.stringify({ ...good, call: 'bad-reason', reason: 'declined' }),
      JSON.stringify({ ...good, call: 'bad-at', at: 'soon' }),
    );
    const b = await loginWhenFree(n1, 'mg-bob');
    const missed = await b.next('call.missed');
    assert.deepEqual(missed.calls, [good]);
    assert.equal(b.offSchema.length, 0);
  });
});
