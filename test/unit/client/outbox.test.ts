import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from '../../../packages/client/src/signaling/outbox.ts';

describe('Outbox', () => {
  it('keeps frames in order and never queues pings', () => {
    const o = new Outbox();
    const dropped: string[] = [];
    o.push({ msg: { type: 'room.join', room: 'a' } });
    o.push({ msg: { type: 'ping' }, onDrop: (r) => dropped.push(r) });
    o.push({ msg: { type: 'room.leave', room: 'a' } });
    assert.deepEqual(
      o.drain().map((e) => e.msg.type),
      ['room.join', 'room.leave'],
    );
    assert.deepEqual(dropped, ['not queued while offline']);
    assert.equal(o.size, 0);
  });

  it('when full, drops the oldest candidate first, else refuses the new frame', () => {
    const o = new Outbox(2);
    const dropped: string[] = [];
    o.push({
      msg: { type: 'signal', to: 'b', data: { kind: 'candidate', n: 1 } },
      onDrop: () => dropped.push('cand'),
    });
    o.push({ msg: { type: 'room.join', room: 'a' } });
    assert.equal(o.push({ msg: { type: 'room.join', room: 'b' } }), true);
    assert.deepEqual(dropped, ['cand']);
    assert.equal(o.push({ msg: { type: 'room.join', room: 'c' }, onDrop: () => dropped.push('c') }), false);
    assert.deepEqual(dropped, ['cand', 'c']);
  });

  it('removes a queued request by id and tells everyone on clear', () => {
    const o = new Outbox();
    const dropped: string[] = [];
    o.push({ msg: { type: 'room.join', room: 'a', id: 7 } });
    o.push({ msg: { type: 'room.join', room: 'b', id: 8 }, onDrop: (r) => dropped.push(r) });
    assert.equal(o.remove(7), true);
    assert.equal(o.remove(7), false);
    o.clear('closed');
    assert.deepEqual(dropped, ['closed']);
  });
});
