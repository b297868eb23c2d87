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

  it('during a storm, a node running late admits a shrinking share of the rate, down to the floor', () => {
    let now = 0;
    const gate = new LoginGate({
      ratePerS: 100,
      burst: 10,
      now: () => now,
      random: () => 0,
      lagTargetMs: 100,
    });
    for (let i = 0; i < 10; i++) assert.equal(gate.admit(), 0);
    assert.equal(gate.admit(), 13); // the storm: 100/s at an 80 % share, a slot every 12.5 ms
    gate.observeLag(300);
    assert.equal(gate.share, 0.5);
    for (let i = 0; i < 10; i++) gate.observeLag(300);
    assert.equal(gate.share, 0.1); // the floor
    // 10/s now: one token per 100 ms, and slots 125 ms apart after the ones already given.
    now = 100;
    assert.equal(gate.admit(), 0);
    assert.ok(gate.admit() > 0);
    const a = gate.admit();
    const b = gate.admit();
    assert.equal(b - a, 125);
  });

  it('grows the share back by a tenth per sample once the loop is on time again', () => {
    const now = 0;
    const gate = new LoginGate({
      ratePerS: 100,
      burst: 1,
      now: () => now,
      random: () => 0,
      lagTargetMs: 100,
    });
    gate.admit();
    gate.admit(); // refused: a storm
    gate.observeLag(500);
    gate.observeLag(500);
    assert.equal(gate.share, 0.25);
    gate.observeLag(20);
    assert.ok(Math.abs(gate.share - 0.35) < 1e-9);
    for (let i = 0; i < 20; i++) gate.observeLag(20);
    assert.equal(gate.share, 1);
  });

  it('a node late outside a storm, or with the adaptation off, admits at the full rate', () => {
    let now = 0;
    const quiet = new LoginGate({ ratePerS: 100, burst: 50, now: () => now, lagTargetMs: 100 });
    for (let i = 0; i < 10; i++) quiet.observeLag(1000);
    assert.equal(quiet.share, 1);
    for (let i = 0; i < 50; i++) assert.equal(quiet.admit(), 0); // the whole burst
    const off = new LoginGate({ ratePerS: 100, burst: 1, now: () => now, random: () => 0 });
    off.admit();
    off.admit();
    for (let i = 0; i < 10; i++) off.observeLag(1000);
    assert.equal(off.share, 1);
    // A storm long over (2 s past its last slot) does not count either.
    const past = new LoginGate({
      ratePerS: 100,
      burst: 1,
      now: () => now,
      random: () => 0,
      lagTargetMs: 100,
    });
    past.admit();
    past.admit();
    now = 5000;
    past.observeLag(1000);
    assert.equal(past.share, 1);
  });

  it('a late node in a storm takes no burst: its tokens are capped at its share of the burst', () => {
    let now = 0;
    const gate = new LoginGate({
      ratePerS: 100,
      burst: 100,
      now: () => now,
      random: () => 0,
      lagTargetMs: 100,
    });
    for (let i = 0; i < 101; i++) gate.admit(); // the burst, then one refused
    for (let i = 0; i < 10; i++) gate.observeLag(1000); // share 0.1: at most 10 tokens
    now = 60_000; // long enough to refill a full burst at any share
    let admitted = 0;
    while (gate.admit() === 0) admitted++;
    assert.equal(admitted, 10);
  });
});
