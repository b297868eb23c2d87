import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createLoggerFactory } from '../../../packages/client/src/log.ts';
import { PeerSession } from '../../../packages/client/src/peer/peer-session.ts';
import type { SignalData } from '../../../packages/client/src/peer/signal-data.ts';
import { until } from '../../helpers/wait.ts';
import type { FakePeerConnection } from './fake-peer-connection.ts';
import { onFakes, tick } from './fakes.ts';
import { closeSessions, FakePC, fakeSession, pair, sessions } from './peer-session-fakes.ts';

afterEach(closeSessions);

const track = (id: string, kind = 'video') => ({ id, kind }) as unknown as MediaStreamTrack;

describe('PeerSession › perfect negotiation (fake RTCPeerConnection)', () => {
  it('derives politeness from the two names, opposite on each side', () => {
    const { a, b } = pair();
    assert.equal(a.polite, true);
    assert.equal(b.polite, false);
  });

  it('negotiates one side’s track with a single offer/answer', async () => {
    const { a, b, fa, fb } = pair();
    await a.addTrack(track('a-cam'));
    await until(() => fa.negotiatedTracks.includes('a-cam') && fb.signalingState === 'stable', {
      ...onFakes,
      what: 'negotiated',
    });
    assert.deepEqual(fa.log, ['offer']);
    assert.deepEqual(fb.log, ['answer']);
    assert.equal(b.state, 'connecting');
  });

  it('survives glare: both sides offer at the same instant, 20 times, with random delivery delays', async () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Rounds in which the offers really crossed: the polite side rolled its own offer back.
    let collided = 0;
    for (let round = 0; round < 20; round++) {
      const { a, b, fa, fb } = pair(() => Math.floor(rand() * 4));
      fa.opDelayMs = Math.floor(rand() * 3);
      fb.opDelayMs = Math.floor(rand() * 3);
      await Promise.all([a.addTrack(track('a-cam')), b.addTrack(track('b-cam'))]);
      await until(
        () =>
          fa.negotiatedTracks.includes('a-cam') &&
          fb.negotiatedTracks.includes('b-cam') &&
          fa.signalingState === 'stable' &&
          fb.signalingState === 'stable',
        { ...onFakes, what: `round ${round}: both tracks negotiated` },
      );
      const glare = fa.log.includes('implicit-rollback');
      if (glare) {
        collided++;
        assert.ok(fb.log.filter((x) => x === 'offer').length >= 1);
      }
      a.close();
      b.close();
    }
    // The delays are seeded, so this count is the same on every run; a change that stopped the
    // offers from crossing (or the polite side from rolling back) would leave it at zero.
    assert.ok(collided >= 1, `no round had glare (${collided} of 20)`);
  });

  it('the polite side holds its tracks for the first offer and answers with them (no glare)', async () => {
    const sent: SignalData[] = [];
    const polite = fakeSession({
      localName: 'alice',
      remoteName: 'bob',
      scope: 'room:test',
      send: (d) => sent.push(d),
      firstOfferWaitMs: 5_000,
    });
    const fp = polite.pc as unknown as FakePeerConnection;
    const added = polite.addTrack(track('a-cam'));
    await tick(5);
    assert.deepEqual(fp.log, [], 'no offer from the polite side yet');
    polite.handleSignal({
      kind: 'description',
      scope: 'room:test',
      description: { type: 'offer', sdp: 'first' },
    });
    await added;
    await until(() => sent.some((d) => d.kind === 'description'), { ...onFakes, what: 'answered' });
    assert.deepEqual(fp.log, ['answer'], 'answered the first offer, never offered itself');
    assert.equal(fp.getSenders().length, 1, 'the held track was added before answering');
  });

  it('the polite side offers itself when no first offer comes in time', async () => {
    const sent: SignalData[] = [];
    const polite = fakeSession({
      localName: 'alice',
      remoteName: 'bob',
      scope: 'room:test',
      send: (d) => sent.push(d),
      firstOfferWaitMs: 20,
    });
    await polite.addTrack(track('a-cam'));
    await until(() => sent.some((d) => d.kind === 'description'), {
      ...onFakes,
      what: 'own offer after the wait',
    });
  });

  it('buffers candidates that arrive before the remote description', async () => {
    const fakeSent: SignalData[] = [];
    const s = fakeSession({
      scope: 'call:c1',
      send: (d) => fakeSent.push(d),
    });
    const pc = s.pc as unknown as FakePeerConnection;
    s.handleSignal({ kind: 'candidate', scope: 'call:c1', candidate: { candidate: 'early-1', sdpMid: '0' } });
    s.handleSignal({ kind: 'candidate', scope: 'call:c1', candidate: { candidate: 'early-2', sdpMid: '0' } });
    await tick(5);
    assert.equal(pc.addedCandidates.length, 0, 'not added without a remote description');
    s.handleSignal({ kind: 'description', scope: 'call:c1', description: { type: 'offer', sdp: 'x' } });
    await until(() => pc.addedCandidates.length === 2, { ...onFakes, what: 'flushed' });
    assert.deepEqual(
      pc.addedCandidates.map((c) => c.candidate),
      ['early-1', 'early-2'],
    );
    await until(() => fakeSent.some((d) => d.kind === 'description'), { ...onFakes, what: 'answer sent' });
    const answer = fakeSent.find((d) => d.kind === 'description');
    assert.equal(answer?.kind === 'description' && answer.description.type, 'answer');
  });

  it('drops candidates of an offer it ignored (impolite side, glare)', async () => {
    const s = fakeSession({
      scope: 'call:c1',
      send: () => {},
    });
    const pc = s.pc as unknown as FakePeerConnection;
    await s.addTrack(track('b-cam'));
    await until(() => pc.signalingState === 'have-local-offer', { ...onFakes, what: 'own offer out' });
    s.handleSignal({ kind: 'description', scope: 'call:c1', description: { type: 'offer', sdp: 'theirs' } });
    s.handleSignal({ kind: 'candidate', scope: 'call:c1', candidate: { candidate: 'theirs-1' } });
    await tick(5);
    assert.equal(pc.signalingState, 'have-local-offer', 'kept our offer');
    assert.equal(pc.remoteDescription, null);
    assert.equal(pc.addedCandidates.length, 0);
  });

  it('ignores an answer that arrives when no offer is out (stale)', async () => {
    const s = fakeSession({
      scope: 'call:c',
      send: () => {},
    });
    s.handleSignal({ kind: 'description', scope: 'call:c', description: { type: 'answer', sdp: 'old' } });
    await tick(5);
    assert.equal((s.pc as unknown as FakePeerConnection).remoteDescription, null);
  });

  it('rejects queued work with InvalidStateError after close and emits closed once', async () => {
    const { a, fa } = pair();
    const states: string[] = [];
    a.on('state', (st) => states.push(st));
    fa.opDelayMs = 20; // keep a remote offer busy in the queue…
    a.handleSignal({ kind: 'description', scope: 'room:test', description: { type: 'offer', sdp: 'x' } });
    const p = a.addTrack(track('x')); // …so this one waits behind it
    a.close();
    a.close();
    await assert.rejects(p, { name: 'InvalidStateError' });
    await assert.rejects(a.replaceTrack(track('x'), track('y')), { name: 'InvalidStateError' });
    assert.deepEqual(states, ['closed']);
  });

  it('reports media state and app data from the peer', async () => {
    const { a, b } = pair();
    const seen: unknown[] = [];
    b.on('media-state', (m) => seen.push(m));
    b.on('app-data', (d) => seen.push(d));
    a.sendMediaState({ audio: false, video: true, screen: true });
    a.sendAppData({ hello: 'bob' });
    await until(() => seen.length === 2, { ...onFakes, what: 'delivered' });
    assert.deepEqual(seen, [{ audio: false, video: true, screen: true }, { hello: 'bob' }]);
    assert.deepEqual(b.remoteMediaState, { audio: false, video: true, screen: true });
  });
});

