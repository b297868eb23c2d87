/**
 * Two server nodes sharing one directory and call store act as one: names are unique across
 * nodes, and signals, room messages, presence and calls cross between them through the
 * directory's routing (the path a Redis directory takes between processes).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { MemoryCallStore, MemoryDirectory, type ParleyServer } from '@parley/server';
import { shareRoom } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

describe('Cluster of two nodes on one directory', () => {
  let n1: ParleyServer;
  let n2: ParleyServer;
  const directory = new MemoryDirectory();
  before(async () => {
    const callStore = new MemoryCallStore();
    n1 = await startServer({}, { directory, callStore, nodeId: 'node-1' });
    n2 = await startServer({}, { directory, callStore, nodeId: 'node-2' });
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllServers();
    await directory.close();
  });

  it('Cluster › a name held on one node is taken on the other', async () => {
    const a = await connectClient(n1.wsUrl);
    await a.hello('cl-unique');
    const b = await connectClient(n2.wsUrl);
    b.send({ type: 'hello', versions: ['1'], name: 'cl-unique' });
    assert.equal((await b.next('error')).code, 'NAME_TAKEN');
  });

  it('Cluster › signals cross nodes in order; unknown names are PEER_NOT_FOUND', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('cl-a');
    await b.hello('cl-b');
    await shareRoom('cl-sig', a, b);
    for (let i = 0; i < 90; i++) a.send({ type: 'signal', to: 'cl-b', data: i });
    for (let i = 0; i < 90; i++)
      assert.deepEqual(await b.next('signal'), { type: 'signal', from: 'cl-a', data: i });
    a.send({ type: 'signal', id: 1, to: 'cl-nobody', data: 0 });
    assert.equal((await a.next('error')).code, 'PEER_NOT_FOUND');
  });

  it('Cluster › rooms, presence and calls span nodes', async () => {
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('cl-ra');
    a.send({ type: 'presence.subscribe' });
    await a.next('presence.listed');
    await b.hello('cl-rb');
    const changed = await a.next('presence.changed');
    assert.deepEqual([changed.online, changed.offline], [['cl-rb'], []]);
    a.send({ type: 'room.join', room: 'span' });
    await a.next('room.joined');
    b.send({ type: 'room.join', room: 'span' });
    assert.deepEqual((await b.next('room.joined')).peers, ['cl-ra']);
    assert.equal((await a.next('peer.joined')).name, 'cl-rb');
    b.send({ type: 'room.message', room: 'span', data: 'across' });
    assert.equal((await a.next('room.message')).data, 'across');
    a.send({ type: 'call.invite', to: 'cl-rb' });
    const { call } = await a.next('call.ringing');
    assert.equal((await b.next('call.incoming')).call, call);
    b.send({ type: 'call.accept', call });
    assert.equal((await a.next('call.accepted')).peer, 'cl-rb');
    b.send({ type: 'call.hangup', call });
    assert.equal((await a.next('call.ended')).reason, 'hangup');
    assert.equal((await b.next('call.ended')).reason, 'hangup');
  });
});
