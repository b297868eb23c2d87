import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

describe('Calls', () => {
  let server: ParleyServer;
  let n = 0;
  before(async () => {
    server = await startServer({ PARLEY_RING_TIMEOUT_S: '0.3' });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  async function pair(): Promise<[TestClient, TestClient, string, string]> {
    n++;
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello(`caller${n}`);
    await b.hello(`callee${n}`);
    return [a, b, `caller${n}`, `callee${n}`];
  }

  it('Calls › invite rings, accept connects both, hangup ends both with hangup', async () => {
    const [a, b, an, bn] = await pair();
    a.send({ type: 'call.invite', id: 1, to: bn, data: { video: true } });
    const ringing = await a.next('call.ringing');
    assert.equal(ringing.re, 1);
    assert.equal(ringing.to, bn);
    assert.deepEqual(await b.next('call.incoming'), {
      type: 'call.incoming',
      call: ringing.call,
      from: an,
      data: { video: true },
      ringMs: 300,
    });
    b.send({ type: 'call.accept', id: 2, call: ringing.call });
    assert.deepEqual(await b.next('call.accepted'), {
      type: 'call.accepted',
      call: ringing.call,
      peer: an,
      re: 2,
    });
    assert.deepEqual(await a.next('call.accepted'), { type: 'call.accepted', call: ringing.call, peer: bn });
    a.send({ type: 'call.hangup', id: 3, call: ringing.call });
    assert.deepEqual(await a.next('call.ended'), {
      type: 'call.ended',
      call: ringing.call,
      peer: bn,
      reason: 'hangup',
      by: an,
      re: 3,
    });
    assert.deepEqual(await b.next('call.ended'), {
      type: 'call.ended',
      call: ringing.call,
      peer: an,
      reason: 'hangup',
      by: an,
    });
    // The call is gone: a second hangup is CALL_NOT_FOUND.
    b.send({ type: 'call.hangup', id: 4, call: ringing.call });
    const e = await b.next('error');
    assert.equal(e.code, 'CALL_NOT_FOUND');
    assert.equal(e.re, 4);
  });

  it('Calls › decline ends it declined; decline with busy ends it busy', async () => {
    const [a, b, , bn] = await pair();
    for (const busy of [false, true]) {
      a.send({ type: 'call.invite', to: bn });
      const { call } = await a.next('call.ringing');
      await b.next('call.incoming');
      b.send({ type: 'call.decline', id: 'd', call, busy });
      const reason = busy ? 'busy' : 'declined';
      const mine = await b.next('call.ended');
      assert.equal(mine.reason, reason);
      assert.equal(mine.re, 'd');
      const theirs = await a.next('call.ended');
      assert.equal(theirs.reason, reason);
      assert.equal(theirs.by, bn);
    }
  });

  it('Calls › a callee already in a call makes the invite end busy at once', async () => {
    const [a, b, , bn] = await pair();
    const [c] = await pair();
    a.send({ type: 'call.invite', to: bn });
    await a.next('call.ringing');
    await b.next('call.incoming');
    c.send({ type: 'call.invite', id: 1, to: bn });
    const ended = await c.next('call.ended');
    assert.equal(ended.reason, 'busy');
    assert.equal(ended.re, 1);
    assert.equal(ended.peer, bn);
    assert.equal(b.frames.filter((f) => f.type === 'call.incoming').length, 0);
  });

  it('Calls › inviting while in a call is FORBIDDEN', async () => {
    const [a, b, , bn] = await pair();
    const [, , , dn] = await pair();
    a.send({ type: 'call.invite', to: bn });
    await a.next('call.ringing');
    await b.next('call.incoming');
    a.send({ type: 'call.invite', id: 2, to: dn });
    const e = await a.next('error');
    assert.equal(e.code, 'FORBIDDEN');
    assert.equal(e.re, 2);
  });

  it('Calls › cancel by the caller while ringing ends it cancelled for both', async () => {
    const [a, b, an] = await pair();
    const bn = `callee${n}`;
    a.send({ type: 'call.invite', to: bn });
    const { call } = await a.next('call.ringing');
    await b.next('call.incoming');
    // Only the caller may cancel.
    b.send({ type: 'call.cancel', call });
    assert.equal((await b.next('error')).code, 'CALL_NOT_FOUND');
    a.send({ type: 'call.cancel', call });
    assert.equal((await a.next('call.ended')).reason, 'cancelled');
    const theirs = await b.next('call.ended');
    assert.equal(theirs.reason, 'cancelled');
    assert.equal(theirs.by, an);
  });

  it('Calls › no answer within the ring timeout ends it no_answer for both', async () => {
    const [a, b] = await pair();
    a.send({ type: 'call.invite', to: `callee${n}` });
    const { call } = await a.next('call.ringing');
    await b.next('call.incoming');
    const [ea, eb] = await Promise.all([a.next('call.ended'), b.next('call.ended')]);
    assert.equal(ea.reason, 'no_answer');
    assert.equal(eb.reason, 'no_answer');
    assert.equal(ea.call, call);
    b.send({ type: 'call.accept', call });
    assert.equal((await b.next('error')).code, 'CALL_NOT_FOUND');
  });

  it('Calls › bye during a call ends it hangup for the other party', async () => {
    const [a, b, , bn] = await pair();
    a.send({ type: 'call.invite', to: bn });
    const { call } = await a.next('call.ringing');
    await b.next('call.incoming');
    b.send({ type: 'call.accept', call });
    await a.next('call.accepted');
    b.send({ type: 'bye' });
    const ended = await a.next('call.ended');
    assert.equal(ended.reason, 'hangup');
    assert.equal(ended.by, bn);
    assert.equal(ended.peer, bn);
  });

  it('Calls › unknown callee is PEER_NOT_FOUND; calling yourself is FORBIDDEN; accept by caller is CALL_NOT_FOUND', async () => {
    const [a, b, an, bn] = await pair();
    a.send({ type: 'call.invite', id: 1, to: 'nobody-here' });
    assert.equal((await a.next('error')).code, 'PEER_NOT_FOUND');
    a.send({ type: 'call.invite', id: 2, to: an });
    assert.equal((await a.next('error')).code, 'FORBIDDEN');
    a.send({ type: 'call.invite', to: bn });
    const { call } = await a.next('call.ringing');
    await b.next('call.incoming');
    a.send({ type: 'call.accept', call });
    assert.equal((await a.next('error')).code, 'CALL_NOT_FOUND');
    a.send({ type: 'call.accept', call: 'no-such-call' });
    assert.equal((await a.next('error')).code, 'CALL_NOT_FOUND');
  });
});
