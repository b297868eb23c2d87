// @needs redis-server
/**
 * Failures of a multi-node deployment, with node processes and a real redis-server:
 * a node killed with SIGKILL (its peers are told within the bound), a node stopped gracefully
 * (its clients resume on another node with their queued frames), and Redis restarting empty
 * (the nodes report `degraded`, keep the local fast path, and recover without restarting).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startRedis, stopAllRedis } from '../../../helpers/redis.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';
import { startNode, stopAllNodes } from './parley-node.ts';

/**
 * PARLEY_NODE_TTL_S used below. A dead node is noticed within TTL + one sweep interval (TTL/3);
 * the allowance on top covers the survivors' work and a loaded test machine's scheduler.
 */
const TTL_S = 1;
const BOUND_MS = Math.round(TTL_S * 1000 * (1 + 1 / 3));
const SLACK_MS = 1500;

describe('Redis cluster failures', () => {
  afterEach(async () => {
    await closeAllClients();
    await stopAllNodes();
    await stopAllRedis();
  });

  it('Failover › a node killed with SIGKILL: its peers are left, calls ended and names freed within the bound', async () => {
    const redis = await startRedis();
    const [n1, n2, n3] = await Promise.all([
      startNode('k-1', redis.url),
      startNode('k-2', redis.url),
      startNode('k-3', redis.url),
    ]);
    const victim = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const c = await connectClient(n3.wsUrl);
    await victim.hello('k-victim');
    await b.hello('k-b');
    await c.hello('k-c');
    c.send({ type: 'presence.subscribe' });
    await c.next('presence.listed');
    for (const x of [victim, b, c]) {
      x.send({ type: 'room.join', room: 'doomed' });
      await x.next('room.joined');
    }
    victim.send({ type: 'call.invite', to: 'k-b' });
    const { call } = await victim.next('call.ringing');
    await b.next('call.incoming');
    b.send({ type: 'call.accept', call });
    await victim.next('call.accepted');

    await n1.kill();
    const killedAt = Date.now();
    for (const x of [b, c]) {
      const left = await x.next('peer.left', { timeoutMs: BOUND_MS + SLACK_MS + 2000 });
      assert.deepEqual(left, { type: 'peer.left', room: 'doomed', name: 'k-victim', reason: 'gone' });
    }
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed <= BOUND_MS + SLACK_MS, `peer.left after ${elapsed} ms (bound ${BOUND_MS} ms)`);
    console.log(`# dead node noticed: peer.left ${elapsed} ms after SIGKILL (TTL ${TTL_S * 1000} ms)`);
    assert.deepEqual(await b.next('call.ended'), {
      type: 'call.ended',
      call,
      peer: 'k-victim',
      reason: 'peer_gone',
      by: 'k-victim',
    });
    const changed = await c.next('presence.changed');
    assert.deepEqual([changed.online, changed.offline], [[], ['k-victim']]);
    // The name is free again, on any node.
    const again = await connectClient(n3.wsUrl);
    await again.hello('k-victim');
  });

  it('Failover › after its node crashed, a client resumes on another node before the sweep: peers never see it leave', async () => {
    const redis = await startRedis();
    // A long TTL: the client comes back well before the survivors would release its name.
    const env = { PARLEY_NODE_TTL_S: '30' };
    const [n1, n2] = await Promise.all([
      startNode('cr-1', redis.url, env),
      startNode('cr-2', redis.url, env),
    ]);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const wa = await a.hello('cr-a');
    await b.hello('cr-b');
    for (const x of [a, b]) {
      x.send({ type: 'room.join', room: 'crash' });
      await x.next('room.joined');
    }
    a.send({ type: 'call.invite', to: 'cr-b' });
    const { call } = await a.next('call.ringing');
    await b.next('call.incoming');
    b.send({ type: 'call.accept', call });
    await a.next('call.accepted');
    await n1.kill();
    // Without its heartbeat refreshed, node 1 counts as dead once its key expires: the TTL is 30 s,
    // so delete the key the way expiry would, rather than wait.
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.del('parley:node:cr-1');
    admin.disconnect();
    const a2 = await connectClient(n2.wsUrl);
    a2.send({ type: 'hello', versions: ['1'], name: 'cr-a', resume: wa.session });
    const w = await a2.next('welcome');
    assert.equal(w.resumed, true);
    assert.deepEqual(w.rooms, ['crash']);
    b.send({ type: 'signal', to: 'cr-a', data: 'still there?' });
    assert.equal((await a2.next('signal')).data, 'still there?');
    a2.send({ type: 'call.hangup', call });
    assert.equal((await b.next('call.ended')).reason, 'hangup');
    assert.equal(b.frames.filter((f) => f.type === 'peer.left').length, 0);
  });

  it('Failover › a node restarted under the same id at once releases what its previous run held', async () => {
    const redis = await startRedis();
    // A long TTL: the survivors' sweep cannot be what frees the names here.
    const env = { PARLEY_NODE_TTL_S: '30' };
    const [n1, n2] = await Promise.all([
      startNode('same-1', redis.url, env),
      startNode('same-2', redis.url, env),
    ]);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('same-a');
    await b.hello('same-b');
    for (const x of [a, b]) {
      x.send({ type: 'room.join', room: 'again' });
      await x.next('room.joined');
    }
    await n1.kill();
    const n1again = await startNode('same-1', redis.url, env);
    assert.deepEqual(await b.next('peer.left', { timeoutMs: 5000 }), {
      type: 'peer.left',
      room: 'again',
      name: 'same-a',
      reason: 'gone',
    });
    const a2 = await connectClient(n1again.wsUrl);
    await a2.hello('same-a');
  });

  it('Failover › a node stopped gracefully: its client resumes on another node with queued frames in order', async () => {
    const redis = await startRedis();
    const [n1, n2] = await Promise.all([startNode('d-1', redis.url), startNode('d-2', redis.url)]);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const wa = await a.hello('d-a');
    await b.hello('d-b');
    a.send({ type: 'room.join', room: 'drain' });
    await a.next('room.joined');
    b.send({ type: 'room.join', room: 'drain' });
    await b.next('room.joined');
    a.send({ type: 'call.invite', to: 'd-b' });
    const { call } = await a.next('call.ringing');
    await b.next('call.incoming');
    b.send({ type: 'call.accept', call });
    await a.next('call.accepted');

    const stopped = n1.stop();
    const draining = await a.next('server.draining');
    assert.equal(typeof draining.reconnectMs, 'number');
    assert.equal((await a.closed).code, 4012);
    assert.equal(await stopped, 0);
    // Node 1 is gone; the session waits in Redis and collects what b sends.
    for (let i = 0; i < 25; i++) b.send({ type: 'signal', to: 'd-a', data: { i } });
    b.send({ type: 'ping', id: 'sync' });
    await b.next('pong');

    const a2 = await connectClient(n2.wsUrl);
    a2.send({ type: 'hello', versions: ['1'], name: 'd-a', resume: wa.session });
    const w = await a2.next();
    assert.equal(w.type, 'welcome');
    if (w.type !== 'welcome') return;
    assert.equal(w.resumed, true);
    assert.deepEqual(w.rooms, ['drain']);
    for (let i = 0; i < 25; i++)
      assert.deepEqual(await a2.next(), { type: 'signal', from: 'd-b', data: { i } });
    // The call survived the move: hanging up from the new node reaches b.
    a2.send({ type: 'call.hangup', call });
    assert.equal((await b.next('call.ended')).reason, 'hangup');
    assert.equal(b.frames.filter((f) => f.type === 'peer.left').length, 0);
  });

  it('Failover › Redis restarts empty: nodes report degraded, keep local relaying, then recover by themselves', async () => {
    const redis = await startRedis();
    const [n1, n2] = await Promise.all([startNode('rr-1', redis.url), startNode('rr-2', redis.url)]);
    const a = await connectClient(n1.wsUrl);
    const a2 = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('rr-a');
    await a2.hello('rr-a2');
    await b.hello('rr-b');
    for (const x of [a, b]) {
      x.send({ type: 'room.join', room: 'phoenix' });
      await x.next('room.joined');
    }
    await a.next('peer.joined');
    // a2 shares the room too, so a may signal it (checked locally while Redis is away).
    a2.send({ type: 'room.join', room: 'phoenix' });
    await a2.next('room.joined');

    await redis.stop();
    await until(async () => (await n1.health()).status === 'degraded', { what: 'node 1 reports degraded' });
    const h = await n2.health();
    assert.equal(h.status, 'degraded');
    assert.equal(h.directory, 'unreachable');
    // Same-node relaying does not need Redis.
    a.send({ type: 'signal', to: 'rr-a2', data: 'local' });
    assert.equal((await a2.next('signal')).data, 'local');
    // Cross-node work fails with a clear error rather than hanging.
    a.send({ type: 'signal', id: 'x', to: 'rr-b', data: 'remote' });
    const err = await a.next('error');
    assert.equal(err.re, 'x');

    await redis.restart();
    await until(async () => (await n1.health()).status === 'ok', {
      what: 'node 1 healthy again',
      timeoutMs: 10_000,
    });
    await until(async () => (await n2.health()).status === 'ok', {
      what: 'node 2 healthy again',
      timeoutMs: 10_000,
    });
    // Names and rooms are registered again by the nodes' heartbeats: cross-node signals flow.
    await until(
      async () => {
        a.send({ type: 'signal', to: 'rr-b', data: 'probe' });
        return (await b.next('signal', { timeoutMs: 250 }).catch(() => undefined)) !== undefined;
      },
      { what: 'cross-node signal after the restart', timeoutMs: 10_000 },
    );
    b.send({ type: 'signal', to: 'rr-a', data: 'hello again' });
    assert.equal((await a.next('signal')).data, 'hello again');
    b.send({ type: 'room.message', room: 'phoenix', data: 'still here' });
    assert.equal((await a.next('room.message')).data, 'still here');
    // The name is still held: another node refuses it.
    const dup = await connectClient(n2.wsUrl);
    dup.send({ type: 'hello', versions: ['1'], name: 'rr-a' });
    assert.equal((await dup.next('error')).code, 'NAME_TAKEN');
  });
});
