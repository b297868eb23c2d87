/**
 * Two ICE restarts crossing: the polite side's backup restart fires before the impolite side's
 * restart offer arrived (seen once in test/e2e/sdk/ice-restart.test.ts under load). Perfect
 * negotiation must resolve it like any glare: the impolite side ignores the polite offer, the
 * polite side rolls back and answers, and both end stable with the restart negotiated.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  PeerSession,
  type RTCPeerConnectionConstructor,
} from '../../../packages/client/src/peer/peer-session.ts';
import type { SignalData } from '../../../packages/client/src/peer/signal-data.ts';
import { until } from '../../helpers/wait.ts';
import { FakePeerConnection } from './fake-peer-connection.ts';
import { onFakes, tick } from './fakes.ts';

const sessions: PeerSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

/** alice (polite) and bob (impolite), each signal delivered after `delayMs` in order. */
function restartingPair(delayMs: number) {
  const mk = (local: string, remote: string, to: () => PeerSession) => {
    let chain = Promise.resolve();
    const s = new PeerSession({
      localName: local,
      remoteName: remote,
      scope: 'call:c',
      RTCPeerConnection: FakePeerConnection as unknown as RTCPeerConnectionConstructor,
      firstOfferWaitMs: 0,
      // Both restart at once on `failed`: the polite side's backup does not wait.
      politeBackupMs: 0,
      iceRestartTimeoutMs: 60_000,
      send: (data: SignalData) => {
        const copy = JSON.parse(JSON.stringify(data)) as SignalData;
        chain = chain.then(() => tick(delayMs)).then(() => to().handleSignal(copy));
      },
    });
    sessions.push(s);
    return s;
  };
  let a!: PeerSession;
  let b!: PeerSession;
  a = mk('alice', 'bob', () => b);
  b = mk('bob', 'alice', () => a);
  return { a, b, fa: a.pc as unknown as FakePeerConnection, fb: b.pc as unknown as FakePeerConnection };
}

describe('PeerSession › two ICE restarts crossing (fake RTCPeerConnection)', () => {
  it('both sides restart at once: the offers collide, and both end stable with the restart negotiated', async () => {
    const { a, b, fa, fb } = restartingPair(5);
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
