/** The sorted online copy behind directory pages and counts (presence/online-index.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffSorted, OnlineIndex } from '../../../../packages/server/src/presence/online-index.ts';

describe('OnlineIndex', () => {
  it('pages and counts by prefix in code-unit order', () => {
    const x = new OnlineIndex();
    x.finishLoad(['bob', 'alice', 'al', 'Zed', 'alan', 'bo'], 0);
    assert.deepEqual(x.page('', 3), ['Zed', 'al', 'alan']);
    assert.deepEqual(x.page('al', 10), ['al', 'alan', 'alice']);
    assert.equal(x.count('al'), 3);
    assert.equal(x.count('b'), 2);
    assert.equal(x.count('c'), 0);
    assert.equal(x.count(''), 6);
    assert.deepEqual(x.page('zz', 5), []);
  });

  it('apply adds and removes once, and says whether anything changed', () => {
    const x = new OnlineIndex();
    assert.equal(x.apply('m', true), true);
    assert.equal(x.apply('m', true), false);
    assert.equal(x.apply('a', true), true);
    assert.deepEqual(x.page('', 10), ['a', 'm']);
    assert.equal(x.apply('m', false), true);
    assert.equal(x.apply('m', false), false);
    assert.equal(x.has('a'), true);
    assert.equal(x.has('m'), false);
  });

  it('a change heard while the full read is in flight wins over the read, and the read reports what it corrected', () => {
    const x = new OnlineIndex();
    x.finishLoad(['a', 'b', 'ghost'], 0);
    x.beginLoad();
    x.apply('c', true); // came online after the directory answered
    x.apply('a', false); // left after the directory answered
    const fixed = x.finishLoad(['a', 'b', 'new'], 10);
    assert.deepEqual(x.page('', 10), ['b', 'c', 'new']);
    // 'ghost' went offline unheard; 'new' came online unheard.
    assert.deepEqual(fixed, { online: ['new'], offline: ['ghost'] });
    assert.equal(x.stale(10 + 29_999, 30_000), false);
    assert.equal(x.stale(10 + 30_001, 30_000), true);
  });

  it('a failed read keeps the copy and what was heard meanwhile', () => {
    const x = new OnlineIndex();
    x.finishLoad(['a'], 0);
    x.beginLoad();
    x.apply('b', true);
    x.abandonLoad();
    assert.deepEqual(x.page('', 10), ['a', 'b']);
  });

  it('stays sorted under many random changes (checked against a Set)', () => {
    const x = new OnlineIndex();
    const truth = new Set<string>();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i++) {
      const name = `n${Math.floor(rnd() * 800)}`;
      const online = rnd() < 0.6;
      x.apply(name, online);
      if (online) truth.add(name);
      else truth.delete(name);
    }
    assert.deepEqual(x.page('', 10_000), [...truth].sort());
    assert.equal(x.count('n1'), [...truth].filter((n) => n.startsWith('n1')).length);
  });
});

describe('diffSorted', () => {
  it('lists what came and what went', () => {
    assert.deepEqual(diffSorted(['a', 'c', 'd'], ['b', 'c', 'e']), {
      online: ['b', 'e'],
      offline: ['a', 'd'],
    });
    assert.deepEqual(diffSorted([], ['x']), { online: ['x'], offline: [] });
    assert.deepEqual(diffSorted(['x'], []), { online: [], offline: ['x'] });
  });
});
