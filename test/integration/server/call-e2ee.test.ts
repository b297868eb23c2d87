import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

// The wire of encrypted calls with agreed keys (docs/PROTOCOL.md, "Encrypted calls"): the
// server relays the caller's key commitment in `call.incoming` unchanged and refuses anything
// else in its place; the public keys travel as ordinary signals.

describe('Encrypted call invites', () => {
  let server: ParleyServer;
  let n = 0;
  const commit = Buffer.alloc(32, 9).toString('base64');
  before(async () => {
    server = await startServer({ PARLEY_RING_TIMEOUT_S: '2' });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  async function pair(): Promise<[TestClient, TestClient, string, string]> {
    n++;
    const a = await connectClient(server.wsUrl);
    const b = await connectClient(server.wsUrl);
    await a.hello(`ecaller${n}`);
    await b.hello(`ecallee${n}`);
    return [a, b, `ecaller${n}`, `ecallee${n}`];
  }

  it('the commitment reaches the callee as sent, and the key signals pass through', async () => {
    const [a, b, an, bn] = await pair();
    a.send({ type: 'call.invite', id: 1, to: bn, e2ee: { commit } });
    const ringing = await a.next('call.ringing');
    const incoming = await b.next('call.incoming');
    assert.deepEqual(incoming.e2ee, { commit });
    assert.equal(incoming.from, an);
    b.send({ type: 'call.accept', id: 2, call: ringing.call });
    const key = Buffer.alloc(65, 4).toString('base64');
    b.send({ type: 'signal', to: an, data: { kind: 'e2ee-key', scope: `call:${ringing.call}`, key } });
    const signal = await a.next('signal');
    assert.deepEqual(signal.data, { kind: 'e2ee-key', scope: `call:${ringing.call}`, key });
  });

  it('a malformed e2ee field is BAD_MESSAGE, no call is made, and the session goes on', async () => {
    const [a, b, , bn] = await pair();
    let id = 10;
    for (const bad of [
      true,
      'agree',
      {},
      { commit: `${commit}A` },
      { commit: commit.slice(4) },
      { commit: '!'.repeat(44) },
      { commit, key: 'x' },
      { commit: { deep: [[[[commit]]]] } },
      { commit: 'A'.repeat(1000) },
    ]) {
      a.send({ type: 'call.invite', id: ++id, to: bn, e2ee: bad });
      const e = await a.next('error');
      assert.equal(e.code, 'BAD_MESSAGE', JSON.stringify(bad).slice(0, 60));
      assert.equal(e.re, id);
    }
    // Nothing rang, and a well-formed invite still works.
    a.send({ type: 'call.invite', id: 99, to: bn, e2ee: { commit } });
    assert.equal((await a.next('call.ringing')).re, 99);
    assert.deepEqual((await b.next('call.incoming')).e2ee, { commit });
  });

  it('an invite without e2ee carries none', async () => {
    const [a, b, , bn] = await pair();
    a.send({ type: 'call.invite', id: 1, to: bn });
    await a.next('call.ringing');
    assert.equal((await b.next('call.incoming')).e2ee, undefined);
  });
});
