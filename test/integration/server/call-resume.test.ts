// @needs redis-server
/**
 * A call outlives a server restart: the new server knows nothing, so it learns the call again
 * from BOTH parties (`call.resume`), never from one alone, and only then relays their signals.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { connectCall } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

/** a and b in a call on a server that then goes away; both log in again on a fresh server. */
async function restartedCall(
  tag: string,
): Promise<{ a: TestClient; b: TestClient; call: string; server: ParleyServer }> {
  const first = await startServer();
  const a0 = await connectClient(first.wsUrl);
  const b0 = await connectClient(first.wsUrl);
  await a0.hello(`${tag}-a`);
  await b0.hello(`${tag}-b`);
  const call = await connectCall(a0, b0, `${tag}-b`);
  await first.close();
  const server = await startServer();
  const a = await connectClient(server.wsUrl);
  const b = await connectClient(server.wsUrl);
  assert.equal((await a.hello(`${tag}-a`)).resumed, false);
  assert.equal((await b.hello(`${tag}-b`)).resumed, false);
  return { a, b, call, server };
}

async function expectRefused(c: TestClient, to: string, id: string) {
  c.send({ type: 'signal', id, to, data: { kind: 'bye' } });
  const e = await c.next('error');
  assert.equal(e.code, 'PEER_NOT_FOUND');
  assert.equal(e.re, id);
}

describe('call.resume', () => {
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('call.resume › after a restart both parties claim the call: both get call.resumed, signals flow, hangup works', async () => {
    const { a, b, call, server } = await restartedCall('cr1');
    await expectRefused(a, 'cr1-b', 's0');
    a.send({ type: 'call.resume', id: 1, call, peer: 'cr1-b' });
    assert.deepEqual(await a.next('ack'), { type: 'ack', re: 1 });
    // One claim alone grants nothing.
    await expectRefused(a, 'cr1-b', 's1');
    b.send({ type: 'call.resume', id: 2, call, peer: 'cr1-a' });
    assert.deepEqual(await b.next('call.resumed'), { type: 'call.resumed', call, peer: 'cr1-a', re: 2 });
    assert.deepEqual(await a.next('call.resumed'), { type: 'call.resumed', call, peer: 'cr1-b' });
    a.send({ type: 'signal', to: 'cr1-b', data: { restart: 1 } });
    assert.deepEqual((await b.next('signal')).data, { restart: 1 });
    b.send({ type: 'signal', to: 'cr1-a', data: { answer: 1 } });
    assert.deepEqual((await a.next('signal')).data, { answer: 1 });
    // The call is a real call again: it can be hung up, and busy for others meanwhile.
    const c = await connectClient(server.wsUrl);
    await c.hello('cr1-c');
    c.send({ type: 'call.invite', to: 'cr1-a' });
    assert.equal((await c.next('call.ended')).reason, 'busy');
    a.send({ type: 'call.hangup', call });
    assert.equal((await b.next('call.ended')).reason, 'hangup');
    await expectRefused(a, 'cr1-b', 's2');
  });

  it('call.resume › one party claiming alone never relates them; a third party cannot claim its way in', async () => {
    const { a, b, call, server } = await restartedCall('cr2');
    const m = await connectClient(server.wsUrl);
    await m.hello('cr2-m');
    // mallory knows the call id and claims it with b; b claims it with a (as it should): no match.
    m.send({ type: 'call.resume', id: 'm1', call, peer: 'cr2-b' });
    await m.next('ack');
    b.send({ type: 'call.resume', id: 'b1', call, peer: 'cr2-a' });
    await b.next('ack');
    await expectRefused(m, 'cr2-b', 'm2');
    await expectRefused(b, 'cr2-m', 'b2');
    // b claiming with mallory matches nothing either: mallory claimed with b, b claims with a.
    assert.equal(m.frames.filter((f) => f.type === 'call.resumed').length, 0);
    assert.equal(b.frames.filter((f) => f.type === 'call.resumed').length, 0);
    // a's matching claim completes the real call; mallory still gets nothing.
    a.send({ type: 'call.resume', call, peer: 'cr2-b' });
    assert.equal((await a.next('call.resumed')).peer, 'cr2-b');
    assert.equal((await b.next('call.resumed')).peer, 'cr2-a');
    await expectRefused(m, 'cr2-b', 'm3');
  });

  it('call.resume › claims per session are bounded; a claim of a known call with someone else is CALL_NOT_FOUND', async () => {
    const server = await startServer();
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const c = await connectClient(server.wsUrl);
    await a.hello('cr3-a');
    await b.hello('cr3-b');
    await c.hello('cr3-c');
    const call = await connectCall(a, b, 'cr3-b');
    c.send({ type: 'call.resume', id: 1, call, peer: 'cr3-a' });
    assert.equal((await c.next('error')).code, 'CALL_NOT_FOUND');
    a.send({ type: 'call.resume', id: 2, call, peer: 'cr3-b' });
    assert.deepEqual(await a.next('call.resumed'), { type: 'call.resumed', call, peer: 'cr3-b', re: 2 });
    for (let i = 0; i < 3; i++) {
      c.send({ type: 'call.resume', id: `x${i}`, call: `made-up-${i}`, peer: 'cr3-b' });
      await c.next('ack');
    }
    c.send({ type: 'call.resume', id: 'over', call: 'made-up-9', peer: 'cr3-b' });
    const e = await c.next('error');
    assert.equal(e.code, 'FORBIDDEN');
    assert.equal(e.re, 'over');
  });
});

