import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { shareRoom } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

describe('Session resume and grace', () => {
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('Session › resume restores rooms and flushes queued frames in order after welcome', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const wa = await a.hello('res-a');
    await b.hello('res-b');
    a.send({ type: 'room.join', room: 'keep' });
    await a.next('room.joined');
    b.send({ type: 'room.join', room: 'keep' });
    await b.next('room.joined');
    await a.next('peer.joined');
    a.ws.terminate();
    await a.closed;
    await until(async () => (await server.health()).connections === 1, {
      what: 'the server to count one connection',
      timeoutMs: 3_000,
      intervalMs: 10,
    });
    // While a is detached, frames for it are queued (signals and room messages alike).
    for (let i = 0; i < 20; i++) b.send({ type: 'signal', to: 'res-a', data: { i } });
    b.send({ type: 'room.message', room: 'keep', data: 'queued' });
    b.send({ type: 'ping', id: 'sync' });
    await b.next('pong');
    const a2 = await connectClient(server.wsUrl);
    a2.send({ type: 'hello', id: 1, versions: ['1'], name: 'res-a', resume: wa.session });
    const first = await a2.next();
    assert.equal(first.type, 'welcome');
    if (first.type !== 'welcome') return;
    assert.equal(first.resumed, true);
    assert.deepEqual(first.rooms, ['keep']);
    // A resume rotates the token (issue 15, finding 7).
    assert.notEqual(first.session, wa.session);
    for (let i = 0; i < 20; i++)
      assert.deepEqual(await a2.next(), { type: 'signal', from: 'res-b', data: { i } });
    assert.deepEqual(await a2.next(), { type: 'room.message', room: 'keep', from: 'res-b', data: 'queued' });
    // The resumed session is fully live: b's room messages reach it directly.
    b.send({ type: 'room.message', room: 'keep', data: 'live' });
    assert.equal((await a2.next('room.message')).data, 'live');
    assert.equal(b.frames.filter((f) => f.type === 'peer.left').length, 0);
  });

  it('Session › a reload with the token never meets NAME_TAKEN, even while the old socket is open', async () => {
    const server = await startServer();
    const a = await connectClient(server.wsUrl);
    const w = await a.hello('reload');
    const a2 = await connectClient(server.wsUrl);
    const w2 = await a2.hello('reload', { resume: w.session });
    assert.equal(w2.resumed, true);
    const e = await a.next('error');
    assert.equal(e.code, 'SESSION_REPLACED');
    assert.deepEqual(await a.closed, { code: 4004, reason: 'SESSION_REPLACED' });
    // The replaced socket's close does not detach the session: it still relays.
    const b = await connectClient(server.wsUrl);
    await b.hello('reload-peer');
    await shareRoom('reload-room', a2, b);
    b.send({ type: 'signal', to: 'reload', data: 1 });
    assert.equal((await a2.next('signal')).from, 'reload-peer');
  });

  it('Session › an unknown or expired token with a free name gives a fresh session', async () => {
    const server = await startServer();
    const a = await connectClient(server.wsUrl);
    const w = await a.hello('fresh', { resume: 'x'.repeat(43) });
    assert.equal(w.resumed, false);
    assert.notEqual(w.session, 'x'.repeat(43));
  });

  it('Session › grace expiry: peers get peer.left gone, the call ends peer_gone, the name is freed', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '0.3' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('gone-a');
    await b.hello('gone-b');
    for (const c of [a, b]) {
      c.send({ type: 'room.join', room: 'g' });
      await c.next('room.joined');
    }
    a.send({ type: 'call.invite', to: 'gone-b' });
    const ringing = await a.next('call.ringing');
    await b.next('call.incoming');
    b.send({ type: 'call.accept', call: ringing.call });
    await b.next('call.accepted');
    a.ws.terminate();
    const started = Date.now();
    assert.deepEqual(await b.next('peer.left', { timeoutMs: 3000 }), {
      type: 'peer.left',
      room: 'g',
      name: 'gone-a',
      reason: 'gone',
    });
    const ended = await b.next('call.ended', { timeoutMs: 3000 });
    assert.equal(ended.reason, 'peer_gone');
    assert.equal(ended.peer, 'gone-a');
    assert.ok(Date.now() - started >= 250, 'not before the grace period');
    const again = await connectClient(server.wsUrl);
    assert.equal((await again.hello('gone-a')).resumed, false);
  });

  it('Session › queue overflow drops the oldest frames and counts them', async () => {
    const server = await startServer({ PARLEY_QUEUE_MAX: '5', PARLEY_GRACE_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const w = await a.hello('ovf-a');
    await b.hello('ovf-b');
    await shareRoom('ovf', a, b);
    a.ws.terminate();
    await until(async () => (await server.health()).connections === 1, {
      what: 'the server to count one connection',
      timeoutMs: 3_000,
      intervalMs: 10,
    });
    for (let i = 0; i < 8; i++) b.send({ type: 'signal', to: 'ovf-a', data: i });
    b.send({ type: 'ping', id: 1 });
    await b.next('pong');
    const a2 = await connectClient(server.wsUrl);
    await a2.hello('ovf-a', { resume: w.session });
    const got = [];
    for (let i = 0; i < 5; i++) got.push((await a2.next('signal')).data);
    assert.deepEqual(got, [3, 4, 5, 6, 7]);
    const metrics = await server.metrics.registry.getSingleMetricAsString('parley_queue_dropped_total');
    assert.match(metrics, /parley_queue_dropped_total\{reason="frames"\} 3/);
  });
});
