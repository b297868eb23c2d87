// @needs redis-server
/**
 * Issue 15, findings 5 and 7 across two Parley nodes on one real Redis: the resume token rotates
 * when a session moves between nodes, the old token takes nothing on either node, and a session
 * parked in Redis is held to the same byte budget as a local one.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

const MiB = 1024 * 1024;

async function member(node: ParleyNode, name: string, room: string): Promise<[TestClient, string]> {
  const c = await connectClient(node.wsUrl);
  const w = await c.hello(name);
  c.send({ type: 'room.join', room });
  await c.next('room.joined');
  return [c, w.session];
}

async function sync(c: TestClient): Promise<void> {
  c.send({ type: 'ping', id: 'sync' });
  await c.next('pong', { timeoutMs: 20_000 });
}

/** Drops `c` and waits until `node` has parked its session in Redis. */
async function parkOn(node: ParleyNode, c: TestClient, sessions: number): Promise<void> {
  c.ws.terminate();
  await c.closed;
  await until(async () => (await node.health()).sessions === sessions, { what: 'the session is parked' });
}

describe('Redis › resume token rotation and parked byte budgets', () => {
  let redis: TestRedis;
  let n1: ParleyNode;
  let n2: ParleyNode;
  before(async () => {
    redis = await startRedis();
    [n1, n2] = await Promise.all([
      startNode('rot-1', redis.url, { PARLEY_QUEUE_MAX_BYTES: String(MiB) }),
      startNode('rot-2', redis.url, { PARLEY_QUEUE_MAX_BYTES: String(MiB) }),
    ]);
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllNodes();
    await redis.stop();
  });

  it('Cluster › the token rotates on a resume on another node; the old one takes nothing anywhere', async () => {
    const [a, t1] = await member(n1, 'rr-a', 'rr');
    const [b] = await member(n2, 'rr-b', 'rr');
    await a.next('peer.joined');
    await parkOn(n1, a, 0);
    b.send({ type: 'room.message', room: 'rr', data: 'while parked' });
    await sync(b);
    const a2 = await connectClient(n2.wsUrl);
    const w2 = await a2.hello('rr-a', { resume: t1 });
    assert.equal(w2.resumed, true);
    assert.notEqual(w2.session, t1);
    assert.equal((await a2.next('room.message')).data, 'while parked');
    // Replays of the old token, on either node: refused, and a2 keeps the session.
    for (const node of [n1, n2]) {
      const thief = await connectClient(node.wsUrl);
      thief.send({ type: 'hello', versions: ['1'], name: 'rr-a', resume: t1 });
      assert.equal((await thief.next('error', { timeoutMs: 6000 })).code, 'NAME_TAKEN');
    }
    b.send({ type: 'room.message', room: 'rr', data: 'still a2' });
    assert.equal((await a2.next('room.message')).data, 'still a2');
    assert.equal(a2.frames.filter((f) => f.type === 'error').length, 0);
    // The new token moves it back to node 1 (a2's socket still open: replaced), rotating again.
    const a3 = await connectClient(n1.wsUrl);
    const w3 = await a3.hello('rr-a', { resume: w2.session });
    assert.equal(w3.resumed, true);
    assert.notEqual(w3.session, w2.session);
    assert.equal((await a2.next('error', { timeoutMs: 6000 })).code, 'SESSION_REPLACED');
    // And the token of the second welcome is dead in turn.
    const thief = await connectClient(n2.wsUrl);
    thief.send({ type: 'hello', versions: ['1'], name: 'rr-a', resume: w2.session });
    assert.equal((await thief.next('error', { timeoutMs: 6000 })).code, 'NAME_TAKEN');
    assert.equal(b.frames.filter((f) => f.type === 'peer.left').length, 0);
    for (const n of [n1, n2]) assert.equal(n.logs.filter((l) => (l.level as number) >= 40).length, 0, n.id);
  });

  it('Cluster › a session parked in Redis keeps the newest frames within its byte budget', async () => {
    const [a, t1] = await member(n1, 'rb-a', 'rb');
    const [b] = await member(n2, 'rb-b', 'rb');
    await a.next('peer.joined');
    await parkOn(n1, a, 0);
    // 60 frames of ~60 KB (~3.4 MiB) against a 1 MiB budget: the newest ~17 are kept.
    const chunk = 'p'.repeat(60_000);
    for (let i = 0; i < 60; i++) b.send({ type: 'signal', to: 'rb-a', data: `${i}:${chunk}` });
    await sync(b);
    const queuedBytes = Number(await redisHashField(redis, t1, 'qb'));
    assert.ok(queuedBytes <= MiB, `parked ${queuedBytes} bytes`);
    assert.ok(queuedBytes > MiB - 70_000, `parked ${queuedBytes} bytes`);
    const metrics = await (await fetch(`${n2.url}/metrics`)).text();
    assert.match(metrics, /parley_queue_dropped_total\{reason="parked"\} [1-9]/);
    const a2 = await connectClient(n2.wsUrl);
    await a2.hello('rb-a', { resume: t1 });
    const got: number[] = [];
    for (;;) {
      const m = await a2.next('signal', { timeoutMs: 5000 });
      got.push(Number(String(m.data).split(':')[0]));
      if (got.at(-1) === 59) break;
    }
    // 1 MiB holds 17 frames of ~60 KB.
    assert.ok(got.length >= 16 && got.length <= 17, `${got.length} frames`);
    assert.deepEqual(
      got,
      got.map((_, k) => 60 - got.length + k),
    );
  });
});

/** A field of the parked session hash of `token` (key layout: directory/redis-scripts.ts). */
async function redisHashField(redis: TestRedis, token: string, field: string): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url);
  try {
    return await client.hget(`parley:sess:${token}`, field);
  } finally {
    client.disconnect();
  }
}
