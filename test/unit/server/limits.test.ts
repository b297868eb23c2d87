import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageQueue, QueueBudget } from '../../../packages/server/src/session/message-queue.ts';
import { TokenBucket } from '../../../packages/server/src/session/token-bucket.ts';

describe('TokenBucket', () => {
  it('allows a burst, refuses the next frame, then refills at the rate', () => {
    let now = 0;
    const b = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) assert.equal(b.take(), true);
    assert.equal(b.take(), false);
    now += 99;
    assert.equal(b.take(), false, 'under one token after 99 ms at 10/s');
    now += 2;
    assert.equal(b.take(), true, 'one token after 100 ms');
    assert.equal(b.take(), false);
  });

  it('never holds more than the burst, however long it idles', () => {
    let now = 0;
    const b = new TokenBucket(1000, 3, () => now);
    now += 60_000;
    assert.equal(b.tokens, 3);
    for (let i = 0; i < 3; i++) assert.equal(b.take(), true);
    assert.equal(b.take(), false);
  });

  it('a refused take costs nothing', () => {
    let now = 0;
    const b = new TokenBucket(1, 1, () => now);
    assert.equal(b.take(), true);
    for (let i = 0; i < 10; i++) assert.equal(b.take(), false);
    now += 1000;
    assert.equal(b.take(), true);
  });
});

describe('MessageQueue', () => {
  it('drains in order', () => {
    const q = new MessageQueue({ maxFrames: 10, maxBytes: 1 << 20 }, new QueueBudget(1 << 30));
    for (let i = 0; i < 5; i++) q.push(String(i));
    assert.equal(q.size, 5);
    assert.deepEqual(q.drain(), ['0', '1', '2', '3', '4']);
    assert.equal(q.size, 0);
  });

  it('drops the oldest on overflow and counts the drops', () => {
    const q = new MessageQueue({ maxFrames: 3, maxBytes: 1 << 20 }, new QueueBudget(1 << 30));
    const dropped = [];
    for (let i = 0; i < 1000; i++) dropped.push(q.push(String(i)));
    assert.equal(dropped.filter(Boolean).length, 997);
    assert.equal(q.dropped, 997);
    assert.equal(q.size, 3);
    assert.deepEqual(q.drain(), ['997', '998', '999']);
  });

  it('clear empties it', () => {
    const q = new MessageQueue({ maxFrames: 3, maxBytes: 1 << 20 }, new QueueBudget(1 << 30));
    q.push('a');
    q.clear();
    assert.deepEqual(q.drain(), []);
  });
});
