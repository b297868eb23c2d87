import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLoggerFactory } from '../../../packages/client/src/log.ts';
import { IceRecovery, type IceRecoveryOptions } from '../../../packages/client/src/peer/ice-recovery.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** An IceRecovery with small round numbers, recording restarts and the give-up. */
function recovery(over: Partial<IceRecoveryOptions> = {}) {
  const events: string[] = [];
  const state = { connected: false };
  const warnings: string[] = [];
  const r = new IceRecovery({
    polite: false,
    iceDisconnectedGraceMs: 3000,
    politeBackupMs: 2000,
    iceRestartTimeoutMs: 10_000,
    maxIceRestarts: 2,
    firstConnectTimeoutMs: 10_000,
    isConnected: () => state.connected,
    restartIce: () => events.push('restart'),
    giveUp: () => events.push('gave up'),
    logger: createLoggerFactory({ level: 'warn', sink: (_l, _n, msg) => warnings.push(msg) })('test'),
    remoteName: 'alice',
    ...over,
  });
  return { r, events, state, warnings };
}

describe('IceRecovery', () => {
  it('the impolite side restarts at once on failed; the polite side after politeBackupMs', () => {
    const impolite = recovery();
    impolite.r.check('failed');
    mock.timers.tick(0);
    assert.deepEqual(impolite.events, ['restart']);
    const polite = recovery({ polite: true });
    polite.r.check('failed');
    mock.timers.tick(1999);
    assert.deepEqual(polite.events, []);
    mock.timers.tick(1);
    assert.deepEqual(polite.events, ['restart']);
    impolite.r.close();
    polite.r.close();
  });

  it('waits iceDisconnectedGraceMs on disconnected, and nothing happens when it reconnects meanwhile', () => {
    const { r, events } = recovery();
    r.check('disconnected');
    mock.timers.tick(2000);
    r.connected();
    mock.timers.tick(60_000);
    assert.deepEqual(events, []);
    r.close();
  });

  it('retries every iceRestartTimeoutMs, then gives up after maxIceRestarts with a warning', () => {
    const { r, events, warnings } = recovery();
    r.check('failed');
    mock.timers.tick(0);
    assert.equal(r.restarts, 1);
    mock.timers.tick(10_000);
    assert.equal(r.restarts, 2);
    mock.timers.tick(10_000);
    assert.deepEqual(events, ['restart', 'restart', 'gave up']);
    assert.ok(warnings.includes('ice recovery gave up'));
    r.close();
  });

  it('a restart that is due finds the connection back: no restart, and connected() resets the count', () => {
    const { r, events, state } = recovery();
    r.check('failed');
    mock.timers.tick(0);
    state.connected = true;
    mock.timers.tick(10_000);
    assert.deepEqual(events, ['restart']);
    r.connected();
    assert.equal(r.restarts, 0);
    assert.equal(r.everConnected, true);
    r.close();
  });

  it('schedules one restart at a time', () => {
    const { r, events } = recovery({ polite: true });
    r.check('disconnected');
    r.check('failed');
    mock.timers.tick(5000);
    assert.deepEqual(events, ['restart']);
    r.close();
  });

  it('a remote offer postpones the polite side’s backup restart by iceRestartTimeoutMs', () => {
    const { r, events } = recovery({ polite: true });
    r.check('failed');
    mock.timers.tick(1000);
    r.remoteOffer();
    mock.timers.tick(9999);
    assert.deepEqual(events, []);
    mock.timers.tick(1);
    assert.deepEqual(events, ['restart']);
    r.close();
  });

  it('a remote offer changes nothing on the impolite side', () => {
    const { r, events } = recovery();
    r.check('disconnected');
    r.remoteOffer();
    mock.timers.tick(3000);
    assert.deepEqual(events, ['restart']);
    r.close();
  });

  it('restarts when the first connection never comes (polite: politeBackupMs later)', () => {
    const impolite = recovery();
    mock.timers.tick(10_000);
    assert.deepEqual(impolite.events, ['restart']);
    const polite = recovery({ polite: true });
    mock.timers.tick(10_000);
    assert.deepEqual(polite.events, []);
    mock.timers.tick(2000);
    assert.deepEqual(polite.events, ['restart']);
    impolite.r.close();
    polite.r.close();
  });

  it('no first-connect restart once connected, and nothing at all after close', () => {
    const a = recovery();
    a.r.connected();
    mock.timers.tick(20_000);
    assert.deepEqual(a.events, []);
    const b = recovery();
    b.r.check('failed');
    b.r.close();
    mock.timers.tick(60_000);
    assert.deepEqual(b.events, []);
  });
});
