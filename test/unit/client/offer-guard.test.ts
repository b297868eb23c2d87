import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLoggerFactory } from '../../../packages/client/src/log.ts';
import { backoffMs, OfferGuard } from '../../../packages/client/src/peer/offer-guard.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** A guard of 3 offers per 1000 ms on a hand-driven clock, no jitter (random 0.5 = ×1). */
function guard() {
  const clock = { now: 0 };
  let retries = 0;
  const warnings: { msg: string; ctx?: object }[] = [];
  const g = new OfferGuard({
    maxOffersPerWindow: 3,
    offerWindowMs: 1000,
    onRetry: () => retries++,
    logger: createLoggerFactory({ level: 'warn', sink: (_l, _n, msg, ctx) => warnings.push({ msg, ctx }) })(
      'test',
    ),
    remoteName: 'alice',
    now: () => clock.now,
    random: () => 0.5,
  });
  /** Asks for an offer and, when allowed, makes it. */
  const offer = () => {
    const ok = g.request();
    if (ok) g.offered();
    return ok;
  };
  return { g, clock, offer, warnings, retries: () => retries };
}

describe('backoffMs', () => {
  it('doubles from 500 ms up to the 8 s cap, with ±20 % jitter', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 20].map((level) => backoffMs(level, () => 0.5)),
      [500, 1000, 2000, 4000, 8000, 8000, 8000],
    );
    assert.equal(
      backoffMs(1, () => 0),
      800,
    );
    assert.equal(
      backoffMs(1, () => 0.999999),
      1200,
    );
  });
});

describe('OfferGuard', () => {
  it('lets maxOffersPerWindow offers through, then backs off and logs why at warn', () => {
    const { offer, warnings, g } = guard();
    assert.deepEqual([offer(), offer(), offer()], [true, true, true]);
    assert.equal(offer(), false);
    assert.equal(g.backingOff, true);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.msg, 'negotiation loop: backing off');
    assert.deepEqual(warnings[0]?.ctx, { remote: 'alice', reason: '3 offers in 1000 ms', delayMs: 500 });
    g.close();
  });

  it('offers older than the window do not count', () => {
    const { offer, clock, g } = guard();
    offer();
    offer();
    offer();
    clock.now = 1000;
    assert.equal(offer(), true);
    g.close();
  });

  it('makes one owed offer when the backoff ends, however many were asked for meanwhile', () => {
    const { offer, retries, g } = guard();
    for (let i = 0; i < 3; i++) offer();
    assert.equal(offer(), false);
    assert.equal(g.request(), false);
    assert.equal(g.request(), false);
    mock.timers.tick(499);
    assert.equal(retries(), 0);
    mock.timers.tick(1);
    assert.equal(retries(), 1);
    assert.equal(g.backingOff, false);
    // The window starts over after a backoff.
    assert.equal(offer(), true);
    g.close();
  });

  it('the backoff grows on repeated trips and starts over after a quiet spell', () => {
    const { offer, clock, warnings, g } = guard();
    const trip = () => {
      for (let i = 0; i < 3; i++) offer();
      offer();
      mock.timers.tick(10_000);
    };
    trip();
    clock.now += 100;
    trip();
    clock.now += 100;
    trip();
    clock.now += 4001; // more than 4 windows since the last trip
    trip();
    assert.deepEqual(
      warnings.map((w) => (w.ctx as { delayMs: number }).delayMs),
      [500, 1000, 2000, 500],
    );
    g.close();
  });

  it('no retry after close', () => {
    const { offer, retries, g } = guard();
    for (let i = 0; i < 4; i++) offer();
    g.close();
    mock.timers.tick(10_000);
    assert.equal(retries(), 0);
    assert.equal(g.request(), false);
  });
});
