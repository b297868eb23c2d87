import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

// A callee whose client is briefly away (its session in resume grace) is still rung: the
// caller hears "reaching", and a client back within the ring time rings with the time left.
describe('Calls › ringing a session in resume grace', () => {
  afterEach(closeAllClients);
  after(stopAllServers);

  async function setup(ringS: string) {
    const server = await startServer({ PARLEY_GRACE_S: '5', PARLEY_RING_TIMEOUT_S: ringS });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('g-alice');
    const wb = await b.hello('g-bob');
    return { server, a, b, wb };
  }

  it('tells the caller ringing when the callee’s client is there, with the ring time on the incoming', async () => {
    const { a, b } = await setup('2');
    a.send({ type: 'call.invite', id: 1, to: 'g-bob' });
    const ringing = await a.next('call.ringing');
    assert.equal(ringing.reach, 'ringing');
    assert.equal((await b.next('call.incoming')).ringMs, 2000);
  });

  it('says reaching while the callee is in grace; on resume the callee rings with the time left, the caller hears ringing', async () => {
    const { server, a, b, wb } = await setup('3');
    b.ws.terminate();
    await b.closed;
    await until(async () => (await server.health()).connections === 1, {
      what: 'bob detached',
      timeoutMs: 3_000,
      intervalMs: 10,
    });
    a.send({ type: 'call.invite', id: 1, to: 'g-bob' });
    const ringing = await a.next('call.ringing');
    assert.equal(ringing.reach, 'reaching', 'bob’s client is away');
    await new Promise((r) => setTimeout(r, 500));
    const b2 = await connectClient(server.wsUrl);
    b2.send({ type: 'hello', id: 1, versions: ['1'], name: 'g-bob', resume: wb.session });
    const w = await b2.next('welcome');
    assert.equal(w.resumed, true);
    const queued = await b2.next('call.incoming');
    assert.equal(queued.call, ringing.call);
    assert.equal(queued.ringMs, 3000, 'the queued frame carries the time left when it was queued');
    const fresh = await b2.next('call.incoming');
    assert.equal(fresh.call, ringing.call);
    assert.ok(
      fresh.ringMs !== undefined && fresh.ringMs < 2600 && fresh.ringMs > 1000,
      `time left ${fresh.ringMs}`,
    );
    const now = await a.next('call.ringing');
    assert.deepEqual(now, { type: 'call.ringing', call: ringing.call, to: 'g-bob', reach: 'ringing' });
    // It is a real ringing call: bob can answer it.
    b2.send({ type: 'call.accept', id: 2, call: ringing.call });
    assert.equal((await a.next('call.accepted')).peer, 'g-bob');
  });

  it('a callee back after the ring time gets the ring and its end, nothing renewed', async () => {
    const { server, a, b, wb } = await setup('0.3');
    b.ws.terminate();
    await b.closed;
    await until(async () => (await server.health()).connections === 1, {
      what: 'bob detached',
      timeoutMs: 3_000,
      intervalMs: 10,
    });
    a.send({ type: 'call.invite', id: 1, to: 'g-bob' });
    const { call } = await a.next('call.ringing');
    assert.equal((await a.next('call.ended')).reason, 'no_answer');
    const b2 = await connectClient(server.wsUrl);
    b2.send({ type: 'hello', id: 1, versions: ['1'], name: 'g-bob', resume: wb.session });
    await b2.next('welcome');
    assert.equal((await b2.next('call.incoming')).call, call);
    const ended = await b2.next('call.ended');
    assert.equal(ended.reason, 'no_answer');
    b2.send({ type: 'ping', id: 'sync' });
    await b2.next('pong');
    assert.equal(
      b2.frames.filter((f) => f.type === 'call.incoming').length,
      0,
      'no renewed ring after the queued one',
    );
  });
});

describe('Calls › missed calls told at the next welcome', () => {
  afterEach(closeAllClients);
  after(stopAllServers);

  it('a callee away past the ring time, even past its grace, hears of the call at its next login', async () => {
    const server = await startServer({ PARLEY_GRACE_S: '0.6', PARLEY_RING_TIMEOUT_S: '0.3' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('ms-alice');
    await b.hello('ms-bob');
    b.ws.terminate();
    await b.closed;
    a.send({ type: 'call.invite', id: 1, to: 'ms-bob' });
    const { call } = await a.next('call.ringing');
    assert.equal((await a.next('call.ended')).reason, 'no_answer');
    await until(async () => (await server.health()).sessions === 1, {
      what: 'bob’s session to expire',
      timeoutMs: 3_000,
      intervalMs: 20,
    });
    const b2 = await connectClient(server.wsUrl);
    const w = await b2.hello('ms-bob');
    assert.equal(w.resumed, false);
    const missed = await b2.next('call.missed');
    assert.equal(missed.calls.length, 1);
    assert.deepEqual({ ...missed.calls[0], at: 0 }, { call, from: 'ms-alice', at: 0, reason: 'no_answer' });
    // Told once: a later login of the same name hears nothing more.
    b2.send({ type: 'bye' });
    await b2.closed;
    const b3 = await connectClient(server.wsUrl);
    await b3.hello('ms-bob');
    b3.send({ type: 'ping', id: 'sync' });
    await b3.next('pong');
    assert.equal(b3.frames.filter((f) => f.type === 'call.missed').length, 0);
  });

  it('a declined or answered call is not a missed one', async () => {
    const server = await startServer({ PARLEY_RING_TIMEOUT_S: '5' });
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello('md-alice');
    const wb = await b.hello('md-bob');
    a.send({ type: 'call.invite', id: 1, to: 'md-bob' });
    const { call } = await b.next('call.incoming');
    b.send({ type: 'call.decline', id: 2, call });
    await b.next('call.ended');
    b.ws.terminate();
    await b.closed;
    const b2 = await connectClient(server.wsUrl);
    b2.send({ type: 'hello', id: 1, versions: ['1'], name: 'md-bob', resume: wb.session });
    await b2.next('welcome');
    b2.send({ type: 'ping', id: 'sync' });
    await b2.next('pong');
    assert.equal(b2.frames.filter((f) => f.type === 'call.missed').length, 0);
  });
});
