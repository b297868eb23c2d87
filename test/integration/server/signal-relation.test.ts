// @needs redis-server
/**
 * Who may signal whom (security review #6): `signal` is relayed only between the two parties of
 * a call (ringing or active) or members of a room both are in. Anyone else gets the very answer
 * an offline name gets, so `signal` is no name oracle. Run against one node, and against two
 * nodes on a real Redis (the relation must hold across nodes, and end across nodes).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { connectCall, shareRoom } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

async function refused(c: TestClient, to: string, id: number): Promise<string> {
  c.send({ type: 'signal', id, to, data: { probe: id } });
  const e = await c.next('error');
  assert.equal(e.code, 'PEER_NOT_FOUND', `signal to ${to}`);
  assert.equal(e.re, id);
  assert.equal(e.message, `no peer named "${to}"`, 'the same text as for an offline name');
  return e.message;
}

async function relayed(from: TestClient, fromName: string, to: TestClient, toName: string, data: unknown) {
  from.send({ type: 'signal', id: 'ok', to: toName, data });
  assert.deepEqual(await from.next('ack'), { type: 'ack', re: 'ok' });
  assert.deepEqual(await to.next('signal'), { type: 'signal', from: fromName, data });
}

function suite(title: string, nodes: () => [ParleyServer, ParleyServer]) {
  let seq = 0;
  async function people(): Promise<[TestClient, TestClient, TestClient, string, string, string]> {
    seq++;
    const [n1, n2] = nodes();
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    const c = await connectClient(n1.wsUrl);
    const names = [`ra${seq}`, `rb${seq}`, `rc${seq}`] as const;
    await a.hello(names[0]);
    await b.hello(names[1]);
    await c.hello(names[2]);
    return [a, b, c, ...names];
  }

  describe(title, () => {
    afterEach(closeAllClients);

    it('Relay › an online stranger and an offline name get the same PEER_NOT_FOUND; the stranger gets nothing', async () => {
      const [a, b, c, , bn, cn] = await people();
      await refused(a, bn, 1);
      await refused(a, cn, 2);
      await refused(a, 'nobody-here', 3);
      a.send({ type: 'ping', id: 'sync' });
      await a.next('pong');
      for (const x of [b, c]) assert.equal(x.frames.filter((f) => f.type === 'signal').length, 0);
    });

    it('Relay › room members signal each other; once one leaves, signals are refused again', async () => {
      const [a, b, c, an, bn, cn] = await people();
      await shareRoom(`rel-room${seq}`, a, b);
      await relayed(a, an, b, bn, { n: 1 });
      await relayed(b, bn, a, an, { n: 2 });
      await refused(c, an, 4); // c is not in the room
      b.send({ type: 'room.leave', room: `rel-room${seq}` });
      await b.next('room.left');
      await a.next('peer.left');
      await refused(a, bn, 5);
      await refused(b, an, 6);
      assert.equal(c.frames.filter((f) => f.type === 'signal').length, 0);
      void cn;
    });

    it('Relay › the parties of a ringing call, then of the active call, signal each other; after the hangup they are refused', async () => {
      const [a, b, c, an, bn] = await people();
      a.send({ type: 'call.invite', to: bn });
      const { call } = await a.next('call.ringing');
      await b.next('call.incoming');
      await relayed(a, an, b, bn, { early: true });
      await relayed(b, bn, a, an, { early: 'back' });
      b.send({ type: 'call.accept', call });
      await a.next('call.accepted');
      await relayed(a, an, b, bn, { active: true });
      await refused(c, an, 7);
      a.send({ type: 'call.hangup', call });
      await a.next('call.ended');
      await b.next('call.ended');
      await refused(a, bn, 8);
      await refused(b, an, 9);
    });

    it('Relay › a relation ending while signals are in flight: everything after the end is refused, in order before it', async () => {
      const [a, b, , an, bn] = await people();
      const call = await connectCall(a, b, bn);
      for (let i = 0; i < 50; i++) a.send({ type: 'signal', to: bn, data: i });
      for (let i = 0; i < 50; i++) assert.equal((await b.next('signal')).data, i);
      b.send({ type: 'call.hangup', call });
      await b.next('call.ended');
      await a.next('call.ended');
      await refused(a, bn, 10);
      void an;
    });
  });
}

describe('Who may signal whom', () => {
  let single: ParleyServer;
  let redis: TestRedis;
  let r1: ParleyServer;
  let r2: ParleyServer;
  before(async () => {
    single = await startServer();
    redis = await startRedis();
    const env = { PARLEY_REDIS_URL: redis.url, PARLEY_REDIS_PREFIX: 'rel:' };
    r1 = await startServer({ ...env, PARLEY_NODE_ID: 'rel-1' });
    r2 = await startServer({ ...env, PARLEY_NODE_ID: 'rel-2' });
  });
  after(async () => {
    await closeAllClients();
    await stopAllServers();
    await redis.stop();
  });
  suite('one node', () => [single, single]);
  suite('two nodes on Redis (b on the other node)', () => [r1, r2]);
});
