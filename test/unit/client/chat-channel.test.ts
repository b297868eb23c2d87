import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessageOf } from '@parley/protocol';
import { ChatChannel, type ChatError, ChatRoom } from '../../../packages/client/src/features/chat.ts';
import { until } from '../../helpers/wait.ts';
import { fakePair } from './fake-peer-connection.ts';

describe('ChatChannel (over an in-memory negotiated channel)', () => {
  it('queues sends until open, then delivers in order with ids and timestamps', async () => {
    const { a, b } = fakePair();
    const ca = new ChatChannel(a);
    const cb = new ChatChannel(b);
    const got: ChatMessageOf<'chat'>[] = [];
    cb.on('chat', (m) => got.push(m));
    const sent = [ca.sendText('one'), ca.sendText('two')];
    assert.equal(ca.state, 'connecting');
    await until(() => got.length === 2, { what: 'two messages', intervalMs: 5 });
    assert.deepEqual(got, sent);
    assert.notEqual(sent[0]!.id, sent[1]!.id);
  });

  it('rejects invalid outgoing messages before sending, and throws InvalidStateError after close', async () => {
    const { a, b } = fakePair();
    const ca = new ChatChannel(a);
    new ChatChannel(b);
    assert.throws(() => ca.sendText(''), RangeError);
    assert.throws(() => ca.sendText('x'.repeat(9000)), RangeError);
    await until(() => ca.state === 'open', { what: 'open', intervalMs: 5 });
    ca.close();
    await until(() => ca.state === 'closed', { what: 'closed', intervalMs: 5 });
    assert.throws(() => ca.sendText('late'), { name: 'InvalidStateError' });
  });

  it('reports hostile input as error events and keeps going', async () => {
    const { a, b, fa } = fakePair();
    const cb = new ChatChannel(b);
    a.createDataChannel('parley-chat', { negotiated: true, id: 0 });
    const raw = fa.channels[0]!;
    const errors: ChatError[] = [];
    const texts: string[] = [];
    cb.on('error', (e) => errors.push(e));
    cb.on('chat', (m) => texts.push(m.text));
    await until(() => raw.readyState === 'open', { what: 'open', intervalMs: 5 });
    raw.send('{');
    raw.send(JSON.stringify({ type: 'typing', active: 'yes' }));
    raw.send(JSON.stringify({ type: 'chat', id: 'k', text: 'fine', ts: 1 }));
    await until(() => texts.length === 1, { what: 'valid message', intervalMs: 5 });
    assert.deepEqual(
      errors.map((e) => e.code),
      ['BAD_JSON', 'BAD_MESSAGE'],
    );
  });

  it('tracks the remote media state and typing', async () => {
    const { a, b } = fakePair();
    const ca = new ChatChannel(a);
    const cb = new ChatChannel(b);
    const typing: boolean[] = [];
    cb.on('typing', (m) => typing.push(m.active));
    ca.sendMediaState({ audio: false, video: true, screen: false });
    ca.sendTyping(true);
    await until(() => typing.length === 1, { what: 'typing', intervalMs: 5 });
    assert.deepEqual(cb.remoteMediaState, { type: 'media-state', audio: false, video: true, screen: false });
  });
});

describe('ChatRoom', () => {
  it('fans one message out to every peer and tags what arrives with the sender', async () => {
    const ab = fakePair();
    const ac = fakePair();
    const room = new ChatRoom();
    room.add('bob', new ChatChannel(ab.a));
    room.add('carol', new ChatChannel(ac.a));
    const bob = new ChatChannel(ab.b);
    const carol = new ChatChannel(ac.b);
    const atBob: string[] = [];
    const atCarol: string[] = [];
    bob.on('chat', (m) => atBob.push(`${m.id}:${m.text}`));
    carol.on('chat', (m) => atCarol.push(`${m.id}:${m.text}`));
    const msg = room.sendText('hi all');
    await until(() => atBob.length === 1 && atCarol.length === 1, { what: 'fan-out', intervalMs: 5 });
    assert.deepEqual(atBob, [`${msg.id}:hi all`]);
    assert.deepEqual(atCarol, atBob);

    const inbox: string[] = [];
    room.on('chat', (peer, m) => inbox.push(`${peer}:${m.text}`));
    room.on('media-state', (peer, m) => inbox.push(`${peer}:audio=${m.audio}`));
    bob.sendText('from bob');
    carol.sendMediaState({ audio: false, video: false });
    await until(() => inbox.length === 2, { what: 'tagged messages', intervalMs: 5 });
    assert.deepEqual(inbox.sort(), ['bob:from bob', 'carol:audio=false']);

    room.remove('bob');
    assert.deepEqual(room.peers, ['carol']);
    bob.sendText('ignored');
    carol.sendText('still here');
    await until(() => inbox.length === 3, { what: 'carol message', intervalMs: 5 });
    assert.equal(inbox.at(-1), 'carol:still here');
  });

  it('returns the peers a broadcast missed (closed channels) and refuses invalid messages', async () => {
    const ab = fakePair();
    const room = new ChatRoom();
    const toBob = new ChatChannel(ab.a);
    new ChatChannel(ab.b);
    room.add('bob', toBob);
    await until(() => toBob.state === 'open', { what: 'open', intervalMs: 5 });
    toBob.close();
    await until(() => toBob.state === 'closed', { what: 'closed', intervalMs: 5 });
    assert.deepEqual(room.sendApp('ping', { n: 1 }) && room.broadcast({ type: 'typing', active: false }), [
      'bob',
    ]);
    assert.throws(() => room.broadcast({ type: 'chat', id: '', text: 'x', ts: 1 }), RangeError);
  });
});
