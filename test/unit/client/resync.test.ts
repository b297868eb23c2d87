import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLoggerFactory } from '../../../packages/client/src/log.ts';
import {
  NegotiationResync,
  type NegotiationResyncOptions,
} from '../../../packages/client/src/peer/resync.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** Lets the rollback promise and its catch run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function resync(over: Partial<NegotiationResyncOptions> = {}) {
  const events: string[] = [];
  const world = { up: true, pending: 'sdp-1' as string | null, settled: false };
  const r = new NegotiationResync({
    answerTimeoutMs: 5000,
    maxNegotiationRecoveries: 2,
    signalingUp: () => world.up,
    offerPending: (sdp) => world.pending === sdp,
    settled: () => world.settled,
    resendMediaState: () => events.push('media-state'),
    rollbackAndRestart: async () => {
      events.push('rollback');
    },
    fail: () => events.push('failed'),
    logger: createLoggerFactory({ level: 'silent' })('test'),
    remoteName: 'alice',
    ...over,
  });
  return { r, events, world };
}

describe('NegotiationResync', () => {
  it('resyncs when our offer is still unanswered after answerTimeoutMs', () => {
    const { r, events } = resync();
    r.watchAnswer('sdp-1');
    mock.timers.tick(4999);
    assert.deepEqual(events, []);
    mock.timers.tick(1);
    assert.deepEqual(events, ['rollback']);
    r.close();
  });

  it('no resync when the offer was answered or replaced meanwhile', () => {
    const { r, events, world } = resync();
    r.watchAnswer('sdp-1');
    r.completed();
    mock.timers.tick(10_000);
    r.watchAnswer('sdp-1');
    world.pending = 'sdp-2';
    mock.timers.tick(10_000);
    assert.deepEqual(events, []);
    r.close();
  });

  it('waits again while signaling is down, and resyncs once it is up', () => {
    const { r, events, world } = resync();
    world.up = false;
    r.watchAnswer('sdp-1');
    mock.timers.tick(15_000);
    assert.deepEqual(events, []);
    world.up = true;
    mock.timers.tick(5000);
    assert.deepEqual(events, ['rollback']);
    r.close();
  });

  it('gives up with fail() after maxNegotiationRecoveries resyncs in a row; final', () => {
    const { r, events } = resync();
    r.resync('a');
    r.resync('b');
    assert.equal(r.failed, false);
    r.resync('c');
    assert.equal(r.failed, true);
    r.resync('d');
    assert.deepEqual(events, ['rollback', 'rollback', 'failed']);
    r.close();
  });

  it('a completed exchange starts the count over', () => {
    const { r, events } = resync();
    r.resync('a');
    r.resync('b');
    r.completed();
    r.resync('c');
    assert.deepEqual(events, ['rollback', 'rollback', 'rollback']);
    r.close();
  });

  it('a rollback that throws fails the session', async () => {
    const { r, events } = resync({
      rollbackAndRestart: () => Promise.reject(new Error('rollback refused')),
    });
    r.resync('a');
    await settle();
    assert.equal(r.failed, true);
    assert.deepEqual(events, ['failed']);
    r.close();
  });

  it('signalingLost: after a backoff, re-sends the media state and resyncs unless settled', () => {
    const { r, events, world } = resync();
    r.signalingLost('RATE_LIMITED');
    r.signalingLost('RATE_LIMITED'); // coalesced
    mock.timers.tick(1200); // backoff level 1: 1000 ms ± 20 %
    assert.deepEqual(events, ['media-state', 'rollback']);
    world.settled = true;
    r.signalingLost('RATE_LIMITED');
    mock.timers.tick(2400); // level 2
    assert.deepEqual(events, ['media-state', 'rollback', 'media-state']);
    r.close();
  });

  it('nothing after close', async () => {
    const { r, events } = resync({
      rollbackAndRestart: () => Promise.reject(new Error('queue closed')),
    });
    r.watchAnswer('sdp-1');
    r.signalingLost('x');
    r.resync('a');
    r.close();
    await settle();
    mock.timers.tick(60_000);
    r.resync('b');
    assert.deepEqual(events, []);
    assert.equal(r.failed, false);
  });
});
