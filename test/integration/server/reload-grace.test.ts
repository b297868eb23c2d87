/**
 * Reloads and closed tabs (issue 20, points 2 and 9): a page that says `leaving` before its
 * socket drops keeps its session only for the short reload grace (PARLEY_RELOAD_GRACE_S); the
 * other party of its call sees `call.held`, not "hung up"; a reloaded page takes its call up
 * again with `call.rejoin` and its rooms with a repeated `room.join` (`peer.joined {restart}`).
 * A socket the client closes with 1001 (going away: what browsers send as a page unloads) counts
 * as `leaving`, for its own live session only.
 * And, as a stranger would try: `leaving` repeated, `call.rejoin` for someone else's call, twice,
 * on a fresh session, racing the grace; 1001 on a replaced socket, before hello, after a resume.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectCall, shareRoom } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

/** Says `leaving` (confirmed by its ack), then drops the socket as a closing page does. */
async function leave(c: TestClient, id = 'lv'): Promise<void> {
  c.send({ type: 'leaving', id });
  assert.deepEqual(await c.next('ack'), { type: 'ack', re: id });
  c.ws.close();
  await c.closed;
}

describe('Reload grace', () => {
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('Reload grace › a closed tab that said leaving is offline and its name free within the reload grace', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '0.5' });
    const watcher = await connectClient(server.wsUrl);
    await watcher.hello('rg-watch');
    watcher.send({ type: 'presence.subscribe', id: 'p' });
    await watcher.next('presence.listed');
    const a = await connectClient(server.wsUrl);
    await a.hello('rg-a');
    assert.deepEqual((await watcher.next('presence.changed')).online, ['rg-a']);
    const t0 = Date.now();
    // Repeated `leaving` changes nothing more (idempotent) and ends nothing by itself.
    a.send({ type: 'leaving' });
    a.send({ type: 'leaving' });
    await leave(a);
    assert.deepEqual((await watcher.next('presence.changed')).offline, ['rg-a']);
    assert.ok(Date.now() - t0 < 5_000, `offline after ${Date.now() - t0} ms`);
    const again = await connectClient(server.wsUrl);
    assert.equal((await again.hello('rg-a')).resumed, false);
  });

  it('Reload grace › without leaving, a dropped socket keeps the full grace (the name stays taken)', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '0.2' });
    const a = await connectClient(server.wsUrl);
    await a.hello('rg-drop');
    a.ws.terminate();
    await a.closed;
    await new Promise((r) => setTimeout(r, 600));
    const other = await connectClient(server.wsUrl);
    other.send({ type: 'hello', id: 'h', versions: ['1'], name: 'rg-drop' });
    assert.equal((await other.next('error')).code, 'NAME_TAKEN');
  });

  it('Reload grace › a socket the client closes with 1001 (a page going away) counts as leaving; other close codes do not', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '0.5' });
    const watcher = await connectClient(server.wsUrl);
    await watcher.hello('ga-watch');
    watcher.send({ type: 'presence.subscribe', id: 'p' });
    await watcher.next('presence.listed');
    const a = await connectClient(server.wsUrl);
    await a.hello('ga-a');
    assert.deepEqual((await watcher.next('presence.changed')).online, ['ga-a']);
    // Firefox on a reload or a navigation closes the socket before the page could say `leaving`.
    const t0 = Date.now();
    a.ws.close(1001);
    assert.equal((await a.closed).code, 1001);
    assert.deepEqual((await watcher.next('presence.changed')).offline, ['ga-a']);
    assert.ok(Date.now() - t0 < 3_000, `offline after ${Date.now() - t0} ms`);
    // A normal close, an application code or none at all keep the full resume grace.
    for (const [i, close] of [
      (c: TestClient) => c.ws.close(1000),
      (c: TestClient) => c.ws.close(4001, 'leaving'),
      (c: TestClient) => c.ws.close(),
    ].entries()) {
      const c = await connectClient(server.wsUrl);
      await c.hello(`ga-keep${i}`);
      close(c);
      await c.closed;
    }
    await new Promise((r) => setTimeout(r, 900));
    for (const i of [0, 1, 2]) {
      const other = await connectClient(server.wsUrl);
      other.send({ type: 'hello', id: 'h', versions: ['1'], name: `ga-keep${i}` });
      assert.equal((await other.next('error')).code, 'NAME_TAKEN', `ga-keep${i} keeps its name`);
    }
  });

  it('Reload grace › 1001 only shortens the grace of its own live session: not a replaced socket, not before hello, not after a resume', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '0.3' });
    // Before hello there is no session: the close changes nothing for anyone.
    const early = await connectClient(server.wsUrl);
    early.ws.close(1001);
    await early.closed;
    // A socket replaced by a resume elsewhere closes with 1001: the session lives on, untouched.
    const a = await connectClient(server.wsUrl);
    const wa = await a.hello('ga-own');
    const a2 = await connectClient(server.wsUrl);
    const w2 = await a2.hello('ga-own', { resume: wa.session });
    assert.equal(w2.resumed, true);
    assert.equal((await a.next('error')).code, 'SESSION_REPLACED');
    a.ws.close(1001);
    await a.closed;
    // Then a plain drop of the live socket: the full grace (30 s), not the reload grace.
    a2.ws.terminate();
    await a2.closed;
    await new Promise((r) => setTimeout(r, 700));
    const other = await connectClient(server.wsUrl);
    other.send({ type: 'hello', id: 'h', versions: ['1'], name: 'ga-own' });
    assert.equal((await other.next('error')).code, 'NAME_TAKEN');
    // A page that went away (1001) and came back (resumed) is not leaving any more.
    const a3 = await connectClient(server.wsUrl);
    const w3 = await a3.hello('ga-own', { resume: w2.session });
    assert.equal(w3.resumed, true);
    a3.ws.close(1001);
    await a3.closed;
    const a4 = await connectClient(server.wsUrl);
    const w4 = await a4.hello('ga-own', { resume: w3.session });
    assert.equal(w4.resumed, true, 'resumed within the reload grace');
    a4.ws.terminate();
    await a4.closed;
    await new Promise((r) => setTimeout(r, 700));
    const again = await connectClient(server.wsUrl);
    again.send({ type: 'hello', id: 'h', versions: ['1'], name: 'ga-own' });
    assert.equal((await again.next('error')).code, 'NAME_TAKEN', 'the resume cleared the going-away mark');
  });

  it('Reload grace › a reload mid-call closed with 1001 and no `leaving`: call.held, then taken up again', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const wa = await a.hello('ga-ca');
    await b.hello('ga-cb');
    const call = await connectCall(a, b, 'ga-cb');
    a.ws.close(1001);
    await a.closed;
    assert.deepEqual(await b.next('call.held'), { type: 'call.held', call, peer: 'ga-ca', graceMs: 5000 });
    const a2 = await connectClient(server.wsUrl);
    assert.equal((await a2.hello('ga-ca', { resume: wa.session })).resumed, true);
    a2.send({ type: 'call.rejoin', id: 'rj', call });
    assert.equal((await a2.next('call.resumed')).call, call);
    assert.equal((await b.next('call.resumed')).restart, true);
  });

  it('Reload grace › a reload mid-call: the other party gets call.held, then call.resumed {restart}; signals flow; never hangup', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const wa = await a.hello('rg-ca');
    await b.hello('rg-cb');
    const call = await connectCall(a, b, 'rg-cb');
    await leave(a);
    const held = await b.next('call.held');
    assert.deepEqual(held, { type: 'call.held', call, peer: 'rg-ca', graceMs: 5000 });
    const a2 = await connectClient(server.wsUrl);
    assert.equal((await a2.hello('rg-ca', { resume: wa.session })).resumed, true);
    a2.send({ type: 'call.rejoin', id: 'rj', call });
    assert.deepEqual(await a2.next('call.resumed'), {
      type: 'call.resumed',
      re: 'rj',
      call,
      peer: 'rg-cb',
      restart: true,
    });
    assert.deepEqual(await b.next('call.resumed'), {
      type: 'call.resumed',
      call,
      peer: 'rg-ca',
      restart: true,
    });
    a2.send({ type: 'signal', to: 'rg-cb', data: { offer: 1 } });
    assert.deepEqual((await b.next('signal')).data, { offer: 1 });
    // A second rejoin on the same connection is refused (it would make b restart again).
    a2.send({ type: 'call.rejoin', id: 'rj2', call });
    const e = await a2.next('error');
    assert.equal(e.code, 'CALL_NOT_FOUND');
    assert.equal(e.re, 'rj2');
    // Well past the reload grace the call is still up: the resume cancelled it.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.frames.filter((f) => f.type === 'call.ended').length, 0);
    a2.send({ type: 'call.hangup', id: 'h', call });
    assert.equal((await b.next('call.ended')).reason, 'hangup');
  });

  it('Reload grace › a page that never comes back: the call ends peer_gone once the reload grace is over', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '0.3' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('rg-ga');
    await b.hello('rg-gb');
    const call = await connectCall(a, b, 'rg-gb');
    await leave(a);
    assert.equal((await b.next('call.held')).call, call);
    const ended = await b.next('call.ended');
    assert.equal(ended.reason, 'peer_gone');
    assert.equal(ended.call, call);
  });

  it('Reload grace › call.rejoin is refused for someone else’s call, on a fresh session, and on a ringing call', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const m = await connectClient(server.wsUrl);
    await a.hello('rg-xa');
    await b.hello('rg-xb');
    const wm = await m.hello('rg-xm');
    const call = await connectCall(a, b, 'rg-xb');
    // A stranger who even resumed its own session cannot take up a call it is not in.
    m.ws.terminate();
    await m.closed;
    const m2 = await connectClient(server.wsUrl);
    await m2.hello('rg-xm', { resume: wm.session });
    m2.send({ type: 'call.rejoin', id: 'x1', call });
    assert.equal((await m2.next('error')).code, 'CALL_NOT_FOUND');
    // A party's fresh (not resumed) connection cannot either: a live page needs no restart.
    a.send({ type: 'call.rejoin', id: 'x2', call });
    assert.equal((await a.next('error')).code, 'CALL_NOT_FOUND');
    assert.equal(b.frames.filter((f) => f.type === 'call.resumed').length, 0);
    // A ringing call cannot be taken up: its page was never in it.
    const c = await connectClient(server.wsUrl);
    const wc = await c.hello('rg-xc');
    const d = await connectClient(server.wsUrl);
    await d.hello('rg-xd');
    c.send({ type: 'call.invite', id: 'i', to: 'rg-xd' });
    const ringing = await c.next('call.ringing');
    c.ws.terminate();
    await c.closed;
    const c2 = await connectClient(server.wsUrl);
    await c2.hello('rg-xc', { resume: wc.session });
    c2.send({ type: 'call.rejoin', id: 'x3', call: ringing.call });
    assert.equal((await c2.next('error')).code, 'CALL_NOT_FOUND');
    // Malformed: an unexpected field is refused by the schema.
    c2.send({ type: 'leaving', id: 'bad', session: 'someone-else' } as never);
    assert.equal((await c2.next('error')).code, 'BAD_MESSAGE');
  });

  it('Reload grace › a reload in a room: membership kept through the grace, the repeated join announces peer.joined {restart} once', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '30', PARLEY_RELOAD_GRACE_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    const wa = await a.hello('rg-ra');
    await b.hello('rg-rb');
    await shareRoom('rg-room', a, b);
    await leave(a);
    const a2 = await connectClient(server.wsUrl);
    const w2 = await a2.hello('rg-ra', { resume: wa.session });
    assert.deepEqual(w2.rooms, ['rg-room']);
    a2.send({ type: 'room.join', id: 'j', room: 'rg-room' });
    assert.deepEqual((await a2.next('room.joined')).peers, ['rg-rb']);
    assert.deepEqual(await b.next('peer.joined'), {
      type: 'peer.joined',
      room: 'rg-room',
      name: 'rg-ra',
      restart: true,
    });
    // Joining again on the same connection announces nothing more.
    a2.send({ type: 'room.join', id: 'j2', room: 'rg-room' });
    await a2.next('room.joined');
    b.send({ type: 'ping', id: 'sync' });
    await b.next('pong');
    assert.equal(b.frames.filter((f) => f.type === 'peer.joined' && f.restart === true).length, 0);
    assert.equal(b.frames.filter((f) => f.type === 'peer.left').length, 0);
  });
});
