import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ExponentialBackoffPolicy,
  NEVER_RECONNECT,
} from '../../../packages/client/src/signaling/reconnect-policy.ts';

describe('ExponentialBackoffPolicy', () => {
  it('doubles from the initial delay up to the cap (no jitter)', () => {
    const p = new ExponentialBackoffPolicy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 });
    const delays = [0, 1, 2, 3, 4, 5].map((attempt) =>
      p.nextDelayMs({ attempt, elapsedMs: 0, reason: 'close-1006' }),
    );
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  });

  it('keeps jittered delays within ±jitter of the base', () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const p = new ExponentialBackoffPolicy({ initialDelayMs: 1000, jitter: 0.3, random: () => r });
      const d = p.nextDelayMs({ attempt: 0, elapsedMs: 0, reason: 'timeout' });
      assert.ok(d !== null && d >= 700 && d <= 1300, `delay ${d} for random ${r}`);
    }
    const spread = new Set(
      Array.from({ length: 50 }, () =>
        new ExponentialBackoffPolicy({ initialDelayMs: 1000 }).nextDelayMs({
          attempt: 3,
          elapsedMs: 0,
          reason: 'x',
        }),
      ),
    );
    assert.ok(spread.size > 10, 'jitter spreads clients out');
  });

  it('gives up after maxElapsedMs', () => {
    const p = new ExponentialBackoffPolicy({ maxElapsedMs: 5000 });
    assert.notEqual(p.nextDelayMs({ attempt: 9, elapsedMs: 4999, reason: 'timeout' }), null);
    assert.equal(p.nextDelayMs({ attempt: 10, elapsedMs: 5000, reason: 'timeout' }), null);
  });

  it('never retries reasons that cannot succeed', () => {
    const p = new ExponentialBackoffPolicy();
    for (const reason of ['UNAUTHORIZED', 'UNSUPPORTED_VERSION', 'SESSION_REPLACED']) {
      assert.equal(p.nextDelayMs({ attempt: 0, elapsedMs: 0, reason }), null, reason);
    }
    assert.notEqual(p.nextDelayMs({ attempt: 0, elapsedMs: 0, reason: 'SHUTTING_DOWN' }), null);
  });

  it('NEVER_RECONNECT always gives up', () => {
    assert.equal(NEVER_RECONNECT.nextDelayMs({ attempt: 0, elapsedMs: 0, reason: 'x' }), null);
  });
});
