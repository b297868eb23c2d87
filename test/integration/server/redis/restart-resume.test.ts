// @needs redis-server
/**
 * A node of two restarts (SIGTERM: drain, park its sessions in Redis) and comes back on the same
 * port as a new process: its clients resume there, and the pairs they belong to — each with one
 * member on the other node — relay again both ways, by room message and by signal. Found by
 * bench/restart (issue 27): resumed clients got their queued frames but no live relay after.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';
import { startNode, stopAllNodes } from './parley-node.ts';

describe('Redis cluster: a node restarts under its clients', () => {
  let redis: TestRedis | undefined;
  afterEach(closeAllClients);
  after(async () => {
    await stopAllNodes();
    await redis?.stop();
  });

  it('Restart › sessions parked by the drain resume on the new process and relay both ways with the other node', async () => {
    redis = await startRedis();
    // A grace long enough for a loaded machine to stop and start a node within it (CI at load 36
    // took longer than the helper's 10 s, and the session was gone: `resumed: false`).
    const env = { PARLEY_GRACE_S: '60' };
    const n1 = await startNode('node-1', redis.url, env);
    const n2 = await startNode('node-2', redis.url, env);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const wa = await a.hello('rr-a');
    await b.hello('rr-b');
    a.send({ type: 'room.join', room: 'rr' });
    await a.next('room.joined');
    b.send({ type: 'room.join', room: 'rr' });
    await b.next('room.joined');
    await a.next('peer.joined');

    const port = n1.port;
    await n1.stop();
    b.send({ type: 'room.message', room: 'rr', data: 'while down' });
    const n1b = await startNode('node-1b', redis.url, { ...env, PARLEY_PORT: String(port) });
    const a2 = await connectClient(n1b.wsUrl);
    a2.send({ type: 'hello', id: 1, versions: ['1'], name: 'rr-a', resume: wa.session });
    const w = await a2.next();
    assert.equal(w.type, 'welcome');
    if (w.type !== 'welcome') return;
    assert.equal(w.resumed, true);
    assert.deepEqual(w.rooms, ['rr']);
    assert.equal((await a2.next('room.message')).data, 'while down');

    b.send({ type: 'room.message', room: 'rr', data: 'b→a live' });
    assert.equal((await a2.next('room.message')).data, 'b→a live');
    a2.send({ type: 'room.message', room: 'rr', data: 'a→b live' });
    assert.equal((await b.next('room.message')).data, 'a→b live');
    b.send({ type: 'signal', to: 'rr-a', data: 'sig b→a' });
    assert.equal((await a2.next('signal')).data, 'sig b→a');
    a2.send({ type: 'signal', to: 'rr-b', data: 'sig a→b' });
    assert.equal((await b.next('signal')).data, 'sig a→b');
  });
});
