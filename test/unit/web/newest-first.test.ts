// The bounded newest-first list behind the missed calls and the after-call records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NewestFirstList } from '../../../packages/web/src/app/newest-first.ts';

describe('NewestFirstList', () => {
  it('puts an added entry first, keeps one per key, drops the oldest past its limit', () => {
    const list = new NewestFirstList<{ id: string }>(2, (x) => x.id);
    let changes = 0;
    const off = list.onChange(() => changes++);
    assert.equal(list.add({ id: 'a' }), true);
    assert.equal(list.add({ id: 'a' }), false);
    list.add({ id: 'b' });
    list.add({ id: 'c' });
    assert.deepEqual(
      list.items.map((x) => x.id),
      ['c', 'b'],
    );
    list.dismiss('b');
    list.dismiss('nope');
    list.clear();
    list.clear();
    assert.equal(changes, 5);
    off();
    list.add({ id: 'd' });
    assert.equal(changes, 5);
  });

  it('keeps entries sorted when given an order, so a late-arriving older entry goes below', () => {
    const list = new NewestFirstList<{ id: string; at: number }>(
      3,
      (x) => x.id,
      (a, b) => b.at - a.at,
    );
    list.add({ id: 'new', at: 20 });
    list.add({ id: 'old', at: 10 });
    list.add({ id: 'newest', at: 30 });
    assert.deepEqual(
      list.items.map((x) => x.id),
      ['newest', 'new', 'old'],
    );
  });
});