describe('PeerSession › ICE recovery (fake RTCPeerConnection)', () => {
  it('the impolite side restarts ICE at once when ICE fails; the polite side waits', async () => {
    const { a, b, fa, fb } = pair(() => 0, { politeBackupMs: 10_000, iceRestartTimeoutMs: 10_000 });
    fa.setIce('connected', 'connected');
    fb.setIce('connected', 'connected');
    assert.equal(b.state, 'connected');
    fa.setIce('failed', 'failed');
    fb.setIce('failed', 'failed');
    assert.equal(b.state, 'reconnecting');
    await until(() => fb.restartIceCalls === 1, { ...onFakes, what: 'impolite restarted' });
    assert.equal(fa.restartIceCalls, 0, 'polite waits for the other side');
    await until(() => fb.negotiatedTracks.includes('ice'), {
      ...onFakes,
      what: 'the restart offer was answered',
    });
    fa.setIce('connected', 'connected');
    fb.setIce('connected', 'connected');
    assert.equal(a.state, 'connected');
    assert.equal(b.iceRestarts, 0, 'the count resets once connected');
  });

  it('restarts after ICE stays disconnected past the grace, and gives up after maxIceRestarts', async () => {
    const s = fakeSession({
      scope: 'call:c',
      send: () => {},
      iceDisconnectedGraceMs: 5,
      iceRestartTimeoutMs: 5,
      maxIceRestarts: 2,
    });
    const pc = s.pc as unknown as FakePeerConnection;
    pc.setIce('connected', 'connected');
    pc.setIce('disconnected', 'disconnected');
    assert.equal(s.state, 'reconnecting');
    const failed = s.next('state', { timeoutMs: 2000 });
    const [state, reason] = await failed;
    assert.equal(state, 'failed');
    assert.equal(reason, 'ice-failed');
    assert.equal(pc.restartIceCalls, 2);
  });
});

