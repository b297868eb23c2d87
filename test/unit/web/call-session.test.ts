/**
 * A direct call without the DOM (packages/web/src/app/call-session.ts): dialling, answering,
 * the phases the screen renders, and why the call ended in words (describeCallEnd).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Call,
  type CallEndedReason,
  type CallEvents,
  type CallState,
  ParleyError,
  type PeerSession,
  TimeoutError,
  TypedEmitter,
} from '@parley/client';
import {
  type CallPhase,
  CallSession,
  callEndTone,
  describeCallEnd,
  describeCallFailure,
  describeMissedCall,
} from '../../../packages/web/src/app/call-session.ts';

/** A call as far as the session reads it. */
class FakeCall extends TypedEmitter<CallEvents> {
  state: CallState = 'ringing';
  endReason: CallEndedReason | undefined;
  endedBy: string | undefined;
  peer: PeerSession | null = null;
  media = null;
  hangups = 0;
  acceptError: Error | null = null;
  constructor(readonly remote = 'bob') {
    super();
  }
  /** Emits as the SDK would. */
  fire<K extends keyof CallEvents>(event: K, ...args: CallEvents[K]): void {
    this.emit(event, ...args);
  }
  async hangup(): Promise<void> {
    this.hangups++;
    this.end('hangup', 'alice');
  }
  async accept(): Promise<void> {
    if (this.acceptError) throw this.acceptError;
    this.state = 'connecting';
  }
  end(reason: CallEndedReason, by?: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.endedBy = by;
    this.emit('ended', reason, by);
  }
}

function follow(s: CallSession) {
  const seen: (CallPhase | string)[] = [];
  s.on('phase', (p) => seen.push(p));
  s.on('bound', () => seen.push('bound'));
  s.on('peer', (peer) => seen.push(`peer ${peer.remoteName}`));
  return seen;
}

const client = (answer: () => Promise<FakeCall>) => ({ name: 'alice', call: () => answer() as never });

describe('web call session › words', () => {
  it('says why a call ended, from our side or theirs', () => {
    const cases: [CallEndedReason, string | undefined, string][] = [
      ['declined', 'bob', 'bob declined the call.'],
      ['busy', undefined, 'bob is busy in another call. Try again later.'],
      ['cancelled', 'alice', 'Call cancelled.'],
      ['cancelled', 'bob', 'bob cancelled the call.'],
      ['no_answer', undefined, 'bob did not answer.'],
      ['hangup', 'alice', 'Call ended.'],
      ['hangup', 'bob', 'bob hung up.'],
      ['peer_gone', undefined, 'bob’s connection was lost.'],
      ['closed', undefined, 'Call ended.'],
    ];
    for (const [reason, by, text] of cases) assert.equal(describeCallEnd(reason, 'bob', by, 'alice'), text);
    assert.match(describeCallEnd('failed', 'bob', undefined, 'alice'), /no network path.*TURN relay/);
  });

  it('tones an ordinary end as info, the rest as warnings', () => {
    assert.equal(callEndTone('hangup'), 'info');
    assert.equal(callEndTone('cancelled'), 'info');
    for (const reason of ['declined', 'busy', 'no_answer', 'peer_gone', 'failed', 'closed'] as const)
      assert.equal(callEndTone(reason), 'warning');
  });

  it('says why dialling failed, by code', () => {
    assert.equal(
      describeCallFailure(new ParleyError('PEER_NOT_FOUND'), 'bob'),
      'bob is not online right now.',
    );
    assert.equal(
      describeCallFailure(new ParleyError('FORBIDDEN'), 'bob'),
      'You are already in a call. Hang up first.',
    );
    assert.match(describeCallFailure(new TimeoutError('late'), 'bob'), /server did not answer/);
    assert.equal(describeCallFailure(new Error('PEER_NOT_FOUND'), 'bob'), 'Could not call bob.');
  });

  it('names a missed call', () => {
    assert.equal(describeMissedCall('cancelled', 'bob'), 'Missed call from bob.');
    assert.equal(describeMissedCall('no_answer', 'bob'), 'Missed call from bob.');
    assert.equal(describeMissedCall('peer_gone', 'bob'), 'bob’s call ended.');
  });
});

