// @needs redis-server
/**
 * Redis high availability with Sentinel: two node processes on `redis+sentinel://…` (a primary,
 * a replica, three sentinels; test/helpers/redis-sentinel.ts), a call across the nodes, a parked
 * session; the primary is killed with SIGKILL. The nodes follow the promoted replica without a
 * restart: signaling between the nodes resumes within the bound, no name is lost or duplicated,
 * the parked session resumes on the other node, the call goes on (a hangup reaches the peer) and
 * nobody is told a peer left. The node heartbeat TTL (1 s) is shorter than the failover, so the
 * nodes' keys have expired on the new primary: the nodes must re-register and not reap each other.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { sentinelOptions } from '../../../../packages/server/src/directory/redis-connection.ts';
import { startSentinel, type TestSentinel } from '../../../helpers/redis-sentinel.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';
import { startNode, stopAllNodes } from './parley-node.ts';

/** Sentinel's down-after-milliseconds in the helper, plus the election and the reconnect. */
const FAILOVER_BOUND_MS = 1000 + 6000;

describe('Redis Sentinel › the primary dies mid-call', () => {
  let sentinel: TestSentinel | undefined;
  after(async () => {
    await closeAllClients();
    await stopAllNodes();
    await sentinel?.stop();
  });

  it('Sentinel › nodes follow the promoted replica: signaling resumes, names kept once, a parked session resumes, the call goes on', async () => {
    sentinel = await startSentinel();
    const env = { PARLEY_GRACE_S: '30' };
    const [n1, n2] = await Promise.all([
      startNode('sn-1', sentinel.url, env),
      startNode('sn-2', sentinel.url, env),
    ]);
    const admin = new Redis({ ...sentinelOptions(sentinel.url), maxRetriesPerRequest: 1 });
    admin.on('error', () => {}); // it follows the failover too; its connection errors are expected
    try {
      const a = await connectClient(n1.wsUrl);
      const b = await connectClient(n2.wsUrl);
      await a.hello('sn-a');
      await b.hello('sn-b');
      for (const x of [a, b]) {
        x.send({ type: 'room.join', room: 'ha' });
        await x.next('room.joined');
      }
      a.send({ type: 'call.invite', to: 'sn-b' });
      const { call } = await a.next('call.ringing');
      await b.next('call.incoming');
      b.send({ type: 'call.accept', call });
      await a.next('call.accepted');
      // A session parked before the failure (its socket dropped), to be resumed afterwards.
      const c = await connectClient(n1.wsUrl);
      const wc = await c.hello('sn-c');
      c.send({ type: 'room.join', room: 'ha' });
      await c.next('room.joined');
      c.ws.terminate();
      await until(async () => (await admin.get('parley:name:sn-c'))?.startsWith('@'), {
        what: 'sn-c parked',
      });
      // Everything written so far has reached the replica (replication is ordered).
      await admin.set('parley-test:fence', '1');
      assert.equal(await admin.call('WAIT', '1', '5000'), 1);

      const oldPort = await sentinel.killPrimary();
      const killedAt = Date.now();
      // a signals b every 100 ms until one arrives: the first signal relayed through the new primary.
      let sent = 0;
      const pump = setInterval(() => a.send({ type: 'signal', to: 'sn-b', data: `f${sent++}` }), 100);
      let first: { data: unknown };
      try {
        first = await b.next('signal', { timeoutMs: FAILOVER_BOUND_MS + 5000 });
      } finally {
        clearInterval(pump);
      }
      const failoverMs = Date.now() - killedAt;
      const newPort = await sentinel.primaryPort();
      assert.notEqual(newPort, oldPort, 'a replica was promoted');
      console.log(`# sentinel failover: first relayed signal ${failoverMs} ms after SIGKILL of the primary`);
      assert.ok(failoverMs <= FAILOVER_BOUND_MS, `signaling resumed after ${failoverMs} ms`);
      assert.match(String(first.data), /^f\d+$/);
      // Signals flow both ways again, in order.
      b.send({ type: 'signal', to: 'sn-a', data: 'back' });
      assert.equal((await a.next('signal')).data, 'back');

      // No name lost or duplicated; the names are still held (NAME_TAKEN on either node).
      await until(async () => (await admin.smembers('parley:names')).sort().join() === 'sn-a,sn-b,sn-c', {
        what: 'the three names registered once',
      });
      for (const [node, name] of [
        [n2, 'sn-a'],
        [n1, 'sn-b'],
      ] as const) {
        const x = await connectClient(node.wsUrl);
        x.send({ type: 'hello', versions: ['1'], name });
        assert.equal((await x.next('error')).code, 'NAME_TAKEN');
        await x.close();
      }
      // The parked session resumes on the other node, with its room.
      const c2 = await connectClient(n2.wsUrl);
      c2.send({ type: 'hello', versions: ['1'], name: 'sn-c', resume: wc.session });
      const w = await c2.next('welcome');
      assert.equal(w.resumed, true);
      assert.deepEqual(w.rooms, ['ha']);
      // The call goes on: a hangup reaches the peer. Nobody saw a peer leave.
      a.send({ type: 'call.hangup', call });
      assert.equal((await b.next('call.ended')).reason, 'hangup');
      for (const x of [a, b]) assert.equal(x.frames.filter((f) => f.type === 'peer.left').length, 0);
      for (const n of [n1, n2])
        await until(async () => (await n.health()).status === 'ok', { what: `${n.id} healthy` });
    } finally {
      admin.disconnect();
    }
  });
});
