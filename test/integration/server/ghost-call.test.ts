/**
 * The ghost call (security review #1): an invite that cannot be completed must not leave a call
 * record behind that keeps its callee busy with an id neither party knows.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

describe('Ghost call', () => {
  let server: ParleyServer;
  before(async () => {
    server = await startServer({ PARLEY_RING_TIMEOUT_S: '2' });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  it('Calls › an invite with data nested 5,000 deep is refused and leaves the callee free to be called and to call', async () => {
    const mallory = await connectClient(server.wsUrl);
    const bob = await connectClient(server.wsUrl);
    const carol = await connectClient(server.wsUrl);
    await mallory.hello('g-mallory');
    await bob.hello('g-bob');
    await carol.hello('g-carol');
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    mallory.sendRaw(`{"type":"call.invite","id":1,"to":"g-bob","data":${deep}}`);
    const refused = await mallory.next('error');
    assert.equal(refused.re, 1);
    assert.notEqual(refused.code, 'INTERNAL');
    // bob can be called: carol's invite rings (no `busy`).
    carol.send({ type: 'call.invite', id: 2, to: 'g-bob' });
    const reply = await carol.next();
    assert.equal(reply.type, 'call.ringing', `carol's invite: ${JSON.stringify(reply)}`);
    const incoming = await bob.next('call.incoming');
    assert.equal(incoming.from, 'g-carol');
    bob.send({ type: 'call.decline', call: incoming.call });
    await bob.next('call.ended');
    await carol.next('call.ended');
    // bob can call someone.
    bob.send({ type: 'call.invite', id: 3, to: 'g-carol' });
    assert.equal((await bob.next()).type, 'call.ringing');
    assert.equal(bob.frames.filter((f) => f.type === 'call.incoming').length, 0, 'no stray ring');
  });
});
