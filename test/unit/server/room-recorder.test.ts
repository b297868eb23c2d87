/**
 * RoomRecorder with a fake SFU and relay: consent notices (every member, newcomers' frame), the
 * reply frames, refusals in order, and the watch that stops a recording on its own (room emptied,
 * disk low, time limit) and hands it to processing; shutdown stops and keeps it for the next start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { createLogger } from '../../../packages/server/src/log.ts';
import type { RecordingManifest } from '../../../packages/server/src/recording/recordings-store.ts';
import {
  RoomRecorder,
  type RoomRecorderConfig,
} from '../../../packages/server/src/recording/room-recorder.ts';
import type { Frame } from '../../../packages/server/src/wire/frames.ts';
import { until } from '../../helpers/wait.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function rig(overrides: Partial<RoomRecorderConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-recorder-'));
  dirs.push(dir);
  const config: { -readonly [K in keyof RoomRecorderConfig]: RoomRecorderConfig[K] } = {
    recording: 'anyone',
    recordingsDir: dir,
    recordingForbiddenRooms: [],
    recordingMaxS: 3600,
    recordingMinFreeMb: 1,
    recordingRetentionDays: 30,
    recordingJobs: 1,
    recordingNice: 10,
    ...overrides,
  };
  const members = new Map<string, string[]>([['r1', ['ann', 'bob', 'cy']]]);
  const broadcasts: { room: string; msg: Record<string, unknown> }[] = [];
  const janus: (string | undefined)[] = [];
  const queued: RecordingManifest[] = [];
  const sent: Record<string, unknown>[] = [];
  const session = (name: string) => ({
    name,
    authContext: undefined,
    rooms: new Set(['r1']),
    send: (f: Frame) => sent.push({ to: name, ...JSON.parse(f.text) }),
  });
  const recorder = new RoomRecorder({
    config,
    sfu: {
      record: async (_room, dir) => {
        janus.push(dir);
      },
      publisherIds: async () =>
        new Map([
          ['ann', 11],
          ['bob', 12],
        ]),
    },
    members: async (room) => members.get(room) ?? [],
    broadcast: async (room, f) => {
      broadcasts.push({ room, msg: JSON.parse(f.text) });
    },
    deliver: () => {},
    log: createLogger('silent'),
    watchMs: 20,
    enqueue: (m) => queued.push(m),
  });
  return { config, dir, members, broadcasts, janus, queued, sent, session, recorder };
}

const reasonOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof ParleyError);
    return err.reason ?? err.code;
  }
};

describe('RoomRecorder', () => {
  it('starts: Janus records into the folder, the starter gets recording.started, every member recording.state', async () => {
    const r = rig();
    const ann = r.session('ann');
    await r.recorder.start(ann, { type: 'recording.start', id: 1, room: 'r1' });
    const started = r.sent.find((m) => m.type === 'recording.started')!;
    assert.equal(started.re, 1);
    assert.match(String(started.recording), /^rec-/);
    assert.equal(r.janus[0], join(r.dir, String(started.recording), 'raw'));
    assert.deepEqual(r.broadcasts, [
      { room: 'r1', msg: { type: 'recording.state', room: 'r1', active: true, by: 'ann' } },
    ]);
    assert.ok(r.recorder.isRecording('r1'));
    assert.deepEqual(JSON.parse((await r.recorder.stateFor('r1'))!.text), {
      type: 'recording.state',
      room: 'r1',
      active: true,
      by: 'ann',
    });
    assert.equal(await r.recorder.stateFor('other'), undefined);
    // Busy while recording; a non-member is refused first.
    assert.equal(
      await reasonOf(r.recorder.start(r.session('bob'), { type: 'recording.start', room: 'r1' })),
      'recording_busy',
    );
    const stranger = { ...r.session('eve'), rooms: new Set<string>() };
    assert.equal(
      await reasonOf(r.recorder.stop(stranger, { type: 'recording.stop', room: 'r1' })),
      'NOT_IN_ROOM',
    );
    // Another member stops it: Janus stops, everyone hears who, processing is queued.
    await r.recorder.stop(r.session('bob'), { type: 'recording.stop', id: 2, room: 'r1' });
    assert.equal(r.janus.at(-1), undefined);
    assert.deepEqual(r.broadcasts.at(-1)!.msg, {
      type: 'recording.state',
      room: 'r1',
      active: false,
      by: 'bob',
    });
    assert.equal(r.queued.length, 1);
    const m = r.queued[0]!;
    assert.equal(m.phase, 'stopped');
    assert.equal(m.stopReason, 'stop');
    assert.deepEqual(m.feeds, { '11': 'ann', '12': 'bob' });
    const onDisk = JSON.parse(readFileSync(join(r.dir, m.id, 'recording.json'), 'utf8'));
    assert.equal(onDisk.phase, 'stopped');
    assert.equal(
      await reasonOf(r.recorder.stop(r.session('bob'), { type: 'recording.stop', room: 'r1' })),
      'recording_busy',
    );
  });

  it('stops on its own when the room empties, the disk runs low, or at the time limit', async () => {
    for (const [why, act] of [
      ['empty', (r: ReturnType<typeof rig>) => r.members.set('r1', [])],
      [
        'disk',
        (r: ReturnType<typeof rig>) => {
          r.config.recordingMinFreeMb = 1e12;
        },
      ],
      [
        'limit',
        (r: ReturnType<typeof rig>) => {
          r.config.recordingMaxS = 0;
        },
      ],
    ] as const) {
      const r = rig();
      await r.recorder.start(r.session('ann'), { type: 'recording.start', room: 'r1' });
      act(r);
      await until(() => r.queued.length === 1, { what: `stopped for ${why}` });
      assert.equal(r.queued[0]!.stopReason, why);
      assert.deepEqual(r.broadcasts.at(-1)!.msg, {
        type: 'recording.state',
        room: 'r1',
        active: false,
        reason: why,
      });
      assert.ok(!r.recorder.isRecording('r1'));
    }
  });

  it('shutdown stops and tells, queues nothing; the next start picks it up', async () => {
    const r = rig();
    await r.recorder.start(r.session('ann'), { type: 'recording.start', room: 'r1' });
    await r.recorder.close();
    assert.equal(r.queued.length, 0);
    assert.deepEqual(r.broadcasts.at(-1)!.msg, {
      type: 'recording.state',
      room: 'r1',
      active: false,
      reason: 'shutdown',
    });
    const queued: RecordingManifest[] = [];
    const next = new RoomRecorder({
      config: r.config,
      sfu: { record: async () => {}, publisherIds: async () => new Map() },
      members: async () => [],
      broadcast: async () => {},
      deliver: () => {},
      log: createLogger('silent'),
      enqueue: (m) => queued.push(m),
    });
    await next.resume();
    await next.close();
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.stopReason, 'shutdown');
  });

  it('refuses an end-to-end encrypted room (recording_e2ee) and a failed Janus start leaves nothing behind', async () => {
    const r = rig();
    const e2ee = new RoomRecorder({
      config: r.config,
      sfu: {
        record: async () => {
          throw new ParleyError('SFU_UNAVAILABLE');
        },
        publisherIds: async () => new Map(),
      },
      members: async () => ['ann'],
      broadcast: async () => {},
      deliver: () => {},
      log: createLogger('silent'),
      isE2ee: (room) => room === 'secret',
    });
    const ann = { ...r.session('ann'), rooms: new Set(['r1', 'secret']) };
    assert.equal(
      await reasonOf(e2ee.start(ann, { type: 'recording.start', room: 'secret' })),
      'recording_e2ee',
    );
    assert.equal(await reasonOf(e2ee.start(ann, { type: 'recording.start', room: 'r1' })), 'SFU_UNAVAILABLE');
    assert.ok(!e2ee.isRecording('r1'));
    assert.deepEqual(await e2ee.store!.list(), []);
    await e2ee.close();
  });
});