/** A logger that records warn-and-above messages. */
function recordingLogger() {
  const lines: { level: string; msg: string; ctx?: object }[] = [];
  const logger = createLoggerFactory({
    level: 'info',
    sink: (level, _name, msg, ctx) => lines.push({ level, msg, ...(ctx ? { ctx } : {}) }),
  })('parley:peer');
  return { logger, lines };
}

describe('PeerSession › negotiation recovery (fake RTCPeerConnection)', () => {
  it('a remote answer that cannot be applied: rollback, ICE-restart offer, negotiated', async () => {
    const { a, b, fa, fb } = pair(() => 0, { answerTimeoutMs: 60_000 });
    fb.failRemote.push('answer');
    await b.addTrack(track('b-cam'));
    await until(() => fb.log.includes('srd-failed-answer'), { ...onFakes, what: 'the answer failed' });
    await until(
      () =>
        fb.negotiatedTracks.includes('b-cam') &&
        fb.signalingState === 'stable' &&
        fa.signalingState === 'stable',
      { ...onFakes, what: 'negotiated after the resync' },
    );
    assert.ok(fb.log.includes('rollback'), 'the pending offer was rolled back');
    assert.ok(
      fb.createOfferOptions.some((o) => (o as { iceRestart?: boolean } | undefined)?.iceRestart),
      'the fresh offer restarts ICE',
    );
    assert.equal(b.state, 'connecting', 'not failed');
    assert.equal(a.state, 'connecting');
  });

  it('a remote offer the polite side cannot apply: both sides resync and end up negotiated', async () => {
    const { a, b, fa, fb } = pair(() => 0, { answerTimeoutMs: 40 });
    fa.failRemote.push('offer');
    await b.addTrack(track('b-cam'));
    await until(() => fa.log.includes('srd-failed-offer'), {
      ...onFakes,
      what: 'the offer failed on the polite side',
    });
    await until(
      () =>
        fb.negotiatedTracks.includes('b-cam') &&
        fa.signalingState === 'stable' &&
        fb.signalingState === 'stable',
      { ...onFakes, what: 'negotiated after the resync', timeoutMs: 5_000 },
    );
    assert.notEqual(a.state, 'failed');
    assert.notEqual(b.state, 'failed');
  });

  it('fails visibly with reason negotiation-failed when descriptions keep failing', async () => {
    const { a, b, fa } = pair(() => 0, { answerTimeoutMs: 30, maxNegotiationRecoveries: 2 });
    for (let i = 0; i < 50; i++) fa.failRemote.push('offer', 'answer');
    const failed = new Promise<[string, string | undefined]>((resolve) =>
      a.on('state', (state, reason) => {
        if (state === 'failed') resolve([state, reason]);
      }),
    );
    await b.addTrack(track('b-cam'));
    await until(() => a.state === 'failed', { ...onFakes, what: 'failed', timeoutMs: 5_000 });
    const [state, reason] = await failed;
    assert.equal(state, 'failed');
    assert.equal(reason, 'negotiation-failed');
    assert.equal(a.reason, 'negotiation-failed');
    fa.setIce('connected', 'connected');
    assert.equal(a.state, 'failed', 'a negotiation failure is final');
  });

  it('an offer lost on the way is re-sent as an ICE restart after answerTimeoutMs', async () => {
    let dropped = 0;
    let peerB!: PeerSession;
    const a = new PeerSession({
      localName: 'bob',
      remoteName: 'alice',
      scope: 'room:test',
      RTCPeerConnection: FakePC,
      firstOfferWaitMs: 0,
      answerTimeoutMs: 40,
      send: (data) => {
        if (data.kind === 'description' && dropped === 0) {
          dropped++;
          return; // the first offer never arrives
        }
        const copy = JSON.parse(JSON.stringify(data)) as SignalData;
        setTimeout(() => peerB.handleSignal(copy), 0);
      },
    });
    peerB = new PeerSession({
      localName: 'alice',
      remoteName: 'bob',
      scope: 'room:test',
      RTCPeerConnection: FakePC,
      firstOfferWaitMs: 0,
      send: (data) => {
        const copy = JSON.parse(JSON.stringify(data)) as SignalData;
        setTimeout(() => a.handleSignal(copy), 0);
      },
    });
    sessions.push(a, peerB);
    const fa = a.pc as unknown as FakePeerConnection;
    await a.addTrack(track('cam'));
    await until(() => fa.negotiatedTracks.includes('cam') && fa.signalingState === 'stable', {
      ...onFakes,
      what: 'negotiated',
      timeoutMs: 3_000,
    });
    assert.equal(dropped, 1);
    assert.deepEqual(
      fa.log.filter((l) => l === 'offer' || l === 'rollback'),
      ['offer', 'rollback', 'offer'],
    );
  });
});

