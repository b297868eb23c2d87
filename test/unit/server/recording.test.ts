/**
 * Recording's pure parts: the composite's ffmpeg command (grid, offsets, cut), byte ranges of
 * the download endpoint, the recording policy, and the store's path checks and retention.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { byteRange } from '../../../packages/server/src/http/recordings-endpoint.ts';
import { composeArgs, gridOf } from '../../../packages/server/src/recording/compose.ts';
import { mayRecord } from '../../../packages/server/src/recording/recording-policy.ts';
import {
  newRecordingId,
  RECORDING_ID,
  type RecordingManifest,
  RecordingsStore,
} from '../../../packages/server/src/recording/recordings-store.ts';

describe('recording › composite command', () => {
  it('lays cameras out in a grid as square as can be', () => {
    assert.deepEqual(gridOf(1), { cols: 1, rows: 1 });
    assert.deepEqual(gridOf(3), { cols: 2, rows: 2 });
    assert.deepEqual(gridOf(6), { cols: 3, rows: 2 });
    assert.deepEqual(gridOf(9), { cols: 3, rows: 3 });
  });

  it('places each track at its offset, mixes every microphone and cuts to the length', () => {
    const args = composeArgs(
      [
        { path: '/a.webm', kind: 'video', offsetS: 0.2 },
        { path: '/b.webm', kind: 'video', offsetS: 1.5 },
        { path: '/a.opus', kind: 'audio', offsetS: 0.25 },
        { path: '/b.opus', kind: 'audio', offsetS: -0.1 },
      ],
      10,
      '/out.webm',
    );
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    assert.deepEqual(
      args.filter((_, i) => args[i - 1] === '-i'),
      ['/a.webm', '/b.webm', '/a.opus', '/b.opus'],
    );
    assert.match(graph, /tpad=start_duration=0\.200/);
    assert.match(graph, /tpad=start_duration=1\.500/);
    assert.match(graph, /xstack=inputs=2:layout=0_0\|640_0/);
    assert.match(graph, /\[2:a\][^;]*adelay=250:all=1/);
    assert.match(graph, /\[3:a\][^;]*adelay=0:all=1/, 'a track that started early is not delayed');
    assert.match(graph, /amix=inputs=2:duration=longest:normalize=0/);
    assert.equal(args[args.indexOf('-t') + 1], '10.000');
    assert.equal(args.at(-1), '/out.webm');
  });

  it('still makes a file with no camera or no microphone (black picture, silence)', () => {
    const graph = (tracks: Parameters<typeof composeArgs>[0]) => {
      const a = composeArgs(tracks, 5, '/o.webm');
      return a[a.indexOf('-filter_complex') + 1]!;
    };
    assert.match(graph([{ path: '/a.opus', kind: 'audio', offsetS: 0 }]), /color=c=black/);
    assert.match(graph([{ path: '/a.webm', kind: 'video', offsetS: 0 }]), /anullsrc/);
  });
});

describe('recording › download ranges', () => {
  it('reads one range, clamps its end, answers whole for several or none', () => {
    assert.deepEqual(byteRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(byteRange('bytes=90-999999999999999', 100), { start: 90, end: 99 });
    assert.deepEqual(byteRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(byteRange('bytes=-1000', 100), { start: 0, end: 99 });
    assert.equal(byteRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(byteRange('bytes=5-2', 100), 'unsatisfiable');
    assert.equal(byteRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(byteRange('bytes=0-1,4-5', 100), 'whole');
    assert.equal(byteRange('bytes=9999999999999999999-', 100), 'whole', 'more digits than a range can have');
    assert.equal(byteRange('items=0-1', 100), 'whole');
    assert.equal(byteRange(undefined, 100), 'whole');
  });
});

describe('recording › policy', () => {
  const base = { recordingsDir: '/rec', recordingForbiddenRooms: ['hr-*'] };
  const who = (claims?: unknown) => ({ name: 'ann', authContext: claims ? { claims } : undefined });
  const reason = (fn: () => void) => {
    try {
      fn();
      return 'allowed';
    } catch (err) {
      assert.ok(err instanceof ParleyError);
      assert.equal(err.code, 'RECORDING_REFUSED');
      return err.reason;
    }
  };

  it('off, no folder, forbidden rooms, hosts without grant refused; grant, host role and anyone allowed', () => {
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'off' }, who(), 'r')),
      'recording_off',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'anyone', recordingsDir: undefined }, who(), 'r')),
      'recording_off',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'anyone' }, who(), 'hr-1')),
      'recording_room_forbidden',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'anyone' }, who(), 'hr')),
      'allowed',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'hosts' }, who(), 'r')),
      'recording_not_allowed',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'hosts' }, who({ record: 'yes' }), 'r')),
      'recording_not_allowed',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'hosts' }, who({ record: true }), 'r')),
      'allowed',
    );
    assert.equal(
      reason(() => mayRecord({ ...base, recording: 'hosts' }, who(), 'r', () => true)),
      'allowed',
    );
  });
});

describe('recording › store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-rec-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new RecordingsStore(dir);
  const manifest = (id: string, startedAt: number, phase: RecordingManifest['phase']): RecordingManifest => ({
    id,
    room: 'r',
    by: 'ann',
    startedAt,
    phase,
    feeds: {},
    files: ['composite.webm'],
  });

  it('makes ids that are never paths, and refuses names outside its patterns', async () => {
    const id = newRecordingId(new Date('2026-12-07T22:15:00.123Z'));
    assert.match(id, /^rec-20261207T221500Z-[a-z0-9]{8}$/);
    assert.match(id, RECORDING_ID);
    await store.create(manifest(id, Date.now(), 'done'));
    writeFileSync(join(dir, id, 'composite.webm'), 'x');
    assert.deepEqual(await store.file(id, 'composite.webm'), {
      path: join(dir, id, 'composite.webm'),
      size: 1,
    });
    for (const bad of [
      'recording.json',
      '../composite.webm',
      'tracks/../composite.webm',
      'tracks/.x',
      'raw/a.mjr',
    ])
      assert.equal(await store.file(id, bad), undefined, bad);
    for (const badId of ['..', '../etc', `${id}/..`, 'rec-x'])
      assert.equal(await store.read(badId), undefined, badId);
    assert.throws(() => store.folder('../x'));
  });

  it('retention deletes finished recordings past their days, never running ones', async () => {
    const old = Date.now() - 40 * 86_400_000;
    const doneId = newRecordingId();
    const runningId = newRecordingId();
    await store.create(manifest(doneId, old, 'done'));
    await store.create(manifest(runningId, old, 'recording'));
    assert.deepEqual(await store.sweep(0), []);
    assert.deepEqual(await store.sweep(30), [doneId]);
    assert.ok(await store.read(runningId));
    assert.ok((await store.freeBytes()) > 0);
  });
});
