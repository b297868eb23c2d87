// @needs redis-server
/**
 * Moderation across two Parley nodes sharing one real redis-server: the host's lock and lobby
 * hold for newcomers on the other node, a knock on the other node reaches the host and the
 * admission lets the knocker in there, and a removal reaches a member on the other node (which
 * then may not join again on either node).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

async function on(node: ParleyNode, name: string): Promise<TestClient> {
  const c = await connectClient(node.wsUrl);
  await c.hello(name);
  return c;
}

describe('Moderation across two Redis nodes', () => {
  let redis: TestRedis;
  let n1: ParleyNode;
  let n2: ParleyNode;
  before(async () => {
    redis = await startRedis();
    [n1, n2] = await Promise.all([startNode('mod-1', redis.url), startNode('mod-2', redis.url)]);
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllNodes();
    await redis.stop();
  });

  it('lock and lobby › hold on the other node; a knock there reaches the host, who admits it', async () => {
    const h = await on(n1, 'c-host');
    const m = await on(n2, 'c-mem');
    h.send({ type: 'room.join', room: 'c-room' });
    await h.next('room.joined');
    m.send({ type: 'room.join', room: 'c-room' });
    await m.next('room.joined');
    assert.equal((await m.next('room.participants')).participants[0]!.role, 'host');
    // A member on node 2 may not lock.
    m.send({ type: 'host.lock', id: 'm', room: 'c-room', locked: true });
    assert.equal((await m.next('error')).code, 'NOT_HOST');

    h.send({ type: 'host.lock', id: 1, room: 'c-room', locked: true });
    await h.next('host.lock.done');
    assert.equal((await m.next('room.updated')).locked, true);
    const late = await on(n2, 'c-late');
    late.send({ type: 'room.join', id: 'j', room: 'c-room' });
    assert.equal((await late.next('error')).code, 'ROOM_LOCKED');

    h.send({ type: 'host.lock', room: 'c-room', locked: false });
    await h.next('host.lock.done');
    h.send({ type: 'host.lobby', room: 'c-room', enabled: true });
    await h.next('host.lobby.done');
    late.send({ type: 'room.join', id: 'k', room: 'c-room' });
    await late.next('room.waiting');
    assert.deepEqual((await h.next('lobby.updated')).waiting, ['c-late']);
    // The member on node 2 hears nothing of the lobby.
    const other = await on(n2, 'c-other');
    other.send({ type: 'room.join', room: 'c-room' });
    await other.next('room.waiting');
    h.send({ type: 'host.admit', id: 2, room: 'c-room', name: 'c-late' });
    await h.next('host.admit.done');
    await late.next('room.admitted');
    late.send({ type: 'room.join', id: 'in', room: 'c-room' });
    assert.deepEqual((await late.next('room.joined')).peers, ['c-host', 'c-mem']);
    h.send({ type: 'host.refuse', id: 3, room: 'c-room', name: 'c-other' });
    await h.next('host.refuse.done');
    await other.next('room.refused');
    assert.equal(m.frames.filter((f) => f.type === 'lobby.updated').length, 0);
  });

  it('host.remove › reaches a member on the other node, who may not join again on either node', async () => {
    const h = await on(n1, 'r-host');
    const t = await on(n2, 'r-target');
    h.send({ type: 'room.join', room: 'r-room' });
    await h.next('room.joined');
    t.send({ type: 'room.join', room: 'r-room' });
    await t.next('room.joined');
    h.send({ type: 'host.remove', id: 1, room: 'r-room', name: 'r-target' });
    await h.next('host.remove.done');
    assert.equal((await h.next('peer.left')).name, 'r-target');
    assert.equal((await t.next('room.removed')).by, 'r-host');
    t.send({ type: 'room.message', id: 'm', room: 'r-room', data: 1 });
    assert.equal((await t.next('error')).code, 'NOT_IN_ROOM');
    t.send({ type: 'room.join', id: 'j', room: 'r-room' });
    assert.equal((await t.next('error')).reason, 'removed_from_room');
    t.send({ type: 'bye' });
    await t.closed;
    const t1 = await on(n1, 'r-target');
    t1.send({ type: 'room.join', id: 'j', room: 'r-room' });
    assert.equal((await t1.next('error')).reason, 'removed_from_room');
  });
});