describe('PeerSession › offer-loop guard and lost signaling (fake RTCPeerConnection)', () => {
  it('backs off when too many offers go out in a short window, and logs why', async () => {
    const { logger, lines } = recordingLogger();
    const offers: number[] = [];
    let s!: PeerSession;
    s = fakeSession({
      scope: 'room:test',
      firstOfferWaitMs: 0,
      maxOffersPerWindow: 3,
      offerWindowMs: 10_000,
      logger,
      send: (data) => {
        if (data.kind !== 'description') return;
        offers.push(Date.now());
        // The remote answers at once, but every answer leaves something to negotiate (a loop).
        setTimeout(() => {
          s.handleSignal({
            kind: 'description',
            scope: 'room:test',
            description: { type: 'answer', sdp: 'x' },
          });
          s.addTrack(track(`t${offers.length}`)).catch(() => {});
        }, 0);
      },
    });
    await s.addTrack(track('t0'));
    await until(() => offers.length >= 4, {
      ...onFakes,
      what: 'a fourth offer after the backoff',
      timeoutMs: 5_000,
    });
    const warn = lines.find((l) => l.msg === 'negotiation loop: backing off');
    assert.ok(warn, 'the backoff is logged at warn');
    assert.equal(warn.level, 'warn');
    assert.match(String((warn.ctx as { reason?: string }).reason), /3 offers in 10000 ms/);
    const gap = (offers[3] as number) - (offers[2] as number);
    assert.ok(gap >= 380, `the fourth offer waited for the backoff (${gap} ms)`);
  });

  it('signalingLost: after a backoff, an unanswered offer is rolled back and sent again as an ICE restart', async () => {
    const sent: SignalData[] = [];
    const s = fakeSession({
      scope: 'room:test',
      firstOfferWaitMs: 0,
      answerTimeoutMs: 60_000,
      send: (data) => sent.push(data),
    });
    const pc = s.pc as unknown as FakePeerConnection;
    s.sendMediaState({ audio: true, video: false, screen: false });
    await s.addTrack(track('cam'));
    await until(() => pc.signalingState === 'have-local-offer', { ...onFakes, what: 'offer out' });
    const started = Date.now();
    s.signalingLost('rate-limited');
    s.signalingLost('rate-limited'); // coalesced
    const descriptions = () => sent.filter((d) => d.kind === 'description').length;
    await until(() => descriptions() === 2, { ...onFakes, what: 'a second offer', timeoutMs: 3_000 });
    assert.ok(Date.now() - started >= 700, 'waited for the backoff');
    assert.deepEqual(pc.log, ['offer', 'rollback', 'offer']);
    assert.ok(pc.createOfferOptions.some((o) => (o as { iceRestart?: boolean } | undefined)?.iceRestart));
    assert.equal(sent.filter((d) => d.kind === 'media-state').length, 2, 'media state sent again');
  });

  it('signalingLost while stable and connected only re-sends the media state', async () => {
    const sent: SignalData[] = [];
    const s = fakeSession({
      scope: 'room:test',
      send: (data) => sent.push(data),
    });
    const pc = s.pc as unknown as FakePeerConnection;
    pc.setIce('connected', 'connected');
    s.sendMediaState({ audio: false, video: true, screen: false });
    s.signalingLost('rate-limited');
    await until(() => sent.filter((d) => d.kind === 'media-state').length === 2, {
      ...onFakes,
      what: 'media state again',
      timeoutMs: 3_000,
    });
    await tick(20);
    assert.equal(sent.filter((d) => d.kind === 'description').length, 0);
    assert.deepEqual(pc.log, []);
  });
});

