/** Parts of the web app loaded on demand (packages/web/src/app/lazy-part.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describePartFailure, lazyPart, withSlowNotice } from '../../../packages/web/src/app/lazy-part.ts';

describe('web lazy parts', () => {
  it('fetches a part once and shares the fetch', async () => {
    let loads = 0;
    const load = lazyPart(async () => {
      loads += 1;
      return { part: 'call' };
    });
    const [a, b] = await Promise.all([load(), load()]);
    assert.equal(a, b);
    assert.equal(await load(), a);
    assert.equal(loads, 1);
  });

  it('forgets a failed fetch, so the next call tries again', async () => {
    let loads = 0;
    const load = lazyPart(async () => {
      loads += 1;
      if (loads === 1) throw new TypeError('Failed to fetch dynamically imported module');
      return 'ok';
    });
    await assert.rejects(load(), /Failed to fetch/);
    assert.equal(await load(), 'ok');
    assert.equal(loads, 2);
  });

  it('tells about a slow load once, and not about a quick one', async () => {
    let slow = 0;
    assert.equal(await withSlowNotice(Promise.resolve(1), () => slow++, 20), 1);
    await sleep(40);
    assert.equal(slow, 0, 'a quick load shows no loading state');
    assert.equal(
      await withSlowNotice(
        sleep(60).then(() => 2),
        () => slow++,
        10,
      ),
      2,
    );
    assert.equal(slow, 1);
  });

  it('passes a failure through, and stops the timer', async () => {
    let slow = 0;
    await assert.rejects(
      withSlowNotice(Promise.reject(new Error('gone')), () => slow++, 20),
      /gone/,
    );
    await sleep(40);
    assert.equal(slow, 0);
  });

  it('words a failure with the way out', () => {
    assert.match(
      describePartFailure('the call screen'),
      /^Could not load the call screen\..*Reload the page/,
    );
  });
});
