/**
 * Room channels through the server (features/app-channel-relay.ts) without a network: messages
 * are cut into parts that pass the protocol's schema and fit a frame, put back together on the
 * other side (text, JSON and binary of every size up to the limit), paced to the server's rates
 * (reliable ones wait in order, lossy ones are dropped), and a lost part loses its message only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APP_CHANNEL_LIMITS,
  type ClientMessage,
  decodeClient,
  LIMITS,
  ROOM_DATA_LIMITS,
  type ServerMessageOf,
} from '@parley/protocol';
import { encodeAppData } from '../../../packages/client/src/features/app-channel.ts';
import {
  fromBase64,
  type RelayedFrame,
  RoomDataRelay,
  toBase64,
} from '../../../packages/client/src/features/app-channel-relay.ts';

/** A relay whose sent frames are collected, with generous rates unless told. */
function relay(limits?: { perS: number; burst: number; bytesPerS: number; bytesBurst: number }) {
  const sent: ClientMessage[] = [];
  const r = new RoomDataRelay(
    'r',
    (m) => sent.push(m),
    () => limits,
  );
  return { r, sent };
}

/** What the server would relay for `msg` from `from`. */
function relayed(msg: ClientMessage, from: string): ServerMessageOf<'room.data'> {
  const { type: _t, id: _id, ...rest } = msg as Extract<ClientMessage, { type: 'room.data' }>;
  return { type: 'room.data', from, ...rest };
}

describe('RoomDataRelay', () => {
  it('base64 round-trips every length and all byte values', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 4097, 65536]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      const text = toBase64(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(new Uint8Array(fromBase64(text)), bytes);
    }
  });

  it('cuts the largest text, JSON and binary messages into parts that pass the schema and fit a frame, and puts them back', () => {
    const { r, sent } = relay();
    const other = new RoomDataRelay(
      'r',
      () => {},
      () => undefined,
    );
    const got: RelayedFrame[] = [];
    other.onFrame('l', (f) => got.push(f));
    const max = APP_CHANNEL_LIMITS.maxMessageBytes;
    const inputs = [
      'x'.repeat(max - 1), // the tag makes it exactly the limit
      '\u0000'.repeat(max - 1), // six-fold JSON escapes
      { emoji: '😀'.repeat(8000) },
      new Uint8Array(max).map((_, i) => i & 255),
      new ArrayBuffer(0),
    ];
    for (const input of inputs) {
      sent.length = 0;
      r.send('l', encodeAppData(input as never), false);
      assert.ok(sent.length <= ROOM_DATA_LIMITS.partsMax);
      for (const m of sent) {
        const text = JSON.stringify(m);
        assert.ok(Buffer.byteLength(text) <= LIMITS.maxFrameBytes, `${Buffer.byteLength(text)} bytes`);
        assert.ok(text.startsWith('{"type":"room.data",'));
        const d = decodeClient(text);
        assert.ok(d.ok, d.ok ? '' : d.message);
        other.receive(relayed(m, 'a'));
      }
    }
    assert.equal(got.length, inputs.length);
    for (const [i, f] of got.entries()) {
      assert.ok(f.ok, JSON.stringify(f));
      const input = inputs[i];
      if (input instanceof Uint8Array) assert.deepEqual(new Uint8Array(f.frame.data as ArrayBuffer), input);
      else if (input instanceof ArrayBuffer) assert.equal((f.frame.data as ArrayBuffer).byteLength, 0);
      else assert.deepEqual(f.frame.data, input);
    }
  });

  it('paces reliable messages to the rates, in order, counting them as buffered; drops lossy ones while spent', async () => {
    const { r, sent } = relay({ perS: 100, burst: 4, bytesPerS: 1e6, bytesBurst: 1e6 });
    for (let i = 0; i < 4; i++) r.send('l', encodeAppData(`m${i}`), false);
    assert.equal(sent.length, 2, 'half the server burst goes at once');
    assert.ok(r.buffered('l') > 0);
    assert.equal(r.send('l', encodeAppData('lossy'), true), false, 'a lossy message does not wait');
    assert.equal(r.dropped, 1);
    const deadline = Date.now() + 2000;
    while (sent.length < 4 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
    assert.deepEqual(
      sent.map((m) => (m as { data: string }).data),
      ['sm0', 'sm1', 'sm2', 'sm3'],
    );
    assert.equal(r.buffered('l'), 0);
    r.close();
  });

  it('a missing part loses that message only (silently when lossy); garbage is reported, the next message arrives', () => {
    const other = new RoomDataRelay(
      'r',
      () => {},
      () => undefined,
    );
    const got: RelayedFrame[] = [];
    other.onFrame('l', (f) => got.push(f));
    const base = { type: 'room.data', room: 'r', from: 'a', label: 'l' } as const;
    other.receive({ ...base, data: 'sfirst', lossy: true, more: true });
    other.receive({ ...base, data: 'sfresh', lossy: true }); // part 0 again: the old one is dropped
    other.receive({ ...base, data: 'x', part: 1, lossy: true }); // a part with no start: lost quietly
    other.receive({ ...base, data: 'x', part: 1 }); // reliable without a start: reported
    other.receive({ ...base, data: '?bad tag' });
    other.receive({ ...base, data: '!{"t":"hello","label":"l","ordered":true}' });
    other.receive({ ...base, data: 'j{"ok":1}' });
    assert.deepEqual(
      got.map((f) => (f.ok ? f.frame.data : f.code)),
      ['fresh', 'BAD_MESSAGE', 'UNKNOWN_TYPE', 'BAD_MESSAGE', { ok: 1 }],
    );
  });
});
