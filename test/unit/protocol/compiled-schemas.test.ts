import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClient, decodeServer, useCompiledSchemas } from '@parley/protocol';

const CLIENT = [
  { type: 'hello', id: 1, versions: ['1'], name: 'alice' },
  { type: 'hello', id: 1, versions: [], name: 'bad name!', extra: true },
  { type: 'room.join', id: 'j', room: 'lobby', mode: 'sfu' },
  { type: 'room.join', room: '', mode: 'p2p', password: '' },
  { type: 'signal', to: 'bob', data: { kind: 'candidate', scope: 'call:1', candidate: null } },
  { type: 'signal', to: 'bob' },
  { type: 'call.invite', to: 'bob', data: { big: 'x'.repeat(5000) } },
  { type: 'sfu.trickle', room: 'r', target: 'publisher', candidate: { candidate: 'c', sdpMLineIndex: 1.5 } },
  { type: 'sfu.configure', id: -1, room: 'r', feed: 'f', substream: 3 },
];
const SERVER = [
  { type: 'error', code: 'BAD_MESSAGE', message: 'm', reason: 'from-the-future' },
  { type: 'welcome', version: '1', name: 'a', session: 's', iceServers: [], heartbeatMs: 0, graceMs: -1 },
  { type: 'peer.left', room: 'r', name: 'n', reason: 'left', extra: 1 },
];

describe('protocol › useCompiledSchemas', () => {
  it('decodes every frame exactly as the interpreted schemas do, messages included', () => {
    const decodeAll = () => [
      ...CLIENT.map((f) => decodeClient(JSON.stringify(f))),
      ...SERVER.map((f) => decodeServer(JSON.stringify(f))),
    ];
    const interpreted = decodeAll();
    assert.ok(interpreted.some((r) => r.ok) && interpreted.some((r) => !r.ok));
    useCompiledSchemas();
    assert.deepEqual(decodeAll(), interpreted);
  });
});
