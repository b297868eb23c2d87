/** Taking your name back in a new tab: the bounded, quiet retry (packages/web/src/app/name-reclaim.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/client';
import {
  RECLAIM_EVERY_MS,
  RECLAIM_WINDOW_MS,
  ReclaimFailure,
  signInReclaiming,
} from '../../../packages/web/src/app/name-reclaim.ts';
import { describeLoginFailure } from '../../../packages/web/src/app/sign-in-words.ts';

/** A fake clock: `sleep` moves time on at once and records each pause. */
function fakeClock() {
  let t = 1_000;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => t,
    sleep: async (ms: number) => {
      pauses.push(ms);
      t += ms;
    },
    advance(ms: number) {
      t += ms;
    },
  };
}

/** An attempt refused with `code` for the first `refusals` calls, then signed in. */
function attempts(refusals: number, code = 'NAME_TAKEN') {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    run: async () => {
      calls += 1;
      if (calls <= refusals) throw new ParleyError(code as 'NAME_TAKEN');
      return 'client';
    },
  };
}

async function failure(p: Promise<unknown>): Promise<ReclaimFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ReclaimFailure);
    return err;
  }
  assert.fail('expected a failure');
}

describe('web name reclaim', () => {
  /** Signs in as nora, last used here, against an attempt refused `refusals` times first. */
  async function nora(refusals: number) {
    const clock = fakeClock();
    const a = attempts(refusals);
    let waiting = 0;
    const got = await signInReclaiming(a.run, {
      name: 'nora',
      lastUsed: 'nora',
      onWaiting: () => waiting++,
      ...clock,
    });
    return { got, calls: a.calls, waiting, pauses: clock.pauses };
  }

  it('signs in at once when the name is free, without waiting', async () => {
    assert.deepEqual(await nora(0), { got: 'client', calls: 1, waiting: 0, pauses: [] });
  });

  it('waits quietly for the name this browser last used, every second, then signs in', async () => {
    // The status is shown once; one attempt a second.
    assert.deepEqual(await nora(4), {
      got: 'client',
      calls: 5,
      waiting: 1,
      pauses: [1_000, 1_000, 1_000, 1_000],
    });
    assert.equal(RECLAIM_EVERY_MS, 1_000);
  });

  it('a name this browser never used is refused at once, as before', async () => {
    for (const lastUsed of [null, 'someone-else']) {
      const clock = fakeClock();
      const a = attempts(10);
      let waiting = 0;
      const f = await failure(
        signInReclaiming(a.run, { name: 'nora', lastUsed, onWaiting: () => waiting++, ...clock }),
      );
      assert.equal(a.calls, 1);
      assert.equal(waiting, 0);
      assert.equal(f.waited, false);
      assert.equal((f.error as ParleyError).code, 'NAME_TAKEN');
      assert.deepEqual(clock.pauses, []);
    }
  });

  it('gives up after the window when the name stays held: bounded attempts, then the hint', async () => {
    const clock = fakeClock();
    const a = attempts(Number.POSITIVE_INFINITY);
    const f = await failure(signInReclaiming(a.run, { name: 'nora', lastUsed: 'nora', ...clock }));
    assert.equal(f.waited, true);
    const waitedMs = clock.pauses.reduce((x, y) => x + y, 0);
    assert.equal(waitedMs, RECLAIM_WINDOW_MS);
    assert.equal(a.calls, RECLAIM_WINDOW_MS / RECLAIM_EVERY_MS + 1, 'one attempt a second, no more');
    assert.match(
      describeLoginFailure(f.error, 'nora', false, f.waited),
      /“nora” is still in use\. Is Parley open in another tab\? Close it, or pick another name/,
    );
  });

  it('the window counts from the first refusal, slow attempts included, and the last pause is shortened', async () => {
    const clock = fakeClock();
    let calls = 0;
    const slow = async () => {
      calls += 1;
      clock.advance(2_500);
      throw new ParleyError('NAME_TAKEN');
    };
    await failure(signInReclaiming(slow, { name: 'nora', lastUsed: 'nora', windowMs: 6_000, ...clock }));
    // Refused at 2.5 s (deadline 8.5 s); then 1 s pause + 2.5 s attempt each: 6 s, 9.5 s.
    assert.equal(calls, 3);
    assert.ok(clock.pauses.every((p) => p <= 1_000));
  });

  it('stops at once on any other refusal, even while waiting', async () => {
    const clock = fakeClock();
    let calls = 0;
    const run = async () => {
      calls += 1;
      throw new ParleyError(calls < 3 ? 'NAME_TAKEN' : 'RATE_LIMITED');
    };
    const f = await failure(signInReclaiming(run, { name: 'nora', lastUsed: 'nora', ...clock }));
    assert.equal(calls, 3);
    assert.equal(f.waited, true);
    assert.equal((f.error as ParleyError).code, 'RATE_LIMITED');
    const offline = await failure(
      signInReclaiming(
        async () => {
          throw new Error('socket closed');
        },
        { name: 'nora', lastUsed: 'nora', ...clock },
      ),
    );
    assert.equal(offline.waited, false);
    assert.match(describeLoginFailure(offline.error, 'nora', false), /Cannot reach the Parley server/);
  });
});