describe('PeerSession › answer timeout while signaling is down (fake RTCPeerConnection)', () => {
  it('does not resync while signalingUp() is false, and does once it is true again', async () => {
    let up = false;
    const sent: SignalData[] = [];
    const s = fakeSession({
      scope: 'room:test',
      firstOfferWaitMs: 0,
      answerTimeoutMs: 20,
      signalingUp: () => up,
      send: (data) => sent.push(data),
    });
    const pc = s.pc as unknown as FakePeerConnection;
    await s.addTrack(track('cam'));
    await until(() => pc.signalingState === 'have-local-offer', { ...onFakes, what: 'offer out' });
    await tick(120);
    assert.deepEqual(pc.log, ['offer'], 'no resync while signaling is down');
    up = true;
    await until(() => pc.log.length === 3, {
      ...onFakes,
      what: 'resync once signaling is up',
      timeoutMs: 2_000,
    });
    assert.deepEqual(pc.log, ['offer', 'rollback', 'offer']);
  });
});

describe('PeerSession › holdFirstOffer (fake RTCPeerConnection)', () => {
  it('the impolite side can be the one that holds: the polite side offers at once, one round trip', async () => {
    const sessionsHere: PeerSession[] = [];
    let polite!: PeerSession;
    let impolite!: PeerSession;
    const mk = (local: string, remote: string, hold: boolean, other: () => PeerSession) => {
      const s = new PeerSession({
        localName: local,
        remoteName: remote,
        scope: 'call:c',
        RTCPeerConnection: FakePC,
        holdFirstOffer: hold,
        firstOfferWaitMs: 5_000,
        send: (data) => {
          const copy = JSON.parse(JSON.stringify(data)) as SignalData;
          setTimeout(() => other().handleSignal(copy), 0);
        },
      });
      sessionsHere.push(s);
      sessions.push(s);
      return s;
    };
    // alice < bob: alice polite (the callee here, offers at once), bob impolite (the caller, holds).
    polite = mk('alice', 'bob', false, () => impolite);
    impolite = mk('bob', 'alice', true, () => polite);
    const fp = polite.pc as unknown as FakePeerConnection;
    const fi = impolite.pc as unknown as FakePeerConnection;
    await Promise.all([polite.addTrack(track('a-cam')), impolite.addTrack(track('b-cam'))]);
    await until(
      () =>
        fi.negotiatedTracks.includes('b-cam') &&
        fp.negotiatedTracks.includes('a-cam') &&
        fp.signalingState === 'stable',
      { ...onFakes, what: 'both tracks negotiated' },
    );
    assert.deepEqual(fp.log, ['offer'], 'the polite side offered once');
    assert.deepEqual(
      fi.log,
      ['answer'],
      'the holding impolite side answered with its track, no offer of its own',
    );
    assert.equal(sessionsHere.length, 2);
  });
});

