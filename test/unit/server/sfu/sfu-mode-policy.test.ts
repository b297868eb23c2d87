/**
 * The SFU mode policy on its own: mesh↔sfu decisions, creation limits and the shrink delay,
 * against an in-memory directory, with the Janus instances, the relay and the metrics faked
 * (no Janus). Shrink timers run on node:test's mock timers, so "nothing happened after the delay"
 * needs no sleep.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { Directory, SfuPlacement } from '../../../../packages/server/src/directory/directory.ts';
import { MemoryDirectory } from '../../../../packages/server/src/directory/memory.ts';
import { createLogger } from '../../../../packages/server/src/log.ts';
import type { RoomRefusal } from '../../../../packages/server/src/sfu/sfu-metrics.ts';
import { type Joiner, SfuModePolicy } from '../../../../packages/server/src/sfu/sfu-mode-policy.ts';
import type { Frame } from '../../../../packages/server/src/wire/frames.ts';

const J1 = 'ws://127.0.0.1:1/janus';
const J2 = 'ws://127.0.0.1:2/janus';
const DELAY_S = 10;

/** One policy with its fakes; `up` and `failBroadcasts` may be changed by a test. */
function setup(config: Partial<ConstructorParameters<typeof SfuModePolicy>[0]['config']> = {}) {
  const directory = new MemoryDirectory();
  const state = { up: [J1, J2], failBroadcasts: false };
  const broadcasts: { room: string; msg: Record<string, unknown> }[] = [];
  const retired: [string, string | undefined][] = [];
  const refused: RoomRefusal[] = [];
  const logs: { level: number; msg: string; room?: string }[] = [];
  const log = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const policy = new SfuModePolicy({
    config: {
      sfuThreshold: 3,
      sfuShrinkDelayS: DELAY_S,
      sfuMaxRooms: 10,
      sfuRoomsPerSession: 1,
      sfuRoomsPerIp: 2,
      ...config,
    },
    directory,
    relay: {
      async broadcast(room: string, _except: string, f: Frame) {
        if (state.failBroadcasts) throw new Error('relay unreachable');
        broadcasts.push({ room, msg: JSON.parse(f.text) });
      },
    },
    instances: {
      upUrls: () => [...state.up],
      firstUrl: () => J1,
      async retire(room, janus) {
        retired.push([room, janus]);
      },
    },
    metrics: { candidatesDropped() {}, roomRefused: (r) => void refused.push(r) },
    log,
  });
  const joiner = (ip: string): Joiner => ({ rooms: new Set(), log, connection: { ip } });
  /** Adds members to `room` in the directory; answers how many it has. */
  const fill = async (room: string, ...names: string[]) => {
    let n = 0;
    for (const name of names) {
      const r = await directory.joinRoom(room, name, { maxPeers: 50, passwordHash: undefined });
      assert.ok(r.ok);
      n = r.members.length;
    }
    return n;
  };
  /** Grows `room` to `n` members and lets the policy move it (past the threshold). */
  const grow = async (room: string, n: number) => {
    const names = Array.from({ length: n }, (_, i) => `${room}-m${i}`);
    const count = await fill(room, ...names);
    return policy.joined(room, count, false);
  };
  /** Grows room `a` into the SFU (4 members), then lets two leave: its placement, to shrink. */
  const grownThenThinned = async () => {
    await grow('a', 4);
    const p = await directory.sfuPlacement('a');
    for (const name of ['a-m0', 'a-m1']) await directory.leaveRoom('a', name);
    return p;
  };
  return {
    directory,
    state,
    broadcasts,
    retired,
    refused,
    logs,
    policy,
    joiner,
    fill,
    grow,
    grownThenThinned,
  };
}

