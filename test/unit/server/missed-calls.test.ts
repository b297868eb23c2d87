import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MissedCalls } from '../../../packages/server/src/directory/missed-calls.ts';

const entry = (i: number, at = 1_000) => ({ call: `c${i}`, from: 'alice', at, reason: 'no_answer' as const });

describe('MissedCalls', () => {
  it('keeps the newest entries per name and hands them over once', () => {
    const m = new MissedCalls({ perName: 3, maxAgeMs: 60_000, maxNames: 10 }, () => 2_000);
    for (let i = 0; i < 5; i++) m.record('bob', entry(i));
    assert.deepEqual(
      m.take('bob').map((e) => e.call),
      ['c2', 'c3', 'c4'],
    );
    assert.deepEqual(m.take('bob'), []);
  });

  it('drops entries older than maxAgeMs and forgets the oldest name beyond maxNames', () => {
    let now = 0;
    const m = new MissedCalls({ perName: 10, maxAgeMs: 1_000, maxNames: 2 }, () => now);
    m.record('a', entry(1, 0));
    m.record('b', entry(2, 0));
    m.record('c', entry(3, 0));
    assert.equal(m.size, 2);
    assert.deepEqual(m.take('a'), [], 'the oldest name was forgotten');
    now = 5_000;
    assert.deepEqual(m.take('b'), [], 'too old');
  });
});