describe('PeerSession › expectFirstMedia (fake RTCPeerConnection)', () => {
  // A data-only connection (a room member met in sfu mode) getting media on both sides at once,
  // as when the room goes back to mesh. The polite side's session-start hold lapses first (no
  // tracks then); the fake reports no transceivers, as Chromium does for a data-only connection.
  async function dataOnlyPair() {
    const p = pair(() => 0, { firstOfferWaitMs: 200 });
    await tick(250);
    return p;
  }

  it('the polite side holds and answers with its track: one offer/answer, no rollback', async () => {
    const { a, b, fa, fb } = await dataOnlyPair();
    a.expectFirstMedia();
    b.expectFirstMedia();
    await Promise.all([a.addTrack(track('a-cam')), b.addTrack(track('b-cam'))]);
    await until(
      () =>
        fa.negotiatedTracks.includes('a-cam') &&
        fb.negotiatedTracks.includes('b-cam') &&
        fa.signalingState === 'stable' &&
        fb.signalingState === 'stable',
      { ...onFakes, what: 'both tracks negotiated' },
    );
    assert.deepEqual(fa.log, ['answer'], 'the polite side made no offer, so nothing to roll back');
    assert.deepEqual(fb.log, ['offer']);
  });

  it('without it both sides offer and the polite side rolls its offer back (what Chromium fails at here)', async () => {
    const { a, b, fa, fb } = await dataOnlyPair();
    await Promise.all([a.addTrack(track('a-cam')), b.addTrack(track('b-cam'))]);
    await until(
      () => fa.signalingState === 'stable' && fb.signalingState === 'stable' && fa.log.includes('answer'),
      { ...onFakes, what: 'glare resolved' },
    );
    assert.ok(fa.log.includes('implicit-rollback'), fa.log.join());
  });

  it('the polite side offers itself when the other side’s offer does not come within firstOfferWaitMs', async () => {
    const { a, fa } = await dataOnlyPair();
    a.expectFirstMedia();
    const t0 = Date.now();
    await a.addTrack(track('a-cam'));
    assert.ok(Date.now() - t0 >= 150, 'held until the wait ran out');
    await until(() => fa.log.includes('offer'), { ...onFakes, what: 'offered' });
  });

  it('no hold on the impolite side, nor on a connection that already has transceivers', async () => {
    const { a, b, fa, fb } = await dataOnlyPair();
    (fa as unknown as { getTransceivers: () => unknown[] }).getTransceivers = () => [{}];
    a.expectFirstMedia();
    b.expectFirstMedia();
    const t0 = Date.now();
    await a.addTrack(track('a-cam'));
    await b.addTrack(track('b-cam'));
    assert.ok(Date.now() - t0 < 100, 'added at once');
    await until(() => fa.log.includes('offer') || fb.log.includes('offer'), {
      ...onFakes,
      what: 'an offer went out',
    });
  });
});
