import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { FirstOfferHold } from '../../../packages/client/src/peer/first-offer-hold.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

describe('FirstOfferHold', () => {
  it('holds changes until release, then runs them in order and settles each with its outcome', async () => {
    const hold = new FirstOfferHold({ waitMs: 1500, onTimeout: () => {} });
    hold.hold();
    assert.equal(hold.holding, true);
    const ran: string[] = [];
    const a = hold.defer(() => {
      ran.push('a');
      return 1;
    });
    const b = hold.defer(async () => {
      ran.push('b');
      throw new Error('b failed');
    });
    assert.deepEqual(ran, []);
    await hold.release();
    assert.equal(hold.holding, false);
    assert.deepEqual(ran, ['a', 'b']);
    assert.equal(await a, 1);
    await assert.rejects(b, /b failed/);
  });

  it('calls onTimeout once waitMs passed without a release', () => {
    let timeouts = 0;
    const hold = new FirstOfferHold({ waitMs: 1500, onTimeout: () => timeouts++ });
    hold.hold();
    mock.timers.tick(1499);
    assert.equal(timeouts, 0);
    mock.timers.tick(1);
    assert.equal(timeouts, 1);
  });

  it('a second hold restarts the wait; a release cancels it', async () => {
    let timeouts = 0;
    const hold = new FirstOfferHold({ waitMs: 1000, onTimeout: () => timeouts++ });
    hold.hold();
    mock.timers.tick(800);
    hold.hold();
    mock.timers.tick(800);
    assert.equal(timeouts, 0);
    await hold.release();
    mock.timers.tick(5000);
    assert.equal(timeouts, 0);
  });

  it('never holds with waitMs 0', () => {
    const hold = new FirstOfferHold({ waitMs: 0, onTimeout: () => assert.fail('no timer') });
    hold.hold();
    assert.equal(hold.holding, false);
    mock.timers.tick(10_000);
  });

  it('remembers a skipped negotiationneeded until the release', async () => {
    const hold = new FirstOfferHold({ waitMs: 1000, onTimeout: () => {} });
    hold.hold();
    assert.equal(hold.negotiationSkipped, false);
    hold.skipNegotiation();
    assert.equal(hold.negotiationSkipped, true);
    assert.equal(await hold.release(), true, 'release says the offer is owed');
    assert.equal(hold.negotiationSkipped, false);
  });

  it('release says no offer is owed when no negotiationneeded was skipped', async () => {
    const hold = new FirstOfferHold({ waitMs: 1000, onTimeout: () => {} });
    hold.hold();
    const change = hold.defer(() => 'a change');
    assert.equal(await hold.release(), false);
    assert.equal(await change, 'a change');
  });

  it('close rejects held changes with InvalidStateError and stops the timer', async () => {
    const hold = new FirstOfferHold({ waitMs: 1000, onTimeout: () => assert.fail('closed') });
    hold.hold();
    const held = hold.defer(() => 'never');
    hold.close();
    await assert.rejects(held, { name: 'InvalidStateError' });
    mock.timers.tick(5000);
  });
});
