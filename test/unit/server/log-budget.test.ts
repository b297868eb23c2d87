import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogBudget } from '../../../packages/server/src/node/error-boundary.ts';

describe('LogBudget', () => {
  it('lets perWindow lines through, counts the rest, and reports the count once the window ends', async () => {
    let now = 1000;
    const budget = new LogBudget(3, 50, () => now);
    const summaries: number[] = [];
    const summarise = (n: number) => summaries.push(n);
    const allowed = Array.from({ length: 10 }, () => budget.take(summarise));
    assert.deepEqual(
      allowed.map((a) => (a ? 1 : 0)),
      [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.equal(budget.suppressed, 7);
    assert.deepEqual(summaries, [], 'no summary before the window ends');
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(summaries, [7], 'one summary line with the count');
    // A new window has a fresh budget.
    now += 50;
    assert.equal(budget.take(summarise), true);
    assert.equal(budget.suppressed, 0);
  });

  it('writes no summary when nothing was suppressed', async () => {
    const budget = new LogBudget(2, 20);
    const summaries: number[] = [];
    assert.equal(
      budget.take((n) => summaries.push(n)),
      true,
    );
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(summaries, []);
  });
});
