/**
 * Invites reach people who did not ask to hear from the sender, so they are bounded: a small
 * `data`, a per-(caller, callee) rate, and one ringing call per callee.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { LIMITS } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

describe('Invite limits', () => {
  let server: ParleyServer;
  let seq = 0;
  before(async () => {
    server = await startServer({ PARLEY_INVITES_PER_PEER_PER_MIN: '3' });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  async function person(tag: string): Promise<[TestClient, string]> {
    const c = await connectClient(server.wsUrl);
    const name = `${tag}${++seq}`;
    await c.hello(name);
    return [c, name];
  }

  it('call.invite › data up to 1 KiB of JSON rings; one byte more is BAD_MESSAGE and the callee hears nothing', async () => {
    const [a] = await person('il-a');
    const [b, bn] = await person('il-b');
    // {"n":"xxx…"} is 8 bytes of JSON around the string.
    const fits = { n: 'x'.repeat(LIMITS.callInviteDataMaxBytes - 8) };
    assert.equal(JSON.stringify(fits).length, LIMITS.callInviteDataMaxBytes);
    a.send({ type: 'call.invite', id: 1, to: bn, data: fits });
    const { call } = await a.next('call.ringing');
    assert.deepEqual((await b.next('call.incoming')).data, fits);
    a.send({ type: 'call.cancel', call });
    await a.next('call.ended');
    await b.next('call.ended');
    const over = { n: 'x'.repeat(LIMITS.callInviteDataMaxBytes - 7) };
    a.send({ type: 'call.invite', id: 2, to: bn, data: over });
    const e = await a.next('error');
    assert.equal(e.code, 'BAD_MESSAGE');
    assert.equal(e.re, 2);
    // Characters count as UTF-8 bytes: 600 × "é" is 604 characters of JSON but 1,204 bytes.
    a.send({ type: 'call.invite', id: 3, to: bn, data: ['é'.repeat(600)] });
    assert.equal((await a.next('error')).code, 'BAD_MESSAGE');
    a.send({ type: 'ping', id: 'sync' });
    await a.next('pong');
    assert.equal(b.frames.filter((f) => f.type === 'call.incoming').length, 0);
  });

  it('call.invite › one caller may ring one callee 3 times a minute (configured); then RATE_LIMITED, others unaffected', async () => {
    const [a] = await person('rl-a');
    const [b, bn] = await person('rl-b');
    const [c, cn] = await person('rl-c');
    for (let i = 0; i < 3; i++) {
      a.send({ type: 'call.invite', id: i, to: bn });
      const { call } = await a.next('call.ringing');
      await b.next('call.incoming');
      a.send({ type: 'call.cancel', call });
      await a.next('call.ended');
      await b.next('call.ended');
    }
    a.send({ type: 'call.invite', id: 'over', to: bn });
    const e = await a.next('error');
    assert.equal(e.code, 'RATE_LIMITED');
    assert.equal(e.re, 'over');
    a.send({ type: 'ping', id: 'sync' });
    await a.next('pong');
    assert.equal(b.frames.filter((f) => f.type === 'call.incoming').length, 0, 'the 4th did not ring');
    // The same caller may still call someone else, and someone else may call b.
    a.send({ type: 'call.invite', to: cn });
    const other = await a.next('call.ringing');
    await c.next('call.incoming');
    a.send({ type: 'call.cancel', call: other.call });
    await a.next('call.ended');
    c.send({ type: 'call.invite', to: bn });
    assert.equal((await c.next('call.ringing')).to, bn);
  });

  it('call.invite › a callee is rung by one caller at a time: the others get busy, nothing rings twice', async () => {
    const [b, bn] = await person('one-b');
    const callers = await Promise.all([1, 2, 3, 4].map(() => person('one-x')));
    for (const [c] of callers) c.send({ type: 'call.invite', to: bn });
    const replies = await Promise.all(callers.map(([c]) => c.next()));
    assert.equal(replies.filter((r) => r.type === 'call.ringing').length, 1);
    assert.equal(replies.filter((r) => r.type === 'call.ended' && r.reason === 'busy').length, 3);
    await b.next('call.incoming');
    b.send({ type: 'ping', id: 'sync' });
    await b.next('pong');
    assert.equal(b.frames.filter((f) => f.type === 'call.incoming').length, 0);
  });
});