/** Lets the promise chains a fired timer started run to their end (the directory answers at once). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('SfuModePolicy', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('keeps a room mesh up to the threshold and moves it to the least loaded instance that is up past it', async () => {
    const t = setup();
    assert.deepEqual(await t.grow('a', 3), { mode: 'mesh', changed: false });
    assert.equal(await t.directory.sfuPlacement('a'), undefined);
    assert.deepEqual(await t.policy.joined('a', await t.fill('a', 'a-m3'), false), {
      mode: 'sfu',
      changed: true,
    });
    const a = await t.directory.sfuPlacement('a');
    assert.equal(a?.janus, J1, 'no load anywhere: the first instance');
    assert.equal(a?.fromStart, false);
    assert.equal(a?.down, false);
    // J1 carries a's 4 members now: the next room goes to J2.
    assert.deepEqual(await t.grow('b', 4), { mode: 'sfu', changed: true });
    assert.equal((await t.directory.sfuPlacement('b'))?.janus, J2);
    // A room already in sfu stays so, and nobody needs telling again.
    assert.deepEqual(await t.policy.joined('a', await t.fill('a', 'a-m4'), false), {
      mode: 'sfu',
      changed: false,
    });
  });

  it('creates a room as sfu only for the joiner who creates it, and records it as fromStart', async () => {
    const t = setup();
    const alice = t.joiner('192.0.2.1');
    await t.fill('big', 'alice');
    assert.deepEqual(await t.policy.joined('big', 1, true, 'sfu', alice), { mode: 'sfu', changed: true });
    assert.equal((await t.directory.sfuPlacement('big'))?.fromStart, true);
    await t.fill('small', 'bob', 'carol');
    assert.deepEqual(await t.policy.joined('small', 2, false, 'sfu', t.joiner('192.0.2.2')), {
      mode: 'mesh',
      changed: false,
    });
  });

  it('places a room marked down on the first instance when none is up', async () => {
    const t = setup();
    t.state.up = [];
    assert.deepEqual(await t.grow('a', 4), { mode: 'sfu', changed: true });
    const p = await t.directory.sfuPlacement('a');
    assert.equal(p?.janus, J1);
    assert.equal(p?.down, true);
  });

  it('keeps a growing room mesh once the directory holds sfuMaxRooms SFU rooms, and counts the refusal', async () => {
    const t = setup({ sfuMaxRooms: 1 });
    assert.equal((await t.grow('a', 4)).mode, 'sfu');
    assert.deepEqual(await t.grow('b', 4), { mode: 'mesh', changed: false });
    assert.equal(await t.directory.sfuPlacement('b'), undefined);
    assert.deepEqual(t.refused, ['node']);
    assert.ok(
      t.logs.some((l) => l.level === 40 && l.msg === 'sfu room not created: limit reached; room stays mesh'),
    );
  });

  it('mayCreate › refuses past the session and address limits (TOO_MANY_ROOMS) and the directory one (SFU_UNAVAILABLE)', async () => {
    const t = setup({ sfuMaxRooms: 3 });
    const create = async (j: Joiner, room: string, name: string) => {
      await t.policy.mayCreate(j, room);
      await t.fill(room, name);
      return t.policy.joined(room, 1, true, 'sfu', j);
    };
    const a = t.joiner('198.51.100.7');
    const b = t.joiner('198.51.100.7');
    const c = t.joiner('198.51.100.7');
    const d = t.joiner('203.0.113.9');
    assert.equal((await create(a, 'r1', 'a')).mode, 'sfu');
    await assert.rejects(
      t.policy.mayCreate(a, 'r2'),
      (e: unknown) => e instanceof ParleyError && e.code === 'TOO_MANY_ROOMS',
    );
    // Joining a room that exists creates nothing: never refused.
    await t.policy.mayCreate(a, 'r1');
    assert.equal((await create(b, 'r2', 'b')).mode, 'sfu', 'a second session from the address may');
    await assert.rejects(t.policy.mayCreate(c, 'r3'), /an address may have created at most 2/);
    assert.equal((await create(d, 'r3', 'd')).mode, 'sfu');
    const e = t.joiner('203.0.113.10');
    await assert.rejects(
      t.policy.mayCreate(e, 'r4'),
      (err: unknown) => err instanceof ParleyError && err.code === 'SFU_UNAVAILABLE',
    );
    assert.deepEqual(t.refused, ['session', 'address', 'node']);
  });

  it('mayCreate › a creation stops counting once its room has emptied', async () => {
    const t = setup();
    const a = t.joiner('198.51.100.7');
    await t.fill('r1', 'a');
    await t.policy.joined('r1', 1, true, 'sfu', a);
    await assert.rejects(t.policy.mayCreate(a, 'r2'));
    await t.directory.leaveRoom('r1', 'a');
    await t.policy.mayCreate(a, 'r2');
  });

  it('answers mesh, and lets the join go on, when the directory cannot answer', async () => {
    const t = setup();
    const broken = new Proxy(t.directory, {
      get(target, key) {
        if (key === 'sfuPlacement' || key === 'members') return () => Promise.reject(new Error('redis down'));
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Directory;
    const policy = new SfuModePolicy({
      config: {
        sfuThreshold: 3,
        sfuShrinkDelayS: 1,
        sfuMaxRooms: 1,
        sfuRoomsPerSession: 0,
        sfuRoomsPerIp: 0,
      },
      directory: broken,
      relay: { broadcast: async () => {} },
      instances: { upUrls: () => [J1], firstUrl: () => J1, retire: async () => {} },
      metrics: { candidatesDropped() {}, roomRefused() {} },
      log: createLogger('silent'),
    });
    await policy.mayCreate(t.joiner('192.0.2.1'), 'r');
    assert.deepEqual(await policy.joined('r', 9, false), { mode: 'mesh', changed: false });
  });

  it('shrinks a grown room back to mesh after the delay: members told, its Janus state retired', async () => {
    const t = setup();
    const p = await t.grownThenThinned();
    t.policy.shrinkLater('a', 2, p);
    mock.timers.tick(DELAY_S * 1000 - 1);
    await settle();
    assert.ok(await t.directory.sfuPlacement('a'), 'not before the delay');
    mock.timers.tick(1);
    await settle();
    assert.equal(await t.directory.sfuPlacement('a'), undefined);
    assert.deepEqual(t.broadcasts, [{ room: 'a', msg: { type: 'room.mode', room: 'a', mode: 'mesh' } }]);
    assert.deepEqual(t.retired, [['a', J1]]);
  });

  it('calls a pending shrink off when the room is back at the threshold', async () => {
    const t = setup();
    const p = await t.grownThenThinned();
    t.policy.shrinkLater('a', 2, p);
    await t.policy.joined('a', await t.fill('a', 'late'), false);
    // Below the threshold again, but nobody asked for a new shrink: the old one must not run.
    await t.directory.leaveRoom('a', 'late');
    mock.timers.tick(DELAY_S * 1000 * 2);
    await settle();
    assert.deepEqual(await t.directory.sfuPlacement('a'), p);
    assert.deepEqual(t.broadcasts, []);
  });

  it('never shrinks a room created as sfu, with a zero delay, or at the threshold', async () => {
    const fromStart: SfuPlacement = { janus: J1, fromStart: true, epoch: 'e1', down: false };
    const grown: SfuPlacement = { ...fromStart, fromStart: false };
    for (const [config, members, placement] of [
      [{}, 1, fromStart],
      [{ sfuShrinkDelayS: 0 }, 1, grown],
      [{}, 3, grown],
      [{}, 1, undefined],
    ] as const) {
      const t = setup(config);
      await t.fill('a', 'x');
      await t.directory.sfuPlace('a', placement ?? grown);
      t.policy.shrinkLater('a', members, placement);
      mock.timers.tick(DELAY_S * 1000 * 2);
      await settle();
      assert.ok(await t.directory.sfuPlacement('a'), JSON.stringify({ config, members, placement }));
    }
  });

  it('logs a room.mode broadcast that failed, and still ends the room in Janus', async () => {
    const t = setup();
    const p = await t.grownThenThinned();
    t.state.failBroadcasts = true;
    t.policy.shrinkLater('a', 2, p);
    mock.timers.tick(DELAY_S * 1000);
    await settle();
    assert.equal(await t.directory.sfuPlacement('a'), undefined);
    assert.deepEqual(t.retired, [['a', J1]]);
    const line = t.logs.find((l) => l.msg === 'room.mode mesh not broadcast');
    assert.equal(line?.level, 40);
    assert.equal(line?.room, 'a');
  });

  it('close › drops pending shrinks', async () => {
    const t = setup();
    const p = await t.grownThenThinned();
    t.policy.shrinkLater('a', 2, p);
    t.policy.close();
    t.policy.shrinkLater('a', 2, p);
    mock.timers.tick(DELAY_S * 1000 * 2);
    await settle();
    assert.ok(await t.directory.sfuPlacement('a'));
  });
});
