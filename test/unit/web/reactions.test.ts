/** Reactions (packages/web/src/app/reactions.ts): the fixed set, and the rate limits, as a stranger. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseReaction,
  REACTION_RATE,
  REACTIONS,
  ReactionLimiter,
  reactionName,
  TokenBucket,
} from '../../../packages/web/src/app/reactions.ts';

describe('reactions', () => {
  it('accepts only emoji of the set, in the exact shape', () => {
    for (const r of REACTIONS) assert.equal(parseReaction({ emoji: r.emoji }), r.emoji);
    for (const bad of [
      null,
      '👍',
      ['👍'],
      {},
      { emoji: 'x' },
      { emoji: '👍', from: 'alice' },
      { emoji: '<img src=x onerror=alert(1)>' },
      { emoji: '👍'.repeat(10_000) },
      { emoji: 42 },
    ])
      assert.equal(parseReaction(bad), null, JSON.stringify(bad)?.slice(0, 40));
    assert.equal(reactionName('🎉'), 'celebration');
  });

  it('a token bucket allows a burst, then one per refill period', () => {
    const b = new TokenBucket(3, 1000, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(999), false);
    assert.equal(b.take(1000), true);
    assert.equal(b.take(1000), false);
    assert.equal(b.take(100_000), true, 'refills up to the burst');
  });

  it('limits each sender on its own; a flood from one does not silence another', () => {
    const limiter = new ReactionLimiter();
    let mallory = 0;
    for (let i = 0; i < 1000; i++) if (limiter.allow('mallory', 0)) mallory++;
    assert.equal(mallory, REACTION_RATE.burst);
    assert.equal(limiter.allow('bob', 0), true);
    limiter.forget('mallory');
    assert.equal(limiter.allow('mallory', 0), true, 'a sender who left and came back starts afresh');
  });
});
