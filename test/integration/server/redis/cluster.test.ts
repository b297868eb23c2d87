// @needs redis-server
/**
 * Three Parley nodes — separate processes — sharing one real redis-server act as one server:
 * signals and call control cross nodes in order, rooms span nodes, a name is unique across
 * nodes, and a session resumes on a different node with its queued frames in order.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { shareRoom } from '../../../helpers/relate.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

describe('Redis cluster of three nodes', () => {
  let redis: TestRedis;
  let n1: ParleyNode;
  let n2: ParleyNode;
  let n3: ParleyNode;
  before(async () => {
    redis = await startRedis();
    [n1, n2, n3] = await Promise.all([
      startNode('node-1', redis.url),
      startNode('node-2', redis.url),
      startNode('node-3', redis.url),
    ]);
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllNodes();
    await redis.stop();
  });

  it('Cluster › signals and call control cross nodes, in order per sender', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('x-alice');
    await b.hello('x-bob');
    await shareRoom('x-sig', a, b);
    for (let i = 0; i < 200; i++) a.send({ type: 'signal', to: 'x-bob', data: { i } });
    for (let i = 0; i < 200; i++)
      assert.deepEqual(await b.next('signal'), { type: 'signal', from: 'x-alice', data: { i } });
    a.send({ type: 'signal', id: 7, to: 'x-nobody', data: 0 });
    const err = await a.next('error');
    assert.equal(err.code, 'PEER_NOT_FOUND');
    assert.equal(err.re, 7);

    a.send({ type: 'call.invite', id: 1, to: 'x-bob', data: { video: true } });
    const { call } = await a.next('call.ringing');
    const incoming = await b.next('call.incoming');
    assert.deepEqual(incoming, {
      type: 'call.incoming',
      call,
      from: 'x-alice',
      data: { video: true },
      ringMs: 30_000,
    });
    b.send({ type: 'call.accept', id: 2, call });
    assert.equal((await b.next('call.accepted')).re, 2);
    assert.equal((await a.next('call.accepted')).peer, 'x-bob');
    // A third party on the third node finds both busy.
    const c = await connectClient(n3.wsUrl);
    await c.hello('x-carol');
    c.send({ type: 'call.invite', id: 3, to: 'x-bob' });
    assert.equal((await c.next('call.ended')).reason, 'busy');
    a.send({ type: 'call.hangup', id: 4, call });
    assert.deepEqual(await b.next('call.ended'), {
      type: 'call.ended',
      call,
      peer: 'x-alice',
      reason: 'hangup',
      by: 'x-alice',
    });
    assert.equal((await a.next('call.ended')).re, 4);
  });

  it('Cluster › a room spread over three nodes: peers, peer.joined and peer.left reach everyone', async () => {
    const nodes = [n1, n2, n3];
    const clients: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connectClient(nodes[i]!.wsUrl);
      await c.hello(`r-${i}`);
      c.send({ type: 'room.join', id: i, room: 'spread' });
      const joined = await c.next('room.joined');
      assert.deepEqual(
        joined.peers,
        Array.from({ length: i }, (_, k) => `r-${k}`),
      );
      for (const earlier of clients) assert.equal((await earlier.next('peer.joined')).name, `r-${i}`);
      clients.push(c);
    }
    clients[1]!.send({ type: 'room.message', room: 'spread', data: 'hi all' });
    for (const k of [0, 2]) assert.equal((await clients[k]!.next('room.message')).from, 'r-1');
    clients[2]!.send({ type: 'room.leave', room: 'spread' });
    await clients[2]!.next('room.left');
    for (const k of [0, 1])
      assert.deepEqual(await clients[k]!.next('peer.left'), {
        type: 'peer.left',
        room: 'spread',
        name: 'r-2',
        reason: 'left',
      });
    clients[0]!.send({ type: 'bye' });
    assert.equal((await clients[1]!.next('peer.left')).reason, 'left');
  });

  it('Cluster › a room password set on one node is checked on another (only a hash in Redis)', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const c = await connectClient(n3.wsUrl);
    await a.hello('pw-a');
    await b.hello('pw-b');
    await c.hello('pw-c');
    a.send({ type: 'room.join', room: 'locked', password: 'open sesame' });
    await a.next('room.joined');
    b.send({ type: 'room.join', id: 1, room: 'locked', password: 'wrong' });
    assert.equal((await b.next('error')).code, 'FORBIDDEN');
    c.send({ type: 'room.join', room: 'locked', password: 'open sesame' });
    assert.deepEqual((await c.next('room.joined')).peers, ['pw-a']);
    assert.equal((await a.next('peer.joined')).name, 'pw-c');
    const inspect = new Redis(redis.url);
    try {
      const stored = await inspect.get('parley:rpw:locked');
      assert.match(stored ?? '', /^scrypt\$/);
      assert.ok(!stored?.includes('open sesame'));
    } finally {
      inspect.disconnect();
    }
  });

  it('Cluster › the same name claimed on two nodes at once: exactly one wins', async () => {
    for (let round = 0; round < 10; round++) {
      const [p, q] = await Promise.all([connectClient(n1.wsUrl), connectClient(n2.wsUrl)]);
      const name = `race-${round}`;
      const results = await Promise.allSettled([p.hello(name), q.hello(name)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.match(String(lost.reason), /NAME_TAKEN/);
    }
  });

  it('Cluster › a session resumes on another node: rooms kept, queued frames flushed in order', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n3.wsUrl);
    const wa = await a.hello('mv-a');
    await b.hello('mv-b');
    a.send({ type: 'room.join', room: 'move' });
    await a.next('room.joined');
    b.send({ type: 'room.join', room: 'move' });
    await b.next('room.joined');
    await a.next('peer.joined');
    a.ws.terminate();
    await a.closed;
    // Parked once node 1 noticed the drop; everything b sends from now on waits in Redis.
    await until(async () => (await n1.health()).sessions === 0, { what: 'node 1 parks the session' });
    for (let i = 0; i < 30; i++) b.send({ type: 'signal', to: 'mv-a', data: { i } });
    b.send({ type: 'room.message', room: 'move', data: 'queued' });
    b.send({ type: 'ping', id: 'sync' });
    await b.next('pong');
    const a2 = await connectClient(n2.wsUrl);
    a2.send({ type: 'hello', id: 1, versions: ['1'], name: 'mv-a', resume: wa.session });
    const first = await a2.next();
    assert.equal(first.type, 'welcome');
    if (first.type !== 'welcome') return;
    assert.equal(first.resumed, true);
    // A resume rotates the token (issue 15, finding 7).
    assert.notEqual(first.session, wa.session);
    assert.deepEqual(first.rooms, ['move']);
    for (let i = 0; i < 30; i++)
      assert.deepEqual(await a2.next(), { type: 'signal', from: 'mv-b', data: { i } });
    assert.deepEqual(await a2.next(), { type: 'room.message', room: 'move', from: 'mv-b', data: 'queued' });
    // Live on node 2 now, in both directions.
    b.send({ type: 'signal', to: 'mv-a', data: 'live' });
    assert.equal((await a2.next('signal')).data, 'live');
    a2.send({ type: 'signal', to: 'mv-b', data: 'back' });
    assert.equal((await b.next('signal')).data, 'back');
    assert.equal(b.frames.filter((f) => f.type === 'peer.left').length, 0);
  });

  it('Cluster › a stream of signals stays in order while its recipient moves between nodes', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n3.wsUrl);
    const wa = await a.hello('st-a');
    await b.hello('st-b');
    await shareRoom('st', a, b);
    const total = 1500;
    let sent = 0;
    // b streams signals to a (bursts of 20 every 5 ms, at most ~4,000/s) while a drops and
    // resumes on node 2.
    const streaming = (async () => {
      while (sent < total) {
        for (let k = 0; k < 20 && sent < total; k++) b.send({ type: 'signal', to: 'st-a', data: sent++ });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await until(() => sent > 300, { what: 'streaming started' });
    a.ws.terminate();
    await a.closed;
    const before = a.frames.filter((f) => f.type === 'signal').map((f) => (f as { data: number }).data);
    const a2 = await connectClient(n2.wsUrl);
    a2.send({ type: 'hello', versions: ['1'], name: 'st-a', resume: wa.session });
    assert.equal((await a2.next('welcome', { timeoutMs: 5000 })).resumed, true);
    await streaming;
    await until(
      () => a2.frames.some((f) => f.type === 'signal' && (f as { data: number }).data === total - 1),
      { what: 'the last signal arrives on node 2', timeoutMs: 10_000 },
    );
    assert.deepEqual(
      b.frames.filter((f) => f.type === 'error'),
      [],
    );
    const after = a2.frames.filter((f) => f.type === 'signal').map((f) => (f as { data: number }).data);
    const seen = [...before, ...after];
    for (let i = 1; i < seen.length; i++)
      assert.ok(seen[i]! > seen[i - 1]!, `in order at ${i}: ${seen[i - 1]} then ${seen[i]}`);
    // Only frames already written to the dropped socket can be missing (how many depends on how
    // far the client's reads lagged when it cut the connection); nothing from the resume on.
    const firstAfter = after[0]!;
    assert.deepEqual(
      after,
      Array.from({ length: total - firstAfter }, (_, k) => firstAfter + k),
    );
  });

  it('Cluster › a resume on another node while the old socket is still open replaces it', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const wa = await a.hello('rep-a');
    await b.hello('rep-b');
    await shareRoom('rep', a, b);
    const a2 = await connectClient(n3.wsUrl);
    a2.send({ type: 'hello', versions: ['1'], name: 'rep-a', resume: wa.session });
    const w = await a2.next('welcome');
    assert.equal(w.resumed, true);
    assert.equal((await a.next('error')).code, 'SESSION_REPLACED');
    b.send({ type: 'signal', to: 'rep-a', data: 'to-new' });
    assert.equal((await a2.next('signal')).data, 'to-new');
  });

  it('Cluster › a session whose grace runs out while parked is gone for its peers on every node', async () => {
    const extra = await startNode('node-grace', redis.url, { PARLEY_GRACE_S: '0.5' });
    try {
      const a = await connectClient(extra.wsUrl);
      const b = await connectClient(n2.wsUrl);
      await a.hello('gr-a');
      await b.hello('gr-b');
      b.send({ type: 'presence.subscribe' });
      await b.next('presence.listed');
      a.send({ type: 'room.join', room: 'grace' });
      await a.next('room.joined');
      b.send({ type: 'room.join', room: 'grace' });
      await b.next('room.joined');
      a.send({ type: 'call.invite', to: 'gr-b' });
      const { call } = await a.next('call.ringing');
      await b.next('call.incoming');
      b.send({ type: 'call.accept', call });
      await a.next('call.accepted');
      a.ws.terminate();
      const left = await b.next('peer.left', { timeoutMs: 5000 });
      assert.deepEqual(left, { type: 'peer.left', room: 'grace', name: 'gr-a', reason: 'gone' });
      assert.equal((await b.next('call.ended')).reason, 'peer_gone');
      const changed = await b.next('presence.changed');
      assert.deepEqual([changed.online, changed.offline], [[], ['gr-a']]);
    } finally {
      await extra.stop();
    }
  });
});
