/**
 * The first-offer hold as a PeerSession uses it (./first-offer-hold.test.ts covers the hold
 * alone): when no first offer comes in time, the offer owed for a `negotiationneeded` skipped
 * during the hold is made without waiting for the event to fire again.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { PeerSession } from '../../../packages/client/src/peer/peer-session.ts';
import type { SignalData } from '../../../packages/client/src/peer/signal-data.ts';
import { until } from '../../helpers/wait.ts';
import type { FakePeerConnection } from './fake-peer-connection.ts';
import { onFakes, tick } from './fakes.ts';
import { closeSessions, fakeSession } from './peer-session-fakes.ts';

afterEach(closeSessions);

/** The polite side (alice < bob), holding its first offer for `waitMs`, on a fake connection. */
function holdingSession(waitMs: number, sent: SignalData[]): PeerSession {
  return fakeSession({
    localName: 'alice',
    remoteName: 'bob',
    scope: 'room:test',
    firstOfferWaitMs: waitMs,
    send: (d) => sent.push(d),
  });
}

describe('PeerSession › first-offer hold timing out (fake RTCPeerConnection)', () => {
  it('makes the owed offer for a negotiationneeded skipped while holding, without a second event', async () => {
    const sent: SignalData[] = [];
    // Long enough for the check below that nothing was offered while holding, even under load.
    const s = holdingSession(300, sent);
    const fp = s.pc as unknown as FakePeerConnection;
    // The chat channel is created on the connection directly (features/chat.ts), not through
    // the session's held changes: its negotiationneeded is skipped while holding, and nothing
    // makes the connection fire the event again once the hold is over.
    let events = 0;
    const onNeeded = fp.onnegotiationneeded;
    fp.onnegotiationneeded = () => {
      events++;
      onNeeded?.();
    };
    fp.createDataChannel('chat', { ordered: true });
    await until(() => events === 1, { ...onFakes, what: 'negotiationneeded while holding' });
    assert.deepEqual(fp.log, [], 'no offer while holding');
    await until(() => sent.some((d) => d.kind === 'description'), {
      ...onFakes,
      what: 'the owed offer after the hold timed out',
    });
    assert.deepEqual(fp.log, ['offer']);
    assert.equal(events, 1, 'negotiationneeded fired only once');
    assert.equal(fp.signalingState, 'have-local-offer');
  });

  it('makes one offer, not two, when held tracks fire negotiationneeded again on release', async () => {
    const sent: SignalData[] = [];
    const s = holdingSession(30, sent);
    const fp = s.pc as unknown as FakePeerConnection;
    fp.createDataChannel('chat', { ordered: true });
    const added = s.addTrack({ id: 'a-cam', kind: 'video' } as unknown as MediaStreamTrack);
    await added;
    await until(() => sent.some((d) => d.kind === 'description'), { ...onFakes, what: 'own offer' });
    await tick(20);
    assert.deepEqual(fp.log, ['offer'], 'one offer carries the channel and the held track');
    assert.equal(sent.filter((d) => d.kind === 'description').length, 1);
  });
});