describe('call.resume across two nodes on Redis', () => {
  let redis: TestRedis;
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
    await redis?.stop();
  });

  it('call.resume › parties on two nodes claim a call their old node took with it: matched once both claim, signals cross nodes', async () => {
    redis = await startRedis();
    const env = { PARLEY_REDIS_URL: redis.url, PARLEY_REDIS_PREFIX: 'cres:' };
    const n1 = await startServer({ ...env, PARLEY_NODE_ID: 'cres-1' });
    const n2 = await startServer({ ...env, PARLEY_NODE_ID: 'cres-2' });
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const m = await connectClient(n2.wsUrl);
    await a.hello('cres-a');
    await b.hello('cres-b');
    await m.hello('cres-m');
    // A call the cluster no longer knows (its node died and was reaped): both still hold its id.
    const call = 'c-forgotten-1';
    a.send({ type: 'call.resume', id: 1, call, peer: 'cres-b' });
    await a.next('ack');
    m.send({ type: 'call.resume', id: 1, call, peer: 'cres-a' });
    await m.next('ack');
    await expectRefused(a, 'cres-b', 'early');
    b.send({ type: 'call.resume', id: 2, call, peer: 'cres-a' });
    assert.deepEqual(await b.next('call.resumed'), { type: 'call.resumed', call, peer: 'cres-a', re: 2 });
    assert.deepEqual(await a.next('call.resumed'), { type: 'call.resumed', call, peer: 'cres-b' });
    a.send({ type: 'signal', to: 'cres-b', data: 'across' });
    assert.equal((await b.next('signal')).data, 'across');
    b.send({ type: 'signal', to: 'cres-a', data: 'back' });
    assert.equal((await a.next('signal')).data, 'back');
    // mallory's claim matched nothing; a is in a call now, so mallory cannot complete it later.
    await expectRefused(m, 'cres-a', 'm');
    b.send({ type: 'call.hangup', call });
    assert.equal((await a.next('call.ended')).reason, 'hangup');
    await expectRefused(a, 'cres-b', 'after');
  });

  it('call.resume › a claim is dropped when its session ends, so a later session under that name cannot complete it', async () => {
    redis = await startRedis();
    const env = { PARLEY_REDIS_URL: redis.url, PARLEY_REDIS_PREFIX: 'cres2:' };
    const n1 = await startServer({ ...env, PARLEY_NODE_ID: 'cres2-1', PARLEY_GRACE_S: '0' });
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n1.wsUrl);
    await a.hello('cd-a');
    await b.hello('cd-b');
    a.send({ type: 'call.resume', id: 1, call: 'c-x', peer: 'cd-b' });
    await a.next('ack');
    a.send({ type: 'bye' });
    await a.closed;
    const a2 = await connectClient(n1.wsUrl);
    await a2.hello('cd-a');
    b.send({ type: 'call.resume', id: 2, call: 'c-x', peer: 'cd-a' });
    assert.deepEqual(await b.next('ack'), { type: 'ack', re: 2 }, 'pending: the old claim is gone');
    await expectRefused(b, 'cd-a', 'x');
  });
});