describe('web call session › dialling and answering', () => {
  it('follows a call from ringing to connected to their hang-up', async () => {
    const call = new FakeCall();
    const s = new CallSession('alice', 'bob');
    const seen = follow(s);
    await s.dial(
      client(async () => call),
      { media: false },
    );
    assert.equal(s.call, call as unknown as Call);
    call.fire('accepted');
    call.fire('peer', { remoteName: 'bob' } as PeerSession);
    call.fire('state', 'connected');
    call.fire('state', 'reconnecting');
    call.fire('state', 'connected');
    call.end('hangup', 'bob');
    call.fire('state', 'connected');
    assert.deepEqual(seen, [
      'bound',
      { phase: 'connecting', detail: 'bob answered.' },
      'peer bob',
      { phase: 'connected' },
      { phase: 'reconnecting' },
      { phase: 'connected' },
      { phase: 'ended', text: 'bob hung up.', tone: 'info' },
    ]);
    assert.equal(s.closed, true);
  });

  it('ends with the reason when dialling fails', async () => {
    const s = new CallSession('alice', 'bob');
    const seen = follow(s);
    await s.dial(
      client(() => Promise.reject(new ParleyError('PEER_NOT_FOUND'))),
      { media: false },
    );
    assert.deepEqual(seen, [{ phase: 'ended', text: 'bob is not online right now.', tone: 'warning' }]);
  });

  it('ends at once when the call is already over as it is placed (busy)', async () => {
    const call = new FakeCall();
    call.end('busy');
    const s = new CallSession('alice', 'bob');
    const seen = follow(s);
    await s.dial(
      client(async () => call),
      { media: false },
    );
    assert.deepEqual(seen, [
      'bound',
      { phase: 'ended', text: 'bob is busy in another call. Try again later.', tone: 'warning' },
    ]);
  });

  it('cancels before the call is placed, and hangs up the call that arrives later', async () => {
    const call = new FakeCall();
    let resolve!: (c: FakeCall) => void;
    const s = new CallSession('alice', 'bob');
    const seen = follow(s);
    const dialling = s.dial(
      client(() => new Promise((r) => (resolve = r))),
      { media: false },
    );
    await s.hangup();
    resolve(call);
    await dialling;
    assert.deepEqual(seen, [{ phase: 'ended', text: 'Call cancelled.', tone: 'info' }]);
    assert.equal(call.hangups, 1);
  });

  it('hangs up through the call once placed', async () => {
    const call = new FakeCall();
    const s = new CallSession('alice', 'bob');
    const seen = follow(s);
    await s.dial(
      client(async () => call),
      { media: false },
    );
    await s.hangup();
    assert.equal(call.hangups, 1);
    assert.deepEqual(seen.at(-1), { phase: 'ended', text: 'Call ended.', tone: 'info' });
  });

  it('closes without a word, hanging up a call still going', async () => {
    const call = new FakeCall();
    const s = new CallSession('alice', 'bob');
    const seen = follow(s);
    await s.dial(
      client(async () => call),
      { media: false },
    );
    s.close();
    assert.equal(call.hangups, 1);
    assert.deepEqual(seen, ['bound']);
    s.close();
    await s.hangup();
    assert.equal(call.hangups, 1);
  });

  it('answers an incoming call', async () => {
    const call = new FakeCall('carol');
    call.state = 'incoming';
    call.peer = { remoteName: 'carol' } as PeerSession;
    const s = new CallSession('alice', 'carol');
    const seen = follow(s);
    await s.answer(call as unknown as Call, { media: false });
    call.fire('state', 'connected');
    assert.deepEqual(seen, [
      { phase: 'connecting', detail: 'Setting up the call with carol.' },
      'bound',
      'peer carol',
      { phase: 'connected' },
    ]);
  });

  it('says so when the call ended before it could be answered', async () => {
    const call = new FakeCall('carol');
    call.acceptError = new Error('gone');
    const s = new CallSession('alice', 'carol');
    const seen = follow(s);
    await s.answer(call as unknown as Call, { media: false });
    assert.deepEqual(seen.at(-1), {
      phase: 'ended',
      text: 'carol’s call ended before it could be answered.',
      tone: 'warning',
    });
  });
});
