/**
 * Who speaks when (recording/speakers.ts): ffmpeg's level lines parsed, and the timeline the
 * composite's stage follows — the loudest microphone above the speech threshold, switching only
 * after it led for 1.5 s, the first speaker from the start, silence keeping the last speaker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  capSegments,
  HOLD_WINDOWS,
  type LevelSeries,
  parseLevels,
  speakerTimeline,
  WINDOW_S,
} from '../../../packages/server/src/recording/speakers.ts';

/** A series from per-window levels (null: silence). */
const series = (feed: string, dbs: (number | null)[], offsetS = 0): LevelSeries => ({
  feed,
  offsetS,
  levels: dbs.map((db, k) => [k * WINDOW_S, db ?? -Infinity] as const),
});

describe('recording › speaker timeline', () => {
  it('parses ametadata print lines, -inf included, and ignores noise', () => {
    const text = [
      'frame:0    pts:0       pts_time:0',
      'lavfi.astats.Overall.RMS_level=-21.077744',
      'frame:1    pts:24000   pts_time:0.5',
      'lavfi.astats.Overall.RMS_level=-inf',
      'garbage',
      'lavfi.astats.Overall.RMS_level=-3',
    ].join('\n');
    assert.deepEqual(parseLevels(text), [
      [0, -21.077744],
      [0.5, -Infinity],
    ]);
  });

  it('gives the stage to the first speaker from the start, and to a new one after they led long enough', () => {
    const a = series('a', [null, null, -20, -20, -20, null, null, null, null, null, null, null]);
    const b = series('b', [null, null, null, null, null, null, -25, -25, -25, -25, null, null]);
    assert.deepEqual(speakerTimeline([a, b], 6), [
      { feed: 'a', from: 0, to: 3 },
      { feed: 'b', from: 3, to: 6 },
    ]);
  });

  it('does not flip for a short interjection, nor for sound under the threshold', () => {
    const a = series('a', [-20, -20, -20, -20, -20, -20, -20, -20]);
    const short = Array.from({ length: 8 }, (_, k) => (k === 3 || k === 4 ? -10 : null));
    assert.ok(short.filter((x) => x !== null).length < HOLD_WINDOWS);
    const b = series('b', short);
    const quiet = series('c', [-50, -50, -50, -50, -50, -50, -50, -50]);
    assert.deepEqual(speakerTimeline([a, b, quiet], 4), [{ feed: 'a', from: 0, to: 4 }]);
  });

  it('places each microphone at its offset, and the loudest wins a window', () => {
    // b started 2 s late: its first windows land at 2 s.
    const a = series('a', [-30, -30, -30, -30, -30, -30, -30, -30, -30, -30]);
    const b = series('b', [-20, -20, -20, -20, -20, -20], 2);
    assert.deepEqual(speakerTimeline([a, b], 5), [
      { feed: 'a', from: 0, to: 2 },
      { feed: 'b', from: 2, to: 5 },
    ]);
  });

  it('uses the fallback in silence, and nothing without one', () => {
    const silent = series('a', [null, null, null]);
    assert.deepEqual(speakerTimeline([silent], 1.5, 'z'), [{ feed: 'z', from: 0, to: 1.5 }]);
    assert.deepEqual(speakerTimeline([silent], 1.5), []);
    assert.deepEqual(speakerTimeline([], 0.2, 'z'), [{ feed: 'z', from: 0, to: 0.2 }]);
  });

  it('ignores levels outside the recording and NaN times', () => {
    const odd: LevelSeries = {
      feed: 'a',
      offsetS: -5,
      levels: [
        [0, -10],
        [Number.NaN, -10],
        [100, -10],
      ],
    };
    assert.deepEqual(speakerTimeline([odd], 2, 'z'), [{ feed: 'z', from: 0, to: 2 }]);
  });

  it('caps the number of segments by merging the shortest, keeping the whole span covered', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({
      feed: i % 2 ? 'a' : 'b',
      from: i,
      to: i + 1,
    }));
    const capped = capSegments(many, 100);
    assert.ok(capped.length <= 100, String(capped.length));
    assert.equal(capped[0]!.from, 0);
    assert.equal(capped.at(-1)!.to, 2000);
    for (let i = 1; i < capped.length; i++) {
      assert.equal(capped[i]!.from, capped[i - 1]!.to, 'no gap');
      assert.notEqual(capped[i]!.feed, capped[i - 1]!.feed, 'neighbours differ');
    }
  });
});
