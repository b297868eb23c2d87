// @needs redis-server
/**
 * A callee whose client was away while it was rung, and comes back on *another* node (its parked
 * session resumed there), rings on for the time left: the ring is timed by the node that rang, the
 * time left comes from the call record in Redis. Answering there makes a real call that the first
 * node's ring timer does not end; a callee back after the ring time is not rung again. And the
 * plain case under it all: a call rung from node 1 and answered on node 2 outlives the ring time
 * (node 1's ring timer used to end it as `no_answer`).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

const RING_S = 3;

describe('Redis cluster: ringing a callee that resumes on another node', () => {
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

  /** Alice and Bob on node 1; Bob's socket drops (parked in Redis); Alice calls him. */
  async function ringWhileAway(ringS: number): Promise<{
    n2: ParleyNode;
    a: TestClient;
    bobToken: string;
    call: string;
  }> {
    const env = { PARLEY_GRACE_S: '8', PARLEY_RING_TIMEOUT_S: String(ringS) };
    const [n1, n2] = await Promise.all([
      startNode('node-1', redis.url, env),
      startNode('node-2', redis.url, env),
    ]);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n1.wsUrl);
    await a.hello('rx-alice');
    const wb = await b.hello('rx-bob');
    b.ws.terminate();
    await b.closed;
    const parked = async () => (await r.zrange('parley:parked', 0, -1)).some((m) => m.endsWith('\nrx-bob'));
    for (let i = 0; i < 100 && !(await parked()); i++) await new Promise((res) => setTimeout(res, 50));
    assert.ok(await parked(), 'bob parked in Redis');
    a.send({ type: 'call.invite', id: 1, to: 'rx-bob' });
    // (`reach` says `reaching` only when the callee's session is detached on the ringing node
    // itself; a parked one is not looked up in Redis for that hint.)
    const ringing = await a.next('call.ringing');
    return { n2, a, bobToken: wb.session as string, call: ringing.call };
  }

  it('Ring › back on node 2 within the ring time: rings with the time left, the caller hears ringing, answering makes a call the ring timer leaves alone', async () => {
    const { n2, a, bobToken, call } = await ringWhileAway(RING_S);
    await new Promise((res) => setTimeout(res, 500));
    const b2 = await connectClient(n2.wsUrl);
    b2.send({ type: 'hello', id: 1, versions: ['1'], name: 'rx-bob', resume: bobToken });
    assert.equal((await b2.next('welcome')).resumed, true);
    const queued = await b2.next('call.incoming');
    assert.equal(queued.call, call);
    const fresh = await b2.next('call.incoming');
    assert.equal(fresh.call, call);
    assert.ok(
      fresh.ringMs !== undefined && fresh.ringMs > 500 && fresh.ringMs < RING_S * 1000 - 300,
      `time left ${fresh.ringMs}`,
    );
    assert.deepEqual(await a.next('call.ringing'), {
      type: 'call.ringing',
      call,
      to: 'rx-bob',
      reach: 'ringing',
    });
    b2.send({ type: 'call.accept', id: 2, call });
    assert.equal((await a.next('call.accepted')).peer, 'rx-bob');
    // Past the ring time node 1's timer has fired: the answered call goes on.
    await new Promise((res) => setTimeout(res, RING_S * 1000));
    a.send({ type: 'ping', id: 'sync' });
    await a.next('pong');
    assert.equal(a.frames.filter((f) => f.type === 'call.ended').length, 0, 'not ended by the ring timer');
    assert.equal(await r.hget(`parley:call:${call}`, 'state'), 'active');
    // And it is a call both can use: a signal crosses the nodes.
    a.send({ type: 'signal', to: 'rx-bob', data: { kind: 'probe' } });
    assert.deepEqual((await b2.next('signal')).data, { kind: 'probe' });
  });

  it('Ring › back on node 2 after the ring time: the queued ring and its end, no new ring', async () => {
    const { n2, a, bobToken, call } = await ringWhileAway(0.5);
    assert.equal((await a.next('call.ended')).reason, 'no_answer');
    const b2 = await connectClient(n2.wsUrl);
    b2.send({ type: 'hello', id: 1, versions: ['1'], name: 'rx-bob', resume: bobToken });
    await b2.next('welcome');
    assert.equal((await b2.next('call.incoming')).call, call);
    assert.equal((await b2.next('call.ended')).reason, 'no_answer');
    b2.send({ type: 'ping', id: 'sync' });
    await b2.next('pong');
    assert.equal(b2.frames.filter((f) => f.type === 'call.incoming').length, 0, 'not rung again');
  });

  it('Ring › a call answered on another node than the one that rang is not ended by its ring timer', async () => {
    const env = { PARLEY_RING_TIMEOUT_S: '1' };
    const [n1, n2] = await Promise.all([
      startNode('node-1', redis.url, env),
      startNode('node-2', redis.url, env),
    ]);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('rx-carol');
    await b.hello('rx-dave');
    a.send({ type: 'call.invite', id: 1, to: 'rx-dave' });
    const { call } = await a.next('call.ringing');
    assert.equal((await b.next('call.incoming')).call, call);
    b.send({ type: 'call.accept', id: 2, call });
    assert.equal((await a.next('call.accepted')).peer, 'rx-dave');
    await new Promise((res) => setTimeout(res, 1_800));
    for (const c of [a, b]) {
      c.send({ type: 'ping', id: 'sync' });
      await c.next('pong');
      assert.equal(c.frames.filter((f) => f.type === 'call.ended').length, 0, 'the call goes on');
    }
    assert.equal(await r.hget(`parley:call:${call}`, 'state'), 'active');
  });
});
