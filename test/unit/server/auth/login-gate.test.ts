/** The node's login admission (auth/login-gate.ts): a burst, then the rate, then slots in order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginGate } from '../../../../packages/server/src/auth/login-gate.ts';

describe('LoginGate', () => {
  it('admits the burst, then refuses with waits that grow, one slot per refused client', () => {
    let now = 0;
    const gate = new LoginGate({ ratePerS: 100, burst: 3, now: () => now, random: () => 0 });
    assert.deepEqual([gate.admit(), gate.admit(), gate.admit()], [0, 0, 0]);
    const waits = Array.from({ length: 5 }, () => gate.admit());
    // 100/s at an 80 % share: a slot every 12.5 ms.
    assert.deepEqual(waits, [13, 25, 38, 50, 63]);
    assert.equal(gate.refused, 5);
    now = 20; // two tokens back
    assert.equal(gate.admit(), 0);
    assert.equal(gate.admit(), 0);
    assert.ok(gate.admit() > 0);
  });

  it('never hands out more than the longest wait, and a quiet node forgets old slots', () => {
    let now = 0;
    const gate = new LoginGate({
      ratePerS: 1,
      burst: 1,
      now: () => now,
      maxRetryMs: 5000,
      random: () => 0.99,
    });
    gate.admit();
    for (let i = 0; i < 50; i++) assert.ok(gate.admit() <= 5000);
    now = 10 * 60_000;
    assert.equal(gate.admit(), 0);
    const w = gate.admit();
    assert.ok(w > 0 && w <= 2 * 1250 + 1, `wait ${w}`);
  });

  it('spreads a drain over the time the rate needs', () => {
    const gate = new LoginGate({ ratePerS: 100, burst: 200, random: () => 1 });
    assert.equal(gate.spreadMs(100), 0); // within the burst: no need to wait
    assert.equal(gate.spreadMs(1000), 10_000); // 800 past the burst at 80/s
    assert.equal(gate.spreadMs(1_000_000), 60_000); // capped
  });
});
