// @needs ffmpeg
/**
 * Who speaks when, measured for real: ffmpeg runs speakers.ts's level filter on generated
 * microphones, spawned as post-processing spawns it (stdout a pipe from Node), and the parsed
 * levels give the expected speaker timeline: one person talks for the first 3 s, another after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  LEVELS_FILTER,
  parseLevels,
  speakerTimeline,
} from '../../../packages/server/src/recording/speakers.ts';
import { removeDir } from '../../helpers/browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-levels-'));
after(() => removeDir(dir));

/** A 6 s Opus file: a tone during [from, to), silence otherwise. */
function mic(name: string, from: number, to: number): string {
  const file = join(dir, `${name}.opus`);
  const r = spawnSync('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=300:d=6'],
    ...['-af', `volume=enable='not(between(t,${from},${to}))':volume=0`, '-c:a', 'libopus', file],
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  return file;
}

describe('recording › speaker levels with ffmpeg', () => {
  it('measures each microphone per half second and finds who spoke when', () => {
    const series = [
      { feed: 'a', file: mic('a', 0, 3) },
      { feed: 'b', file: mic('b', 3, 6) },
    ].map(({ feed, file }) => {
      const r = spawnSync(
        'ffmpeg',
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-i',
          file,
          '-af',
          LEVELS_FILTER,
          '-f',
          'null',
          '-',
        ],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const levels = parseLevels(r.stdout);
      assert.ok(levels.length >= 11, `${feed}: ${levels.length} windows`);
      return { feed, offsetS: 0, levels };
    });
    const timeline = speakerTimeline(series, 6);
    assert.equal(timeline.length, 2, JSON.stringify(timeline));
    assert.equal(timeline[0]!.feed, 'a');
    assert.equal(timeline[1]!.feed, 'b');
    assert.ok(Math.abs(timeline[1]!.from - 3) <= 0.5, JSON.stringify(timeline));
  });
});
