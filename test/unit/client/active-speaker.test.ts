import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActiveSpeakerDetector,
  audioLevelsFromStats,
} from '../../../packages/client/src/features/active-speaker.ts';

const levels = (o: Record<string, number>) => new Map(Object.entries(o));

/** Feeds `sample` every 300 ms from `fromMs` up to `toMs`; returns the last answer. */
function feed(d: ActiveSpeakerDetector, sample: Record<string, number>, fromMs: number, toMs: number) {
  let last: string | undefined;
  for (let t = fromMs; t <= toMs; t += 300) last = d.update(levels(sample), t);
  return last;
}

describe('ActiveSpeakerDetector', () => {
  it('names nobody while everyone is below the speech level', () => {
    const d = new ActiveSpeakerDetector();
    assert.equal(feed(d, { bob: 0.01, carol: 0.02 }, 0, 3000), undefined);
  });

  it('gives the floor to the first speaker at once, out of silence', () => {
    const d = new ActiveSpeakerDetector();
    assert.equal(d.update(levels({ bob: 0.2, carol: 0.01 }), 0), 'bob');
  });

  it('keeps the speaker through a short pause, drops them after 1.5 s of silence', () => {
    const d = new ActiveSpeakerDetector();
    d.update(levels({ bob: 0.2 }), 0);
    assert.equal(feed(d, { bob: 0.0 }, 300, 1200), 'bob');
    assert.equal(d.update(levels({ bob: 0 }), 1500), undefined);
  });

  it('does not flicker: a louder member takes over only after being loudest for 600 ms', () => {
    const d = new ActiveSpeakerDetector();
    d.update(levels({ bob: 0.2, carol: 0.05 }), 0);
    assert.equal(d.update(levels({ bob: 0.2, carol: 0.4 }), 300), 'bob');
    // Back and forth every sample: bob keeps it.
    assert.equal(d.update(levels({ bob: 0.3, carol: 0.1 }), 600), 'bob');
    assert.equal(d.update(levels({ bob: 0.2, carol: 0.4 }), 900), 'bob');
    assert.equal(d.update(levels({ bob: 0.2, carol: 0.4 }), 1200), 'bob');
    assert.equal(d.update(levels({ bob: 0.2, carol: 0.4 }), 1500), 'carol');
  });

  it('needs the newcomer clearly louder while the current speaker still talks', () => {
    const d = new ActiveSpeakerDetector();
    d.update(levels({ bob: 0.2 }), 0);
    assert.equal(feed(d, { bob: 0.2, carol: 0.22 }, 300, 3000), 'bob');
    // Once bob goes quiet, carol takes over after the hold.
    assert.equal(feed(d, { bob: 0.0, carol: 0.22 }, 3300, 4200), 'carol');
  });

  it('drops a speaker who left at once', () => {
    const d = new ActiveSpeakerDetector();
    d.update(levels({ bob: 0.2 }), 0);
    assert.equal(d.update(levels({ carol: 0.0 }), 300), undefined);
  });
});

describe('audioLevelsFromStats', () => {
  const stat = (id: string, track: string, energy: number, duration: number, audioLevel = 0.5) => [
    id,
    {
      id,
      type: 'inbound-rtp',
      kind: 'audio',
      trackIdentifier: track,
      totalAudioEnergy: energy,
      totalSamplesDuration: duration,
      audioLevel,
    },
  ];

  it('uses the mean level over the interval from the energy counters', () => {
    const prev = new Map([stat('a', 't1', 1, 10)] as [string, unknown][]);
    // 0.04 energy over 1 s → mean square 0.04 → RMS level 0.2.
    const curr = new Map([stat('a', 't1', 1.04, 11)] as [string, unknown][]);
    const out = audioLevelsFromStats(prev, curr, (s) => (s.trackIdentifier === 't1' ? 'bob' : undefined));
    assert.ok(Math.abs((out.get('bob') ?? 0) - 0.2) < 1e-9);
  });

  it('falls back to audioLevel without a previous report, and skips unknown streams', () => {
    const curr = new Map([stat('a', 't1', 1, 10, 0.3), stat('b', 't2', 1, 10, 0.9)] as [string, unknown][]);
    const out = audioLevelsFromStats(null, curr, (s) => (s.trackIdentifier === 't1' ? 'bob' : undefined));
    assert.deepEqual([...out], [['bob', 0.3]]);
  });
});
