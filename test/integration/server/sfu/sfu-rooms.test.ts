// @needs janus
/**
 * Large rooms on a real server with a real Janus, driven by plain WebSocket clients: a room
 * moves to the SFU when its 5th member joins, publish/subscribe/answer go through Janus with
 * names (never Janus ids) on the wire, feeds are announced, an empty room goes back to mesh, a
 * Janus outage degrades /healthz and tells members, and a restarted Janus gets its rooms back.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { fakePublisherOffer } from '../../../helpers/fake-sdp.ts';
import { janusEnv, startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';

describe('SFU rooms (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let roomSeq = 0;

  before(async () => {
    janus = await startJanus();
    server = await startServer({
      ...janusEnv(janus),
    });
    await until(async () => (await server.health()).sfu === 'ok', {
      what: 'the server to reach Janus',
      timeoutMs: 15_000,
      intervalMs: 50,
    });
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllServers();
    await janus?.close();
  });

  /** `n` clients in a fresh room; returns them in join order. */
  async function fill(n: number, prefix: string): Promise<{ room: string; clients: TestClient[] }> {
    const room = `big-${++roomSeq}`;
    const clients: TestClient[] = [];
    for (let i = 0; i < n; i++) {
      const c = await connectClient(server.wsUrl);
      await c.hello(`${prefix}${i}`);
      c.send({ type: 'room.join', room });
      await c.next('room.joined');
      clients.push(c);
    }
    return { room, clients };
  }

  it('SFU › a room is mesh up to 4 members and moves to sfu when the 5th joins', async () => {
    const room = `big-${++roomSeq}`;
    const clients: TestClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await connectClient(server.wsUrl);
      await c.hello(`m${i}`);
      c.send({ type: 'room.join', id: i, room });
      const joined = await c.next('room.joined');
      assert.equal(joined.mode, i < 4 ? 'mesh' : 'sfu');
      clients.push(c);
    }
    for (const c of clients.slice(0, 4)) {
      assert.deepEqual(await c.next('room.mode'), { type: 'room.mode', room, mode: 'sfu' });
    }
    // A 6th member joins straight into sfu; nobody is told of a change again.
    const late = await connectClient(server.wsUrl);
    await late.hello('m5');
    late.send({ type: 'room.join', room });
    assert.equal((await late.next('room.joined')).mode, 'sfu');
    assert.equal(clients[0]!.frames.filter((f) => f.type === 'room.mode').length, 0);
  });

  it('SFU › publish and renegotiate go through Janus; subscriptions skip feeds that are not live', async () => {
    const { room, clients } = await fill(5, 'p');
    const [a, b] = clients as [TestClient, TestClient];
    a.send({
      type: 'sfu.publish',
      id: 'pub',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    const published = await a.next('sfu.published', { timeoutMs: 10_000 });
    assert.equal(published.re, 'pub');
    assert.equal(published.description.type, 'answer');
    assert.match(published.description.sdp, /^v=0/);
    // p0 is announced (`sfu.feeds`) once its media is up, which a hand-made SDP never gets to
    // (the browser tests cover that); until then nobody can subscribe to it: a plain ack.
    b.send({ type: 'sfu.subscribe', id: 'sub', room, feeds: ['p0', 'p1', 'nobody'] });
    assert.equal((await b.next('ack', { timeoutMs: 10_000 })).re, 'sub');
    b.send({ type: 'sfu.configure', id: 'cfg', room, feed: 'p0', substream: 1 });
    assert.deepEqual(await b.next('error', { timeoutMs: 10_000 }), {
      type: 'error',
      re: 'cfg',
      code: 'FORBIDDEN',
      message: 'not receiving "p0"',
    });
    // A second offer on the same publisher connection renegotiates.
    a.send({
      type: 'sfu.publish',
      id: 'pub2',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await a.next('sfu.published', { timeoutMs: 10_000 })).re, 'pub2');
    a.send({ type: 'sfu.trickle', id: 'tr', room, target: 'publisher', candidate: null });
    assert.equal((await a.next('ack', { timeoutMs: 10_000 })).re, 'tr');

    // Unpublishing (or leaving) updates everyone's feeds.
    a.send({ type: 'sfu.unpublish', id: 'un', room });
    assert.equal((await a.next('ack', { timeoutMs: 10_000 })).re, 'un');
    assert.deepEqual((await b.next('sfu.feeds', { timeoutMs: 10_000 })).feeds, []);
  });

  it('SFU › a member leaving takes its feed away; an empty room goes back to mesh', async () => {
    const { room, clients } = await fill(5, 'l');
    const [a, b] = clients as [TestClient, TestClient];
    a.send({ type: 'sfu.publish', room, description: { type: 'offer', sdp: fakePublisherOffer() } });
    await a.next('sfu.published', { timeoutMs: 10_000 });
    a.send({ type: 'room.leave', room });
    await a.next('room.left');
    assert.deepEqual((await b.next('sfu.feeds', { timeoutMs: 10_000 })).feeds, []);
    for (const c of clients.slice(1)) {
      c.send({ type: 'room.leave', room });
      await c.next('room.left');
    }
    const again = await connectClient(server.wsUrl);
    await again.hello('l-again');
    again.send({ type: 'room.join', room });
    assert.equal((await again.next('room.joined')).mode, 'mesh');
  });

  it('SFU › clients cannot reach Janus: sfu.* frames are checked before anything is forwarded', async () => {
    const { room, clients } = await fill(5, 'h');
    const [a] = clients as [TestClient];
    const refused = async (frame: Record<string, unknown>, code: string) => {
      a.send({ id: 'x', ...frame });
      const e = await a.next('error', { timeoutMs: 10_000 });
      assert.equal(e.code, code, JSON.stringify(frame).slice(0, 120));
      assert.equal(e.re, 'x');
    };
    const offer = { type: 'offer', sdp: fakePublisherOffer() };
    // Janus's own vocabulary, smuggled in extra fields, is refused by the schema.
    await refused({ type: 'sfu.publish', room, description: offer, janus: 'create' }, 'BAD_MESSAGE');
    await refused(
      { type: 'sfu.publish', room, description: offer, body: { request: 'destroy' } },
      'BAD_MESSAGE',
    );
    await refused({ type: 'sfu.publish', room, description: { ...offer, admin_key: 'x' } }, 'BAD_MESSAGE');
    await refused({ type: 'sfu.subscribe', room, feeds: [{ feed: 1 }] }, 'BAD_MESSAGE');
    await refused({ type: 'sfu.subscribe', room, feeds: ['a'], streams: [{ feed: 1 }] }, 'BAD_MESSAGE');
    await refused(
      { type: 'sfu.subscribe', room, feeds: ['a'], refresh: ['a', 'b', 'c', 'd', 'e'] },
      'BAD_MESSAGE',
    );
    await refused({ type: 'sfu.configure', room, feed: 'h1', request: 'kick' }, 'BAD_MESSAGE');
    await refused({ type: 'sfu.configure', room, feed: 'h1', substream: 7 }, 'BAD_MESSAGE');
    await refused({ type: 'janus', janus: 'message' }, 'UNKNOWN_TYPE');
    await refused({ type: 'sfu.create', room }, 'UNKNOWN_TYPE');
    // Wrong description types, oversized SDP and candidates.
    await refused({ type: 'sfu.publish', room, description: { type: 'answer', sdp: 'v=0' } }, 'BAD_MESSAGE');
    await refused({ type: 'sfu.answer', room, description: { type: 'offer', sdp: 'v=0' } }, 'BAD_MESSAGE');
    await refused(
      { type: 'sfu.publish', room, description: { type: 'offer', sdp: 'v'.repeat(60_001) } },
      'BAD_MESSAGE',
    );
    await refused(
      { type: 'sfu.trickle', room, target: 'publisher', candidate: { candidate: 'c'.repeat(1025) } },
      'BAD_MESSAGE',
    );
    await refused({ type: 'sfu.trickle', room, target: 'admin', candidate: null }, 'BAD_MESSAGE');
    // Garbage SDP reaches Janus only as an SDP, and its refusal is the client's error.
    await refused(
      { type: 'sfu.publish', room, description: { type: 'offer', sdp: 'not an sdp' } },
      'BAD_MESSAGE',
    );
    // Order and membership rules.
    await refused({ type: 'sfu.answer', room, description: { type: 'answer', sdp: 'v=0' } }, 'FORBIDDEN');
    await refused({ type: 'sfu.trickle', room, target: 'subscriber', candidate: null }, 'FORBIDDEN');
    await refused({ type: 'sfu.publish', room: 'elsewhere', description: offer }, 'NOT_IN_ROOM');
    // A mesh room has no SFU.
    const mesh = await fill(1, 'mesh');
    mesh.clients[0]!.send({ type: 'sfu.publish', id: 'm', room: mesh.room, description: offer });
    assert.equal((await mesh.clients[0]!.next('error', { timeoutMs: 10_000 })).code, 'SFU_UNAVAILABLE');
    // The session, and the SFU, still work after all that.
    a.send({ type: 'sfu.publish', id: 'ok', room, description: offer });
    assert.equal((await a.next('sfu.published', { timeoutMs: 10_000 })).re, 'ok');
  });

  it('SFU › Janus down: /healthz degraded, members told; back: rooms recreated, members re-publish', async () => {
    const { room, clients } = await fill(5, 'r');
    const [a, b] = clients as [TestClient, TestClient];
    a.send({ type: 'sfu.publish', room, description: { type: 'offer', sdp: fakePublisherOffer() } });
    await a.next('sfu.published', { timeoutMs: 10_000 });
    await janus.stop();
    for (const c of clients) {
      const e = await c.next('error', { timeoutMs: 10_000 });
      assert.equal(e.code, 'SFU_UNAVAILABLE');
    }
    await until(async () => (await server.health()).status === 'degraded', {
      what: 'the server to report degraded',
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    assert.equal((await server.health()).sfu, 'unreachable');
    a.send({
      type: 'sfu.publish',
      id: 'down',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    const e = await a.next('error', { timeoutMs: 10_000 });
    assert.deepEqual([e.code, e.re], ['SFU_UNAVAILABLE', 'down']);

    await janus.restart();
    for (const c of clients) {
      assert.deepEqual(await c.next('room.mode', { timeoutMs: 15_000 }), {
        type: 'room.mode',
        room,
        mode: 'sfu',
      });
    }
    assert.equal((await server.health()).status, 'ok');
    a.send({
      type: 'sfu.publish',
      id: 'again',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await a.next('sfu.published', { timeoutMs: 10_000 })).re, 'again');
    b.send({ type: 'sfu.subscribe', id: 'sub', room, feeds: ['r0'] });
    assert.equal((await b.next('ack', { timeoutMs: 10_000 })).re, 'sub');
  });
});

describe('SFU rooms without Janus', () => {
  after(stopAllServers);
  afterEach(closeAllClients);

  it('SFU › without PARLEY_JANUS_URL rooms stay mesh and sfu.* answers SFU_UNAVAILABLE', async () => {
    const server = await startServer();
    const room = 'plain';
    const clients: TestClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await connectClient(server.wsUrl);
      await c.hello(`n${i}`);
      c.send({ type: 'room.join', room });
      const joined = await c.next('room.joined');
      assert.equal(joined.mode, undefined);
      clients.push(c);
    }
    clients[5]!.send({ type: 'sfu.subscribe', id: 1, room, feeds: [] });
    assert.equal((await clients[5]!.next('error')).code, 'SFU_UNAVAILABLE');
    assert.equal((await server.health()).sfu, undefined);
  });
});
