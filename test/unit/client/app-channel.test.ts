/**
 * App channels without a network: the wire decoder refuses what a hostile peer could send
 * (oversized, unknown tag, bad JSON, forged control messages), stream ids stay in the reserved
 * range, and `send` refuses what cannot be sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APP_CHANNEL_LIMITS,
  appChannelId,
  appChannelLabelProblem,
  CHAT_CHANNEL,
  decodeAppFrame,
  encodeAppControl,
} from '@parley/protocol';
import { encodeAppData, toReliability } from '../../../packages/client/src/features/app-channel.ts';

describe('app channel wire › decodeAppFrame', () => {
  const max = APP_CHANNEL_LIMITS.maxMessageBytes;
  it('reads strings, JSON, binary and control frames', () => {
    assert.deepEqual(decodeAppFrame('shello'), { ok: true, msg: { kind: 'string', data: 'hello' } });
    assert.deepEqual(decodeAppFrame('j{"a":[1,null]}'), {
      ok: true,
      msg: { kind: 'json', data: { a: [1, null] } },
    });
    const bin = new ArrayBuffer(3);
    assert.deepEqual(decodeAppFrame(bin), { ok: true, msg: { kind: 'binary', data: bin } });
    const hello = encodeAppControl({ t: 'hello', label: 'game', ordered: false, maxRetransmits: 0 });
    const r = decodeAppFrame(hello);
    assert.ok(r.ok && r.msg.kind === 'control' && r.msg.data.maxRetransmits === 0);
  });
  it('refuses oversized text and binary with TOO_LARGE', () => {
    assert.equal(decodeAppFrame(`s${'x'.repeat(max)}`).ok, false);
    assert.equal((decodeAppFrame(`s${'é'.repeat(max / 2)}`) as { code: string }).code, 'TOO_LARGE');
    assert.equal((decodeAppFrame(new ArrayBuffer(max + 1)) as { code: string }).code, 'TOO_LARGE');
    assert.equal(decodeAppFrame(new ArrayBuffer(max)).ok, true);
  });
  it('refuses unknown tags, bad JSON and an empty frame', () => {
    assert.equal((decodeAppFrame('x{}') as { code: string }).code, 'UNKNOWN_TYPE');
    assert.equal((decodeAppFrame('') as { code: string }).code, 'UNKNOWN_TYPE');
    assert.equal((decodeAppFrame('j{nope') as { code: string }).code, 'BAD_JSON');
    assert.equal((decodeAppFrame('!{nope') as { code: string }).code, 'BAD_JSON');
  });
  it('refuses forged or oversized control messages with a stable code', () => {
    const bad = [
      '!{"t":"hello","label":"g","ordered":true,"from":"mallory"}', // extra field (a forged sender)
      '!{"t":"bye","label":"g","ordered":true}',
      '!{"t":"hello","label":"g","ordered":"yes"}',
      '!{"t":"hello","label":"g","ordered":true,"maxRetransmits":-1}',
      '!{"t":"hello","label":"","ordered":true}',
      '![]',
    ];
    for (const frame of bad)
      assert.equal((decodeAppFrame(frame) as { code: string }).code, 'BAD_MESSAGE', frame);
    const big = `!{"t":"hello","label":"${'g'.repeat(APP_CHANNEL_LIMITS.maxControlBytes)}","ordered":true}`;
    assert.equal((decodeAppFrame(big) as { code: string }).code, 'TOO_LARGE');
  });
  it('survives deeply nested JSON without throwing', () => {
    const deep = `j${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const r = decodeAppFrame(deep);
    assert.equal(typeof r.ok, 'boolean');
  });
});

describe('app channel wire › stream ids and labels', () => {
  it('derives the same id for a label, inside 512…1023, never the chat channel’s', () => {
    for (const label of ['game', 'cursors', 'strokes', 'pipe', 'a', 'x'.repeat(128), 'ünïcødé']) {
      const id = appChannelId(label);
      assert.equal(id, appChannelId(label));
      assert.ok(id >= 512 && id <= 1023 && id !== CHAT_CHANNEL.id, `${label} → ${id}`);
    }
  });
  it('refuses empty, too long and reserved labels', () => {
    assert.ok(appChannelLabelProblem(''));
    assert.ok(appChannelLabelProblem('x'.repeat(129)));
    assert.ok(appChannelLabelProblem('parley-chat'));
    assert.equal(appChannelLabelProblem('game'), null);
  });
});

describe('app channel › encodeAppData and options', () => {
  it('encodes strings and JSON as tagged text and binary as is', () => {
    assert.deepEqual(encodeAppData('hi'), { data: 'shi', bytes: 3 });
    assert.deepEqual(encodeAppData({ a: 1 }), { data: 'j{"a":1}', bytes: 8 });
    assert.deepEqual(encodeAppData(null), { data: 'jnull', bytes: 5 });
    const u8 = new Uint8Array([1, 2, 3]);
    assert.equal(encodeAppData(u8).data, u8);
  });
  it('throws for values JSON cannot carry and for messages over the limit', () => {
    assert.throws(() => encodeAppData(undefined as never), TypeError);
    assert.throws(() => encodeAppData((() => 1) as never), TypeError);
    assert.throws(() => encodeAppData(1n as never), TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => encodeAppData(cyclic as never), TypeError);
    assert.throws(() => encodeAppData(new Uint8Array(APP_CHANNEL_LIMITS.maxMessageBytes + 1)), RangeError);
  });
  it('maps reliable: false to unordered, no retransmits; refuses both lossy limits', () => {
    assert.deepEqual(toReliability({}), { ordered: true });
    assert.deepEqual(toReliability({ reliable: false }), { ordered: false, maxRetransmits: 0 });
    assert.deepEqual(toReliability({ maxPacketLifeTime: 100 }), { ordered: true, maxPacketLifeTime: 100 });
    assert.throws(() => toReliability({ maxRetransmits: 1, maxPacketLifeTime: 1 }), TypeError);
    assert.throws(() => toReliability({ maxRetransmits: -1 }), RangeError);
  });
});
