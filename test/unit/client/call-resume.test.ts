/**
 * SDK › a call that outlives a server restart: after a non-resumed `welcome` the client claims
 * each answered call with `call.resume`, and on `call.resumed` its peer session resyncs.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../helpers/wait.ts';
import { closeClients, type FakeSocket, onFakes, openClient, welcome } from './fakes.ts';

afterEach(closeClients);

async function inCall() {
  const { client, s, sockets } = await openClient();
  const pending = client.call('bob', { media: false });
  await until(() => s.last('call.invite'), { ...onFakes, what: 's.last("call.invite")' });
  s.push({ type: 'call.ringing', re: s.last('call.invite')?.id, call: 'c1', to: 'bob' });
  const call = await pending;
  s.push({ type: 'call.accepted', call: 'c1', peer: 'bob' });
  return { client, call, s, sockets };
}

describe('ParleyClient › call.resume', () => {
  it('claims its answered call after a fresh (not resumed) session, and resyncs on call.resumed', async () => {
    const { call, s, sockets } = await inCall();
    const lost: string[] = [];
    call.peer!.signalingLost = (reason) => lost.push(reason ?? '');
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'reconnect' });
    const s2 = sockets[1] as FakeSocket;
    s2.accept();
    s2.push(welcome({ re: s2.last('hello')?.id, resumed: false }));
    await until(() => s2.last('call.resume'), { ...onFakes, what: 'call.resume sent' });
    const claim = s2.last('call.resume');
    assert.equal(claim?.call, 'c1');
    assert.equal(claim?.peer, 'bob');
    assert.notEqual(call.state, 'ended', 'the call goes on while the server relearns it');
    s2.push({ type: 'call.resumed', call: 'c1', peer: 'bob' });
    assert.deepEqual(lost, ['call-resumed']);
  });

  it('sends no claim after a resumed session (the server kept the call)', async () => {
    const { s, sockets } = await inCall();
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'reconnect' });
    const s2 = sockets[1] as FakeSocket;
    s2.accept();
    s2.push(welcome({ re: s2.last('hello')?.id, resumed: true }));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(s2.last('call.resume'), undefined);
  });
});
