import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideOnCandidate,
  decideOnDescription,
  holdsFirstMediaOffer,
  iceRestartDelayMs,
  isPolite,
  keepDtlsRole,
  type NegotiationContext,
  type SignalingStateName,
} from '../../../packages/client/src/peer/negotiation.ts';

const ctx = (over: Partial<NegotiationContext> = {}): NegotiationContext => ({
  polite: false,
  makingOffer: false,
  signalingState: 'stable',
  isSettingRemoteAnswerPending: false,
  ...over,
});

describe('negotiation › decideOnDescription', () => {
  it('applies and answers an offer when stable, on either side', () => {
    for (const polite of [true, false]) {
      assert.deepEqual(decideOnDescription('offer', ctx({ polite })), {
        action: 'apply',
        rollback: false,
        answer: true,
      });
    }
  });

  it('ignores a colliding offer on the impolite side (glare)', () => {
    assert.deepEqual(decideOnDescription('offer', ctx({ signalingState: 'have-local-offer' })), {
      action: 'ignore',
      reason: 'glare',
    });
    assert.deepEqual(decideOnDescription('offer', ctx({ makingOffer: true })), {
      action: 'ignore',
      reason: 'glare',
    });
  });

  it('rolls back its own offer and answers on the polite side (glare)', () => {
    assert.deepEqual(
      decideOnDescription('offer', ctx({ polite: true, signalingState: 'have-local-offer' })),
      {
        action: 'apply',
        rollback: true,
        answer: true,
      },
    );
  });

  it('treats an offer during a pending answer as no collision (isSettingRemoteAnswerPending)', () => {
    const d = decideOnDescription(
      'offer',
      ctx({ signalingState: 'have-local-offer', isSettingRemoteAnswerPending: true }),
    );
    assert.equal(d.action, 'apply');
  });

  it('applies an answer only while our offer is out, and ignores a stale one', () => {
    assert.deepEqual(decideOnDescription('answer', ctx({ signalingState: 'have-local-offer' })), {
      action: 'apply',
      rollback: false,
      answer: false,
    });
    for (const s of ['stable', 'have-remote-offer'] as SignalingStateName[]) {
      assert.deepEqual(decideOnDescription('answer', ctx({ signalingState: s })), {
        action: 'ignore',
        reason: 'stale-answer',
      });
    }
  });

  it('resolves simultaneous offers to exactly one applied offer, whichever arrives first', () => {
    // Both sides have sent an offer (have-local-offer) and now receive the other's.
    const impolite = decideOnDescription('offer', ctx({ polite: false, signalingState: 'have-local-offer' }));
    const polite = decideOnDescription('offer', ctx({ polite: true, signalingState: 'have-local-offer' }));
    assert.equal(impolite.action, 'ignore');
    assert.equal(polite.action, 'apply');
    // The polite side's answer then reaches the impolite side, which is still in have-local-offer.
    assert.equal(
      decideOnDescription('answer', ctx({ polite: false, signalingState: 'have-local-offer' })).action,
      'apply',
    );
  });
});

describe('negotiation › glare simulation', () => {
  type Side = { polite: boolean; state: SignalingStateName; applied: string[]; ignored: number };
  /** Delivers messages in every interleaving the transport allows (FIFO per direction). */
  function run(order: ('a' | 'b')[]): { a: Side; b: Side } {
    const a: Side = { polite: false, state: 'have-local-offer', applied: [], ignored: 0 };
    const b: Side = { polite: true, state: 'have-local-offer', applied: [], ignored: 0 };
    const inbox = { a: [{ type: 'offer', from: 'b' }], b: [{ type: 'offer', from: 'a' }] } as Record<
      'a' | 'b',
      { type: string; from: string }[]
    >;
    // After the scripted order, keep delivering until both inboxes are empty (bounded).
    const schedule = [...order, 'a', 'b', 'a', 'b'] as ('a' | 'b')[];
    for (const who of schedule) {
      const me = who === 'a' ? a : b;
      const other = who === 'a' ? 'b' : 'a';
      const msg = inbox[who].shift();
      if (!msg) continue;
      const d = decideOnDescription(msg.type, {
        polite: me.polite,
        makingOffer: false,
        signalingState: me.state,
        isSettingRemoteAnswerPending: false,
      });
      if (d.action === 'ignore') {
        me.ignored++;
        continue;
      }
      me.applied.push(msg.type);
      if (d.answer) {
        me.state = 'stable';
        inbox[other].push({ type: 'answer', from: who });
      } else me.state = 'stable';
    }
    return { a, b };
  }

  it('ends with both sides stable for every delivery order', () => {
    for (const order of [
      ['a', 'b', 'a', 'b'],
      ['b', 'a', 'a', 'b'],
      ['b', 'b', 'a', 'a'],
      ['a', 'a', 'b', 'b'],
    ] as ('a' | 'b')[][]) {
      const { a, b } = run(order);
      assert.equal(a.state, 'stable', `impolite stable for ${order}`);
      assert.equal(b.state, 'stable', `polite stable for ${order}`);
      assert.equal(a.ignored, 1, 'the impolite side ignored exactly one offer');
      assert.deepEqual(b.applied, ['offer'], 'the polite side applied the impolite offer');
      assert.deepEqual(a.applied, ['answer']);
    }
  });
});

