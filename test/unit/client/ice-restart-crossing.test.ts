/**
 * Two ICE restarts crossing: the polite side's backup restart fires before the impolite side's
 * restart offer arrived (seen once in test/e2e/sdk/ice-restart.test.ts under load). Perfect
 * negotiation must resolve it like any glare: the impolite side ignores the polite offer, the
 * polite side rolls back and answers, and both end stable with the restart negotiated.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../helpers/wait.ts';
import { onFakes, tick } from './fakes.ts';
import { closeSessions, pair } from './peer-session-fakes.ts';

afterEach(closeSessions);

describe('PeerSession › two ICE restarts crossing (fake RTCPeerConnection)', () => {
  it('both sides restart at once: the offers collide, and both end stable with the restart negotiated', async () => {
    // Both restart at once on `failed`: the polite side's backup does not wait.
    const { a, b, fa, fb } = pair(() => 5, { politeBackupMs: 0, iceRestartTimeoutMs: 60_000 });
    for (const pc of [fa, fb]) pc.setIce('connected', 'connected');
    for (const pc of [fa, fb]) pc.setIce('failed', 'failed');
    await until(() => fa.restartIceCalls >= 1 && fb.restartIceCalls >= 1, {
      ...onFakes,
      what: 'both sides restarted',
    });
    await until(
      () =>
        fa.negotiatedTracks.includes('ice') &&
        fb.negotiatedTracks.includes('ice') &&
        fa.signalingState === 'stable' &&
        fb.signalingState === 'stable',
      { ...onFakes, what: 'both restarts negotiated, both stable', explain: () => [fa.log, fb.log] },
    );
    assert.ok(fa.log.includes('implicit-rollback'), `the polite side yielded: ${fa.log.join(' ')}`);
    assert.ok(!fb.log.includes('implicit-rollback'), 'the impolite side kept its offer');
    await tick(50);
    assert.equal(fa.signalingState, 'stable', 'no offer loop afterwards');
    assert.equal(fb.signalingState, 'stable');
    for (const pc of [fa, fb]) pc.setIce('connected', 'connected');
    assert.equal(a.state, 'connected');
    assert.equal(b.state, 'connected');
  });
});
