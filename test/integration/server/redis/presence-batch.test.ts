// @needs redis-server
/**
 * Presence across nodes in batches (issue 27): each process publishes its logins and departures
 * as one Redis message per 50 ms (`P presence:batch`), not one per change. Two node processes on
 * one redis-server; a raw subscriber counts the messages on both presence channels.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

const ENV = {
  PARLEY_MAX_CONNS_PER_IP: '1000',
  PARLEY_MAX_SOCKETS_PER_IP: '1000',
  PARLEY_HELLO_BURST: '1000',
  PARLEY_LOGIN_BURST: '1000',
};

/** Collects `presence.changed` on `c` until `done` holds for what came online and went offline. */
async function collect(
  c: TestClient,
  done: (online: Set<string>, offline: Set<string>) => boolean,
): Promise<{ online: Set<string>; offline: Set<string> }> {
  const online = new Set<string>();
  const offline = new Set<string>();
  while (!done(online, offline)) {
    const f = await c.next('presence.changed', { timeoutMs: 15_000 });
    for (const n of f.online) online.add(n);
    for (const n of f.offline) offline.add(n);
  }
  return { online, offline };
}

describe('Presence across Redis in batches', () => {
  let redis: TestRedis;
  let n1: ParleyNode;
  let n2: ParleyNode;
  let spy: Redis;
  const seen = { batch: 0, single: 0 };
  before(async () => {
    redis = await startRedis();
    [n1, n2] = await Promise.all([startNode('pb-1', redis.url, ENV), startNode('pb-2', redis.url, ENV)]);
    spy = new Redis(redis.url);
    await spy.subscribe('parley:presence:batch', 'parley:presence');
    spy.on('message', (channel: string) => {
      if (channel.endsWith(':batch')) seen.batch++;
      else seen.single++;
    });
  });
  afterEach(closeAllClients);
  after(async () => {
    spy.disconnect();
    await stopAllNodes();
    await redis.stop();
  });

  it('100 logins on one node reach a subscriber on the other in a handful of Redis messages, and so do their departures', async () => {
    const watcher = await connectClient(n2.wsUrl);
    await watcher.hello('pb-watcher');
    watcher.send({ type: 'presence.subscribe', prefix: 'pb-x' });
    await watcher.next('presence.listed');
    seen.batch = 0;
    seen.single = 0;
    const names = Array.from({ length: 100 }, (_, i) => `pb-x${i}`);
    const clients = await Promise.all(names.map(() => connectClient(n1.wsUrl)));
    await Promise.all(clients.map((c, i) => c.hello(names[i]!)));
    const came = await collect(watcher, (on) => on.size === 100);
    assert.deepEqual([...came.online].sort(), [...names].sort());
    const logins = seen.batch;
    console.log(`# 100 logins crossed Redis in ${logins} presence messages (was 100)`);
    assert.ok(logins >= 1 && logins <= 20, `${logins} batch messages`);
    assert.equal(seen.single, 0, 'nothing on the one-name-per-message channel');
    for (const c of clients) c.send({ type: 'bye' });
    const gone = await collect(watcher, (_, off) => off.size === 100);
    assert.equal(gone.offline.size, 100);
    assert.ok(seen.batch - logins <= 20, `${seen.batch - logins} batch messages for 100 departures`);
    assert.equal(seen.single, 0);
  });
});
