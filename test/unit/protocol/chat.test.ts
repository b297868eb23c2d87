import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHAT_CHANNEL, CHAT_LIMITS, CHAT_MESSAGE_TYPES, decodeChat } from '@parley/protocol';

describe('chat channel messages', () => {
  it('has a fixed channel identity for negotiated channels', () => {
    assert.deepEqual(CHAT_CHANNEL, { label: 'parley-chat', id: 0 });
    assert.deepEqual([...CHAT_MESSAGE_TYPES].sort(), ['app', 'chat', 'media-state', 'typing']);
  });

  it('accepts valid messages of every type', () => {
    for (const msg of [
      { type: 'chat', id: 'a-1', text: 'hello', ts: 1_700_000_000_000 },
      { type: 'app', kind: 'reaction', data: { emoji: '👍', to: 'a-1' } },
      { type: 'app', id: 'a-2', kind: 'cursor', data: [1, 2], ts: 5 },
      { type: 'media-state', audio: false, video: true },
      { type: 'media-state', audio: true, video: true, screen: true },
      { type: 'typing', active: true },
    ]) {
      const r = decodeChat(JSON.stringify(msg));
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.msg, msg);
    }
  });

  const bad: Array<[string, unknown, string]> = [
    ['empty text', { type: 'chat', id: 'a', text: '', ts: 1 }, 'BAD_MESSAGE'],
    [
      'text too long',
      { type: 'chat', id: 'a', text: 'x'.repeat(CHAT_LIMITS.textMaxChars + 1), ts: 1 },
      'BAD_MESSAGE',
    ],
    ['a missing id', { type: 'chat', text: 'x', ts: 1 }, 'BAD_MESSAGE'],
    ['a string timestamp', { type: 'chat', id: 'a', text: 'x', ts: '1' }, 'BAD_MESSAGE'],
    ['a forged sender', { type: 'chat', id: 'a', text: 'x', ts: 1, from: 'admin' }, 'BAD_MESSAGE'],
    ['a non-boolean mute', { type: 'media-state', audio: 'no', video: true }, 'BAD_MESSAGE'],
    ['an app message without data', { type: 'app', kind: 'k' }, 'BAD_MESSAGE'],
    ['an unknown type', { type: 'exec', cmd: 'rm' }, 'UNKNOWN_TYPE'],
    ['a JSON string', 'hello', 'BAD_JSON'],
  ];
  for (const [what, msg, code] of bad) {
    it(`refuses ${what} with ${code}`, () => {
      const r = decodeChat(JSON.stringify(msg));
      assert.ok(!r.ok, JSON.stringify(r));
      assert.equal(r.code, code);
    });
  }

  it('refuses oversized and non-JSON frames without throwing', () => {
    const r = decodeChat('x'.repeat(CHAT_LIMITS.maxMessageBytes + 1));
    assert.ok(!r.ok, JSON.stringify(r));
    assert.equal(r.code, 'TOO_LARGE');
    // Multi-byte text under the character count but over the byte limit.
    const wide = JSON.stringify({
      type: 'app',
      kind: 'k',
      data: '€'.repeat(CHAT_LIMITS.maxMessageBytes / 3 + 10),
    });
    assert.ok(wide.length < CHAT_LIMITS.maxMessageBytes);
    const w = decodeChat(wide);
    assert.ok(!w.ok, JSON.stringify(w));
    assert.equal(w.code, 'TOO_LARGE');
    const n = decodeChat('{"type":');
    assert.ok(!n.ok, JSON.stringify(n));
    assert.equal(n.code, 'BAD_JSON');
  });
});
