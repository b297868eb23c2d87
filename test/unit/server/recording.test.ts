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
import {
  composeArgs,
  enableDuring,
  STAGE,
  stripTiles,
} from '../../../packages/server/src/recording/compose.ts';
import { mayRecord } from '../../../packages/server/src/recording/recording-policy.ts';
import {
  newRecordingId,
  RECORDING_ID,
  type RecordingManifest,
  RecordingsStore,
} from '../../../packages/server/src/recording/recordings-store.ts';

describe('recording › composite command', () => {
  it('lays the strip of cameras out centred under the stage, as wide as fits', () => {
    assert.deepEqual(stripTiles(0), []);
    const three = stripTiles(3);
    assert.deepEqual(
      three.map((t) => [t.x, t.y, t.width, t.height]),
      [
        [256, 576, 256, 144],
        [512, 576, 256, 144],
        [768, 576, 256, 144],
      ],
    );
    const eight = stripTiles(8);
    assert.equal(eight[0]!.width, 160);
    assert.equal(eight.at(-1)!.x + eight.at(-1)!.width, 1280, 'eight tiles fill the width');
    for (const t of [...three, ...eight]) {
      assert.ok(t.y >= STAGE.y + STAGE.height && t.y + t.height <= 720, 'tiles sit under the stage');
      assert.equal(t.width % 2, 0);
      assert.equal(t.height % 2, 0);
    }
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
    // Two cameras in the strip; with no speaker timeline the first holds the stage throughout.
    assert.match(graph, /\[bg\]\[t0\]overlay=x=384:y=576\[o0\]/);
    assert.match(graph, /\[o0\]\[t1\]overlay=x=640:y=576\[o1\]/);
    assert.match(graph, /\[o1\]\[l0\]overlay=x=128:y=0:enable='between\(t,0\.000,10\.000\)'/);
    assert.doesNotMatch(graph, /\[l1\]/, 'the second camera is never on the stage');
    assert.equal(args[args.indexOf('-c:v') + 1], 'libvpx');
    assert.match(graph, /\[2:a\][^;]*adelay=250:all=1/);
    assert.match(graph, /\[3:a\][^;]*adelay=0:all=1/, 'a track that started early is not delayed');
    assert.match(graph, /amix=inputs=2:duration=longest:normalize=0/);
    assert.equal(args[args.indexOf('-t') + 1], '10.000');
    assert.equal(args.at(-1), '/out.webm');
  });

  it('puts the active speaker on the stage during their segments, and a screen share over it', () => {
    const tracks = [
      { path: '/a.webm', kind: 'video', offsetS: 0, feed: '11' },
      { path: '/b.webm', kind: 'video', offsetS: 0.5, feed: '22' },
      { path: '/b-screen.webm', kind: 'video', offsetS: 4.25, feed: '22', screen: true },
      { path: '/c.webm', kind: 'video', offsetS: 1, feed: '33' },
      { path: '/a.opus', kind: 'audio', offsetS: 0, feed: '11' },
    ] as const;
    const speakers = [
      { feed: '11', from: 0, to: 3 },
      { feed: '33', from: 3, to: 6 },
      { feed: '11', from: 6, to: 8 },
    ];
    const args = composeArgs(tracks, 8, '/out.mp4', { format: 'mp4', speakers });
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    const steps = graph.split(';');
    // The screen is not a camera tile; three tiles in the strip.
    assert.equal(steps.filter((f) => /^\[o?\w*\]\[t\d\]overlay=.*:y=576/.test(f)).length, 3);
    assert.match(
      graph,
      /\[l0\]overlay=x=128:y=0:enable='between\(t,0\.000,3\.000\)\+between\(t,6\.000,8\.000\)'/,
    );
    assert.match(graph, /\[l2\]overlay=x=128:y=0:enable='between\(t,3\.000,6\.000\)'/);
    assert.doesNotMatch(graph, /\[l1\]/, 'a member who never spoke is never on the stage');
    // The screen: input 2, shifted to its start, on the stage, laid last, gone when it ends.
    const screen = steps.find((f) => f.startsWith('[2:v]'))!;
    assert.match(screen, /setpts=PTS-STARTPTS\+4\.250\/TB/);
    assert.match(screen, /scale=1024:576/);
    const last = steps.findIndex((f) => f.includes('[s0]overlay'));
    assert.match(steps[last]!, /overlay=x=128:y=0:eof_action=pass/);
    assert.ok(steps.findIndex((f) => f.includes('[l2]overlay')) < last, 'the screen covers the speaker');
    assert.ok(steps.some((f) => /^\[o\d+\]trim=duration=8\.000,format=yuv420p\[v\]$/.test(f)));
    assert.equal(args[args.indexOf('-c:v') + 1], 'libx264');
    assert.equal(args[args.indexOf('-c:a') + 1], 'aac');
    assert.ok(args.includes('+faststart'));
  });

  it('fills the canvas with a lone camera, and builds enable expressions from segments', () => {
    const a = composeArgs([{ path: '/a.webm', kind: 'video', offsetS: 0 }], 5, '/o.webm');
    const graph = a[a.indexOf('-filter_complex') + 1]!;
    assert.match(graph, /scale=1280:720/);
    assert.doesNotMatch(graph, /overlay/);
    assert.equal(enableDuring([{ from: 1, to: 2.5 }]), 'between(t,1.000,2.500)');
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
