import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeFileReceiverMessage,
  decodeFileSenderMessage,
  FILE_LIMITS,
  FILE_MESSAGE_TYPES,
  fileChannelLabel,
  transferIdFromLabel,
} from '@parley/protocol';

const SHA = 'a'.repeat(64);
const offer = { type: 'file.offer', id: 'abc_123', name: 'report.pdf', size: 1000, mime: 'application/pdf' };

describe('file-transfer control messages', () => {
  it('accepts every valid sender message', () => {
    for (const msg of [
      offer,
      { ...offer, lastModified: 1_700_000_000_000 },
      { type: 'file.done', id: 'abc_123', size: 1000, sha256: SHA },
      { type: 'file.cancel', id: 'abc_123', code: 'CANCELLED' },
      { type: 'file.cancel', id: 'abc_123', code: 'HASH_MISMATCH', reason: 'bad' },
    ]) {
      const r = decodeFileSenderMessage(JSON.stringify(msg));
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.msg, msg);
    }
  });

  it('accepts every valid receiver message', () => {
    for (const msg of [
      { type: 'file.accept', id: 'x', offset: 0 },
      { type: 'file.accept', id: 'x', offset: 262144 },
      { type: 'file.reject', id: 'x' },
      { type: 'file.ack', id: 'x', offset: 5 },
      { type: 'file.received', id: 'x', sha256: SHA },
      { type: 'file.cancel', id: 'x', code: 'SINK_FAILED' },
    ]) {
      assert.equal(decodeFileReceiverMessage(JSON.stringify(msg)).ok, true, msg.type);
    }
  });

  it('keeps the two directions apart: a receiver message is UNKNOWN_TYPE to a receiver', () => {
    const r = decodeFileSenderMessage(JSON.stringify({ type: 'file.accept', id: 'x', offset: 0 }));
    assert.ok(!r.ok, JSON.stringify(r));
    assert.equal(r.code, 'UNKNOWN_TYPE');
    const s = decodeFileReceiverMessage(JSON.stringify(offer));
    assert.ok(!s.ok, JSON.stringify(s));
    assert.equal(s.code, 'UNKNOWN_TYPE');
  });

  const bad: Array<[string, unknown, string]> = [
    ['a path as name', { ...offer, name: '../etc/passwd' }, 'BAD_MESSAGE'],
    ['a backslash path', { ...offer, name: 'a\\b' }, 'BAD_MESSAGE'],
    ['a control character', { ...offer, name: 'a\u0000b' }, 'BAD_MESSAGE'],
    ['".."', { ...offer, name: '..' }, 'BAD_MESSAGE'],
    ['an empty name', { ...offer, name: '' }, 'BAD_MESSAGE'],
    ['a name too long', { ...offer, name: 'x'.repeat(FILE_LIMITS.nameMaxChars + 1) }, 'BAD_MESSAGE'],
    ['a negative size', { ...offer, size: -1 }, 'BAD_MESSAGE'],
    ['a fractional size', { ...offer, size: 1.5 }, 'BAD_MESSAGE'],
    ['a size beyond 2^53', { ...offer, size: 2 ** 53 }, 'BAD_MESSAGE'],
    ['an id with a slash', { ...offer, id: 'a/b' }, 'BAD_MESSAGE'],
    ['an id too long', { ...offer, id: 'a'.repeat(65) }, 'BAD_MESSAGE'],
    ['an extra field', { ...offer, from: 'mallory' }, 'BAD_MESSAGE'],
    ['a missing field', { type: 'file.offer', id: 'x', name: 'a', size: 1 }, 'BAD_MESSAGE'],
    ['an uppercase hash', { type: 'file.done', id: 'x', size: 1, sha256: 'A'.repeat(64) }, 'BAD_MESSAGE'],
    ['a short hash', { type: 'file.done', id: 'x', size: 1, sha256: 'a'.repeat(63) }, 'BAD_MESSAGE'],
    ['an unknown cancel code', { type: 'file.cancel', id: 'x', code: 'NOPE' }, 'BAD_MESSAGE'],
    ['an unknown type', { type: 'file.steal', id: 'x' }, 'UNKNOWN_TYPE'],
    ['no type', { id: 'x' }, 'UNKNOWN_TYPE'],
    ['an array', [offer], 'BAD_JSON'],
  ];
  for (const [what, msg, code] of bad) {
    it(`refuses ${what} with ${code}`, () => {
      const r = decodeFileSenderMessage(JSON.stringify(msg));
      assert.ok(!r.ok, JSON.stringify(r));
      assert.equal(r.code, code);
    });
  }

  it('refuses non-JSON and oversized frames without throwing', () => {
    const r1 = decodeFileSenderMessage('{not json');
    assert.ok(!r1.ok, JSON.stringify(r1));
    assert.equal(r1.code, 'BAD_JSON');
    const r2 = decodeFileSenderMessage(
      JSON.stringify({ ...offer, mime: 'x'.repeat(FILE_LIMITS.maxControlBytes) }),
    );
    assert.ok(!r2.ok, JSON.stringify(r2));
    assert.equal(r2.code, 'TOO_LARGE');
    const r3 = decodeFileReceiverMessage(new Uint8Array([0xff, 0xfe]));
    assert.ok(!r3.ok, JSON.stringify(r3));
    assert.equal(r3.code, 'BAD_JSON');
  });

  it('maps labels to transfer ids and back, refusing labels that are not file channels', () => {
    assert.equal(fileChannelLabel('abc'), 'parley-file/abc');
    assert.equal(transferIdFromLabel('parley-file/abc'), 'abc');
    assert.equal(transferIdFromLabel('parley-chat'), null);
    assert.equal(transferIdFromLabel('parley-file/'), null);
    assert.equal(transferIdFromLabel('parley-file/a/b'), null);
  });

  it('lists every control message type once', () => {
    assert.deepEqual([...FILE_MESSAGE_TYPES].sort(), [
      'file.accept',
      'file.ack',
      'file.cancel',
      'file.done',
      'file.offer',
      'file.received',
      'file.reject',
    ]);
  });
});
