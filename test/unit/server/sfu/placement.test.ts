/** SFU placement: the least loaded instance that is up, loads counted from the directory's rooms. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SfuRoomEntry } from '../../../../packages/server/src/directory/directory.ts';
import { leastLoaded, loadsOf, newEpoch } from '../../../../packages/server/src/sfu/placement.ts';

const entry = (room: string, janus: string, members: number, down = false): SfuRoomEntry => ({
  room,
  members,
  placement: { janus, fromStart: false, epoch: room, down },
});

describe('SFU placement', () => {
  it('loadsOf › sums members per instance; rooms marked down count for nobody', () => {
    const loads = loadsOf([
      entry('a', 'j1', 6),
      entry('b', 'j2', 5),
      entry('c', 'j1', 2),
      entry('d', 'j2', 9, true),
    ]);
    assert.deepEqual([...loads].sort(), [
      ['j1', 8],
      ['j2', 5],
    ]);
  });

  it('leastLoaded › picks the lowest load among candidates; ties go to the first; none → undefined', () => {
    const loads = new Map([
      ['j1', 8],
      ['j2', 5],
    ]);
    assert.equal(leastLoaded(['j1', 'j2', 'j3'], loads), 'j3');
    assert.equal(leastLoaded(['j1', 'j2'], loads), 'j2');
    assert.equal(leastLoaded(['j1'], loads), 'j1');
    assert.equal(leastLoaded(['j2', 'j1'], new Map()), 'j2');
    assert.equal(leastLoaded([], loads), undefined);
  });
});

describe('newEpoch', () => {
  it('is short and differs every time', () => {
    const epochs = new Set(Array.from({ length: 100 }, () => newEpoch()));
    assert.equal(epochs.size, 100);
    for (const e of epochs) assert.equal(e.length, 13);
  });
});
