/**
 * Two ICE restarts crossing: the polite side's backup restart fires before the impolite side's
 * restart offer arrived (seen once in test/e2e/sdk/ice-restart.test.ts under load). Perfect
 * negotiation must resolve it like any glare: the impolite side ignores the polite offer, the
 * polite side rolls back and answers, and both end stable with the restart negotiated. And the
 * polite side's backup must not cross an offer that already arrived but waits in the queue.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../helpers/wait.ts';
import type { FakePeerConnection } from './fake-peer-connection.ts';
import { onFakes, tick } from './fakes.ts';
import { closeSessions, fakeSession, pair } from './peer-session-fakes.ts';

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

describe('PeerSession › the polite backup restart waits for a remote offer still queued', () => {
  it('an offer that arrived while the queue was busy defers the backup restart', async () => {
    const s = fakeSession({
      localName: 'alice',
      remoteName: 'bob',
      scope: 'call:c',
      send: () => {},
      firstOfferWaitMs: 0,
      politeBackupMs: 40,
      iceRestartTimeoutMs: 60_000,
    });
    const fa = s.pc as unknown as FakePeerConnection;
    fa.setIce('connected', 'connected');
    // alice's own offer is in the queue (each engine call takes 100 ms) when ICE fails and bob's
    // restart offer arrives behind it.
    fa.opDelayMs = 100;
    void s.addTrack({ id: 'a-cam', kind: 'video' } as unknown as MediaStreamTrack);
    await tick(5);
    assert.deepEqual(fa.log, [], 'alice’s offer is still being made');
    fa.setIce('failed', 'failed');
    s.handleSignal({
      kind: 'description',
      scope: 'call:c',
      description: { type: 'offer', sdp: 'bob-restart' },
    });
    await until(() => fa.log.includes('answer'), { ...onFakes, what: 'bob’s offer answered' });
    assert.equal(fa.restartIceCalls, 0, 'alice left the restart to bob');
  });
});