describe('negotiation › decideOnCandidate', () => {
  it('adds with a remote description, buffers without, drops for an ignored offer', () => {
    assert.equal(decideOnCandidate({ hasRemoteDescription: true, ignoreOffer: false }), 'add');
    assert.equal(decideOnCandidate({ hasRemoteDescription: true, ignoreOffer: true }), 'add');
    assert.equal(decideOnCandidate({ hasRemoteDescription: false, ignoreOffer: false }), 'buffer');
    assert.equal(decideOnCandidate({ hasRemoteDescription: false, ignoreOffer: true }), 'drop');
  });
});

describe('negotiation › isPolite', () => {
  it('gives exactly one polite side for any two names', () => {
    for (const [x, y] of [
      ['alice', 'bob'],
      ['Bob', 'alice'],
      ['a-1', 'a_1'],
      ['Z', 'z'],
    ] as const) {
      assert.notEqual(isPolite(x, y), isPolite(y, x), `${x} vs ${y}`);
    }
    assert.throws(() => isPolite('a', 'a'), RangeError);
  });
});

describe('negotiation › iceRestartDelayMs', () => {
  const timing = { iceDisconnectedGraceMs: 3000, politeBackupMs: 2000 };
  it('restarts at once on failure (impolite), later when disconnected, never when healthy', () => {
    assert.equal(iceRestartDelayMs('ok', false, timing), null);
    assert.equal(iceRestartDelayMs('failed', false, timing), 0);
    assert.equal(iceRestartDelayMs('disconnected', false, timing), 3000);
  });
  it('lets the polite side wait longer, as a backup', () => {
    assert.equal(iceRestartDelayMs('failed', true, timing), 2000);
    assert.equal(iceRestartDelayMs('disconnected', true, timing), 5000);
  });
});

describe('negotiation › holdsFirstMediaOffer', () => {
  it('holds on the polite side of a connection without transceivers (data only so far)', () => {
    assert.equal(holdsFirstMediaOffer({ polite: true, transceivers: 0 }), true);
  });
  it('never holds on the impolite side: it is the one that offers', () => {
    assert.equal(holdsFirstMediaOffer({ polite: false, transceivers: 0 }), false);
    assert.equal(holdsFirstMediaOffer({ polite: false, transceivers: 3 }), false);
  });
  it('does not hold once the connection has m-sections (their reuse makes a glare rollback safe)', () => {
    assert.equal(holdsFirstMediaOffer({ polite: true, transceivers: 1 }), false);
    assert.equal(holdsFirstMediaOffer({ polite: true, transceivers: 4 }), false);
  });
});

describe('negotiation › keepDtlsRole', () => {
  const sdp = (setup: string, sections = 2) =>
    `v=0\r\n${Array.from({ length: sections }, (_, i) => `m=application ${i}\r\na=setup:${setup}\r\n`).join('')}`;

  it('an answer taking the role our last answer took (Firefox after its own first offer) is flipped, in every m-section', () => {
    assert.equal(keepDtlsRole(sdp('active'), sdp('active')), sdp('passive'));
    assert.equal(keepDtlsRole(sdp('passive'), sdp('passive')), sdp('active'));
  });
  it('an answer that keeps the roles is unchanged', () => {
    assert.equal(keepDtlsRole(sdp('passive'), sdp('active')), sdp('passive'));
    assert.equal(keepDtlsRole(sdp('active'), sdp('passive')), sdp('active'));
  });
  it('no role of ours known (no last answer, or it said actpass/nothing): unchanged', () => {
    assert.equal(keepDtlsRole(sdp('active'), undefined), sdp('active'));
    assert.equal(keepDtlsRole(sdp('active'), 'v=0\r\n'), sdp('active'));
    assert.equal(keepDtlsRole(sdp('active'), sdp('actpass')), sdp('active'));
  });
  it('only whole a=setup lines change, with LF endings too', () => {
    assert.equal(
      keepDtlsRole('a=setup:active\na=x-setup:active\n', 'a=setup:active\n'),
      'a=setup:passive\na=x-setup:active\n',
    );
  });
});
