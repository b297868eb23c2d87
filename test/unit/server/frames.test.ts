import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeServer, ERROR_CODES, ERRORS, type JsonValue, LIMITS } from '@parley/protocol';
import {
  errorFrame,
  frame,
  frameFromText,
  roomMessageFrame,
  signalFrame,
} from '../../../packages/server/src/wire/frames.ts';

/** Data a peer may send, picked to trip string building: quotes, escapes, unicode, depth. */
function nested(depth: number): JsonValue {
  let v: JsonValue = 1;
  for (let i = 1; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}
const DATA: JsonValue[] = [
  null,
  0,
  -1.5e-7,
  true,
  '',
  'quote " backslash \\ slash / newline \n tab \t nul \u0000',
  'line sep \u2028 para sep \u2029 emoji 😀 lone high \ud800 lone low \udc00',
  '"},"from":"mallory","data":{"',
  [],
  {},
  {
    kind: 'description',
    scope: 'call:c1',
    description: { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(5000)}` },
  },
  { kind: 'candidate', scope: 'room:r', candidate: null },
  JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":2},"ключ":["значение",{"":""}]}'),
  // The deepest data a frame may carry: the frame is 1 level, `data` the other 31.
  nested(LIMITS.frameMaxDepth - 1),
];
const NAMES = ['a', 'alice', 'x'.repeat(LIMITS.nameMaxChars), 'A.b_c-9'];

describe('wire frames › the relay fast path', () => {
  it('signalFrame decodes with decodeServer, matches the schema and equals what frame() builds', () => {
    for (const from of NAMES) {
      for (const data of DATA) {
        const built = signalFrame(JSON.stringify(from), data);
        assert.equal(built.type, 'signal');
        const r = decodeServer(built.text);
        assert.ok(r.ok, r.ok ? '' : r.message);
        assert.deepEqual(r.msg, { type: 'signal', from, data: JSON.parse(JSON.stringify(data)) });
        assert.equal(built.text, frame({ type: 'signal', from, data }).text);
      }
    }
  });

  it('roomMessageFrame decodes with decodeServer, matches the schema and equals what frame() builds', () => {
    for (const room of ['r', 'team.a-1', 'r'.repeat(LIMITS.roomMaxChars)]) {
      for (const data of DATA) {
        const built = roomMessageFrame(room, JSON.stringify('alice'), data);
        assert.equal(built.type, 'room.message');
        const r = decodeServer(built.text);
        assert.ok(r.ok, r.ok ? '' : r.message);
        assert.deepEqual(r.msg, {
          type: 'room.message',
          room,
          from: 'alice',
          data: JSON.parse(JSON.stringify(data)),
        });
        assert.equal(built.text, frame({ type: 'room.message', room, from: 'alice', data }).text);
      }
    }
  });
});

describe('wire frames › frame()', () => {
  it('writes type first whatever the field order, leaves undefined fields out, and reads back its type', () => {
    const built = frame({ room: 'r', re: undefined, type: 'room.joined', peers: ['b'], mode: undefined });
    assert.equal(built.text, '{"type":"room.joined","room":"r","peers":["b"]}');
    assert.deepEqual(frameFromText(built.text), built);
    const r = decodeServer(built.text);
    assert.ok(r.ok);
  });

  it('errorFrame marks exactly the fatal codes fatal and decodes for every code', () => {
    for (const code of ERROR_CODES) {
      const built = errorFrame(code, `message for ${code}`, 7);
      const r = decodeServer(built.text);
      assert.ok(r.ok && r.msg.type === 'error', code);
      assert.equal(r.msg.code, code);
      assert.equal(r.msg.re, 7);
      assert.equal(r.msg.fatal, ERRORS[code].fatal ? true : undefined, code);
      assert.deepEqual(frameFromText(built.text), built);
    }
  });
});

describe('wire frames › one builder', () => {
  it('no server module outside wire/ builds a frame by hand', () => {
    const root = join(import.meta.dirname, '../../../packages/server/src');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'wire') walk(path);
        } else if (e.name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          // A frame literal, a stringified `{ type: … }` object, or a Record built up field by field.
          if (
            /'\{"type":/.test(text) ||
            /JSON\.stringify\(\{\s*type:/.test(text) ||
            /Record<string, unknown> = \{\s*type:/.test(text)
          )
            offenders.push(path.slice(root.length + 1));
        }
      }
    };
    walk(root);
    assert.deepEqual(offenders, []);
  });
});

describe('test helper › checkServerFrame', () => {
  it('passes a frame as sent and refuses one off the schema or with a field the schema does not know', async () => {
    const { checkServerFrame } = await import('../../helpers/ws-client.ts');
    const ok = frame({ type: 'peer.left', room: 'r', name: 'bob', reason: 'gone' }).text;
    assert.deepEqual(checkServerFrame(ok), JSON.parse(ok));
    for (const bad of [
      '{"type":"peer.left","room":"r","name":"bob","reason":"vanished"}',
      '{"type":"peer.left","room":"r","name":"bob"}',
      '{"type":"nope"}',
      '{"type":"peer.left","room":"r","name":"bob","reason":"gone","extra":1}',
      '{"type":"room.joined","room":"r","peers":[],"mode":"mesh","re":"1","x":null}',
      'not json',
    ])
      assert.throws(() => checkServerFrame(bad), /off-schema|does not know/, bad);
  });
});
