import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { shareRoom } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

describe('Server flows', () => {
  let server: ParleyServer;
  before(async () => {
    server = await startServer({
      PARLEY_RATE_PER_S: '100000',
      PARLEY_RATE_BURST: '100000',
      PARLEY_RATE_BYTES_PER_S: '1000000000',
      PARLEY_RATE_BYTES_BURST: '1000000000',
      PARLEY_MAX_CONNS_PER_IP: '1000',
    });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  it('hello › answers welcome with version, name, token, heartbeat and grace, echoing the id', async () => {
    const a = await connectClient(server.wsUrl);
    a.send({ type: 'hello', id: 7, versions: ['2', '1'], name: 'flow-alice' });
    const w = await a.next('welcome');
    assert.equal(w.re, 7);
    assert.equal(w.version, '1');
    assert.equal(w.name, 'flow-alice');
    assert.match(w.session, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(w.resumed, false);
    assert.deepEqual(w.rooms, []);
    // Nothing configured: only the built-in STUN server, under the host the client used (issue 20).
    assert.deepEqual(w.iceServers, [{ urls: [`stun:127.0.0.1:${server.stun.port}`] }]);
    assert.equal(w.heartbeatMs, 15000);
    assert.equal(w.graceMs, 20000);
  });

  it('signal › relays with a server-stamped from, acks requests with an id', async () => {
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('sig-a');
    await b.hello('sig-b');
    await shareRoom('sig', a, b);
    a.send({ type: 'signal', id: 'x1', to: 'sig-b', data: { kind: 'description', sdp: 'v=0' } });
    assert.deepEqual(await a.next('ack'), { type: 'ack', re: 'x1' });
    assert.deepEqual(await b.next('signal'), {
      type: 'signal',
      from: 'sig-a',
      data: { kind: 'description', sdp: 'v=0' },
    });
    a.send({ type: 'signal', to: 'sig-b', data: null });
    assert.deepEqual(await b.next('signal'), { type: 'signal', from: 'sig-a', data: null });
  });

  it('signal › preserves per-sender order over 1,000 messages', async () => {
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('order-a');
    await b.hello('order-b');
    await shareRoom('order', a, b);
    for (let i = 0; i < 1000; i++) a.send({ type: 'signal', to: 'order-b', data: { i } });
    for (let i = 0; i < 1000; i++) {
      const s = await b.next('signal');
      assert.deepEqual(s.data, { i });
    }
  });

  it('hello › of 100 concurrent hellos with one name, exactly one wins', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => connectClient(server.wsUrl)));
    const more = await Promise.all(Array.from({ length: 60 }, () => connectClient(server.wsUrl)));
    const all = [...clients, ...more];
    for (const c of all) c.send({ type: 'hello', versions: ['1'], name: 'contested' });
    const outcomes = await Promise.all(
      all.map(async (c) => {
        const f = await c.next(undefined, { timeoutMs: 5000 });
        return f.type === 'welcome' ? 'won' : f.type === 'error' ? f.code : f.type;
      }),
    );
    assert.equal(outcomes.filter((o) => o === 'won').length, 1);
    assert.equal(outcomes.filter((o) => o === 'NAME_TAKEN').length, 99);
  });

  it('hello › NAME_TAKEN is not fatal: the same socket may retry with another name', async () => {
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('taken');
    b.send({ type: 'hello', id: 1, versions: ['1'], name: 'taken' });
    const e = await b.next('error');
    assert.equal(e.code, 'NAME_TAKEN');
    assert.equal(e.re, 1);
    assert.equal(e.fatal, undefined);
    const w = await b.hello('taken-2');
    assert.equal(w.name, 'taken-2');
  });

  it('rooms › join, peer.joined, room.message to the others, leave, peer.left', async () => {
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const c = await connectClient(server.wsUrl);
    await a.hello('room-a');
    await b.hello('room-b');
    await c.hello('room-c');
    a.send({ type: 'room.join', id: 1, room: 'lobby' });
    assert.deepEqual(await a.next('room.joined'), { type: 'room.joined', room: 'lobby', peers: [], re: 1 });
    b.send({ type: 'room.join', room: 'lobby' });
    assert.deepEqual((await b.next('room.joined')).peers, ['room-a']);
    assert.deepEqual(await a.next('peer.joined'), { type: 'peer.joined', room: 'lobby', name: 'room-b' });
    b.send({ type: 'room.message', id: 'm', room: 'lobby', data: { text: 'hi' } });
    assert.deepEqual(await b.next('ack'), { type: 'ack', re: 'm' });
    assert.deepEqual(await a.next('room.message'), {
      type: 'room.message',
      room: 'lobby',
      from: 'room-b',
      data: { text: 'hi' },
    });
    // c is not a member: it gets nothing and may not post.
    c.send({ type: 'room.message', id: 2, room: 'lobby', data: 1 });
    assert.equal((await c.next('error')).code, 'NOT_IN_ROOM');
    b.send({ type: 'room.leave', id: 3, room: 'lobby' });
    assert.deepEqual(await b.next('room.left'), { type: 'room.left', room: 'lobby', re: 3 });
    assert.deepEqual(await a.next('peer.left'), {
      type: 'peer.left',
      room: 'lobby',
      name: 'room-b',
      reason: 'left',
    });
    assert.equal(b.frames.filter((f) => f.type === 'room.message').length, 0);
  });

  it('rooms › a password set by the first joiner is required from later ones', async () => {
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('pw-a');
    await b.hello('pw-b');
    a.send({ type: 'room.join', room: 'secret', password: 'hunter2-hunter2' });
    await a.next('room.joined');
    b.send({ type: 'room.join', id: 1, room: 'secret', password: 'wrong' });
    assert.equal((await b.next('error')).code, 'FORBIDDEN');
    b.send({ type: 'room.join', room: 'secret', password: 'hunter2-hunter2' });
    assert.deepEqual((await b.next('room.joined')).peers, ['pw-a']);
  });

  it('bye › ends the session at once: peers get peer.left left, the name is free again', async () => {
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('bye-a');
    await b.hello('bye-b');
    a.send({ type: 'room.join', room: 'r-bye' });
    await a.next('room.joined');
    b.send({ type: 'room.join', room: 'r-bye' });
    await b.next('room.joined');
    a.send({ type: 'bye', id: 9 });
    assert.deepEqual(await a.next('ack'), { type: 'ack', re: 9 });
    assert.equal((await a.closed).code, 1000);
    assert.deepEqual(await b.next('peer.left'), {
      type: 'peer.left',
      room: 'r-bye',
      name: 'bye-a',
      reason: 'left',
    });
    const again = await connectClient(server.wsUrl);
    assert.equal((await again.hello('bye-a')).resumed, false);
  });

  it('ping › answers pong with ts and re', async () => {
    const a = await connectClient(server.wsUrl);
    await a.hello('pinger');
    a.send({ type: 'ping', id: 5, ts: 123 });
    assert.deepEqual(await a.next('pong'), { type: 'pong', ts: 123, re: 5 });
  });

  it('presence › lists online names, then reports logins and departures', async () => {
    const a = await connectClient(server.wsUrl);
    await a.hello('pres-a');
    a.send({ type: 'presence.subscribe', id: 1 });
    const listed = await a.next('presence.listed');
    assert.equal(listed.re, 1);
    assert.ok(listed.names.includes('pres-a'));
    const b = await connectClient(server.wsUrl);
    await b.hello('pres-b');
    assert.deepEqual(await a.next('presence.changed'), {
      type: 'presence.changed',
      online: ['pres-b'],
      offline: [],
      total: listed.total! + 1,
    });
    b.send({ type: 'bye' });
    assert.deepEqual(await a.next('presence.changed'), {
      type: 'presence.changed',
      online: [],
      offline: ['pres-b'],
      total: listed.total,
    });
    a.send({ type: 'presence.unsubscribe', id: 2 });
    assert.deepEqual(await a.next('ack'), { type: 'ack', re: 2 });
    const c = await connectClient(server.wsUrl);
    await c.hello('pres-c');
    a.send({ type: 'ping', id: 3 });
    await a.next('pong');
    assert.equal(a.frames.filter((f) => f.type === 'presence.changed').length, 0);
  });
});
