import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSignalData, encode, LIMITS, nestedDeeperThan, type SignalData } from '@parley/protocol';

const code = (v: unknown) => {
  const r = decodeSignalData(v);
  return r.ok ? 'ok' : r.code;
};

/** One of each shape the SDK sends, as it sends them. */
const SDK_SHAPES: SignalData[] = [
  { kind: 'description', scope: 'call:c1', description: { type: 'offer', sdp: 'v=0\r\n' } },
  { kind: 'description', scope: 'room:team.a-1', description: { type: 'answer', sdp: 'v=0\r\n' } },
  {
    kind: 'candidate',
    scope: 'call:c1',
    candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
  },
  { kind: 'candidate', scope: 'call:c1', candidate: { candidate: '', sdpMid: null, usernameFragment: null } },
  { kind: 'candidate', scope: 'room:r', candidate: null },
  { kind: 'media-state', scope: 'room:r', audio: true, video: false, screen: true },
  { kind: 'bye', scope: 'call:c1', reason: 'hangup' },
  { kind: 'bye', scope: 'call:c1' },
  { kind: 'app', scope: 'room:r', data: { hello: ['bob', 1, null, true] } },
  { kind: 'app', scope: 'room:r', data: null },
];

describe('decodeSignalData (the SDK signal vocabulary)', () => {
  it('decodes every shape the SDK sends, unchanged, after a trip through JSON', () => {
    for (const shape of SDK_SHAPES) {
      const r = decodeSignalData(JSON.parse(JSON.stringify(shape)));
      assert.ok(r.ok, `${shape.kind}: ${r.ok ? '' : r.message}`);
      assert.deepEqual(r.msg, shape);
    }
  });

  it('keeps the SDK frames far inside the server frame depth limit', () => {
    for (const data of SDK_SHAPES) {
      const frame = JSON.parse(encode({ type: 'signal', from: 'alice', data }));
      assert.equal(nestedDeeperThan(frame, 4), false, data.kind);
    }
  });

  it('reads an older SDK media-state without `screen` as no screen shared', () => {
    const r = decodeSignalData({ kind: 'media-state', scope: 'call:c', audio: false, video: true });
    assert.deepEqual(r.ok && r.msg, {
      kind: 'media-state',
      scope: 'call:c',
      audio: false,
      video: true,
      screen: false,
    });
  });

  it('drops fields it does not know (a newer SDK may add some) instead of refusing the signal', () => {
    const r = decodeSignalData({
      kind: 'candidate',
      scope: 'call:c',
      future: 1,
      candidate: { candidate: 'a', extra: { x: 1 } },
    });
    assert.deepEqual(r.ok && r.msg, { kind: 'candidate', scope: 'call:c', candidate: { candidate: 'a' } });
  });

  it('bounds SDP and candidates by LIMITS, the numbers the SFU path uses', () => {
    const desc = (n: number) => ({
      kind: 'description',
      scope: 'call:c',
      description: { type: 'offer', sdp: 's'.repeat(n) },
    });
    assert.equal(code(desc(LIMITS.sdpMaxChars)), 'ok');
    assert.equal(code(desc(LIMITS.sdpMaxChars + 1)), 'BAD_MESSAGE');
    const cand = (candidate: Record<string, unknown>) => ({ kind: 'candidate', scope: 'call:c', candidate });
    assert.equal(code(cand({ candidate: 'c'.repeat(LIMITS.candidateMaxChars) })), 'ok');
    assert.equal(code(cand({ candidate: 'c'.repeat(LIMITS.candidateMaxChars + 1) })), 'BAD_MESSAGE');
    assert.equal(code(cand({ candidate: 'a', sdpMid: 'm'.repeat(LIMITS.midMaxChars + 1) })), 'BAD_MESSAGE');
    assert.equal(
      code(cand({ candidate: 'a', usernameFragment: 'u'.repeat(LIMITS.candidateMaxChars + 1) })),
      'BAD_MESSAGE',
    );
    for (const sdpMLineIndex of [-1, 1.5, 1025, '0'])
      assert.equal(code(cand({ candidate: 'a', sdpMLineIndex })), 'BAD_MESSAGE', String(sdpMLineIndex));
    const bye = (reason: string) => ({ kind: 'bye', scope: 'call:c', reason });
    assert.equal(code(bye('r'.repeat(LIMITS.reasonMaxChars))), 'ok');
    assert.equal(code(bye('r'.repeat(LIMITS.reasonMaxChars + 1))), 'BAD_MESSAGE');
  });

  it('accepts only call ids and room names as scopes', () => {
    const bye = (scope: unknown) => ({ kind: 'bye', scope });
    for (const ok of [
      'call:x',
      `call:${'i'.repeat(LIMITS.idMaxChars)}`,
      'room:a',
      `room:${'r'.repeat(LIMITS.roomMaxChars)}`,
    ])
      assert.equal(code(bye(ok)), 'ok', ok);
    for (const bad of [
      'call:',
      'room:',
      'call',
      'peer:x',
      `call:${'i'.repeat(LIMITS.idMaxChars + 1)}`,
      `room:${'r'.repeat(LIMITS.roomMaxChars + 1)}`,
      'room:a b',
      'room:../x',
      1,
      null,
      undefined,
    ])
      assert.equal(code(bye(bad)), 'BAD_MESSAGE', String(bad));
  });

  it('answers BAD_JSON for non-objects, UNKNOWN_TYPE for an unknown kind, BAD_MESSAGE for a bad field', () => {
    for (const v of [null, 1, 'x', [], [{ kind: 'bye', scope: 'call:c' }], undefined])
      assert.equal(code(v), 'BAD_JSON');
    for (const kind of [undefined, 1, 'offer', 'constructor', '__proto__', 'x'.repeat(10_000)])
      assert.equal(code({ kind, scope: 'call:c' }), 'UNKNOWN_TYPE', String(kind).slice(0, 20));
    const long = decodeSignalData({ kind: 'x'.repeat(10_000) });
    assert.ok(!long.ok && long.message.length < 100, 'the message quotes at most 40 characters of the kind');
    assert.equal(code({ kind: 'description', scope: 'call:c', description: 'nope' }), 'BAD_MESSAGE');
    assert.equal(
      code({ kind: 'description', scope: 'call:c', description: { type: 'rollback', sdp: '' } }),
      'BAD_MESSAGE',
    );
    assert.equal(code({ kind: 'media-state', scope: 'call:c', audio: 'yes', video: true }), 'BAD_MESSAGE');
    assert.equal(
      code({ kind: 'media-state', scope: 'call:c', audio: true, video: true, screen: 1 }),
      'BAD_MESSAGE',
    );
    assert.equal(code({ kind: 'app', scope: 'call:c' }), 'BAD_MESSAGE');
  });

  it('never throws and never pollutes a prototype, whatever JSON a hostile peer sends', () => {
    const hostile = [
      '{"kind":"bye","scope":"call:c","__proto__":{"polluted":1}}',
      '{"kind":"candidate","scope":"call:c","candidate":{"candidate":"a","__proto__":{"polluted":1}}}',
      `{"kind":"app","scope":"call:c","data":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `{"kind":"description","scope":"call:c","description":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`,
    ];
    for (const text of hostile) assert.doesNotThrow(() => decodeSignalData(JSON.parse(text)));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const r = decodeSignalData(JSON.parse(hostile[1] as string));
    assert.ok(r.ok && r.msg.kind === 'candidate');
    assert.equal((r.msg.candidate as Record<string, unknown>).polluted, undefined);
  });
});
