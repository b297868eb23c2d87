import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpLimiter, ipKey } from '../../../../packages/server/src/auth/ip-limiter.ts';

function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('IpLimiter', () => {
  it('allows a burst, then refuses until tokens come back at the configured rate', () => {
    const c = clock();
    const limiter = new IpLimiter({ ratePerS: 2, burst: 3, now: c.now });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a')),
      [true, true, true, false],
    );
    assert.equal(limiter.retryAfterMs('a'), 500);
    c.t += 499;
    assert.equal(limiter.take('a'), false);
    c.t += 1;
    assert.equal(limiter.take('a'), true);
    assert.equal(limiter.take('a'), false);
  });

  it('keeps keys apart', () => {
    const limiter = new IpLimiter({ ratePerS: 1, burst: 1, now: clock().now });
    assert.equal(limiter.take('a'), true);
    assert.equal(limiter.take('a'), false);
    assert.equal(limiter.take('b'), true);
  });

  it('does not take tokens from a refused attempt (hammering does not extend the wait)', () => {
    const c = clock();
    const limiter = new IpLimiter({ ratePerS: 1, burst: 1, now: c.now });
    limiter.take('a');
    for (let i = 0; i < 100; i++) limiter.take('a');
    c.t += 1000;
    assert.equal(limiter.take('a'), true);
  });

  it('never holds more than burst tokens after a long idle time', () => {
    const c = clock();
    const limiter = new IpLimiter({ ratePerS: 10, burst: 2, now: c.now });
    limiter.take('a');
    c.t += 3_600_000;
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.take('a')),
      [true, true, false],
    );
  });

  it('supports a cost above one', () => {
    const limiter = new IpLimiter({ ratePerS: 1, burst: 5, now: clock().now });
    assert.equal(limiter.take('a', 4), true);
    assert.equal(limiter.take('a', 2), false);
    assert.equal(limiter.take('a', 1), true);
  });

  it('forgets keys whose bucket has refilled (idle expiry), by itself on later takes', () => {
    const c = clock();
    const limiter = new IpLimiter({ ratePerS: 1, burst: 2, now: c.now });
    for (let i = 0; i < 50; i++) limiter.take(`k${i}`, 2);
    assert.equal(limiter.size, 50);
    c.t += 1000; // half refilled: still informative
    limiter.sweep();
    assert.equal(limiter.size, 50);
    c.t += 2000; // full again, and a whole idle period since the last sweep: the next take sweeps
    limiter.take('fresh');
    assert.equal(limiter.size, 1);
  });

  it('bounds memory with maxKeys, dropping the least recently used key', () => {
    const c = clock();
    const limiter = new IpLimiter({ ratePerS: 0.001, burst: 1, maxKeys: 3, now: c.now });
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    limiter.take('a', 0); // touch a: b is now the oldest
    limiter.take('d');
    assert.equal(limiter.size, 3);
    assert.equal(limiter.take('a'), false, 'a was kept (still empty)');
    assert.equal(limiter.take('b'), true, 'b was dropped (fresh bucket)');
  });

  it('refuses nonsense options', () => {
    assert.throws(() => new IpLimiter({ ratePerS: 0, burst: 1 }), RangeError);
    assert.throws(() => new IpLimiter({ ratePerS: 1, burst: 0 }), RangeError);
  });
});

describe('ipKey', () => {
  it('keeps IPv4 and unwraps IPv4-mapped IPv6', () => {
    assert.equal(ipKey('203.0.113.7'), '203.0.113.7');
    assert.equal(ipKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(ipKey('::FFFF:203.0.113.7'), '203.0.113.7');
  });

  it('folds IPv6 to its /64, however the address is written', () => {
    const k = ipKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    assert.equal(k, '2001:db8:1:2::/64');
    assert.equal(ipKey('2001:0db8:0001:0002::1'), k);
    assert.equal(ipKey('2001:db8:1:2::'), k);
    assert.notEqual(ipKey('2001:db8:1:3::1'), k);
    assert.equal(ipKey('::1'), '0:0:0:0::/64');
    assert.equal(ipKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(ipKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });

  it('passes anything else through unchanged', () => {
    assert.equal(ipKey('unknown'), 'unknown');
  });
});
