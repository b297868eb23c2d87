// @needs redis-server
/**
 * `room.data` across nodes (issue 24, large rooms): two Parley nodes sharing one real
 * redis-server relay a room's data to members on the other node the way they relay
 * `room.message` (through the directory), reliable parts in order and lossy ones marked, with the
 * sender stamped by the node it is on; a member on another node that left is not reached.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { shareRoom } from '../../../helpers/relate.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

describe('room.data across a Redis cluster', () => {
  let redis: TestRedis;
  let n1: ParleyNode;
  let n2: ParleyNode;
  before(async () => {
    redis = await startRedis();
    [n1, n2] = await Promise.all([startNode('node-1', redis.url), startNode('node-2', redis.url)]);
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllNodes();
    await redis.stop();
  });

  it('Cluster › room.data reaches members on the other node, in order, lossy marked, from stamped', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const c = await connectClient(n2.wsUrl);
    await a.hello('rdx-a');
    await b.hello('rdx-b');
    await c.hello('rdx-c');
    await shareRoom('rdx', a, b, c);
    for (let i = 0; i < 100; i++)
      a.send({
        type: 'room.data',
        room: 'rdx',
        label: 'game',
        data: `j${i}`,
        ...(i % 2 ? { lossy: true } : {}),
      });
    for (const r of [b, c])
      for (let i = 0; i < 100; i++) {
        const m = await r.next('room.data');
        assert.deepEqual([m.from, m.data, m.lossy], ['rdx-a', `j${i}`, i % 2 ? true : undefined]);
      }
    c.send({ type: 'room.leave', id: 1, room: 'rdx' });
    await c.next('room.left');
    a.send({ type: 'room.data', room: 'rdx', label: 'game', data: 'safter' });
    assert.equal((await b.next('room.data')).data, 'safter');
    c.send({ type: 'ping', id: 'sync' });
    await c.next('pong');
    assert.equal(
      c.frames.filter((f) => f.type === 'room.data').length,
      0,
      'a member who left is not reached',
    );
  });
});
