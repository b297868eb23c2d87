import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandQueue } from '../../../packages/client/src/peer/command-queue.ts';
import { tick } from './fakes.ts';

describe('CommandQueue', () => {
  it('runs commands one at a time, in order', async () => {
    const q = new CommandQueue();
    const events: string[] = [];
    let running = 0;
    const job = (name: string, ms: number) => async () => {
      running++;
      assert.equal(running, 1, 'never two at once');
      events.push(`start ${name}`);
      await tick(ms);
      events.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([
      q.push('a', job('a', 5)),
      q.push('b', job('b', 0)),
      q.push('c', job('c', 1)),
    ]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('rejects a failing command without stopping the next', async () => {
    const q = new CommandQueue();
    const failed = q.push('bad', () => {
      throw new Error('boom');
    });
    const ok = q.push('good', () => 42);
    await assert.rejects(failed, /boom/);
    assert.equal(await ok, 42);
  });

  it('rejects queued and new commands with InvalidStateError after close', async () => {
    const q = new CommandQueue();
    let release!: () => void;
    const first = q.push('first', () => new Promise<string>((r) => (release = () => r('done'))));
    const second = q.push('second', () => 'never');
    await tick();
    q.close();
    await assert.rejects(second, { name: 'InvalidStateError' });
    await assert.rejects(
      q.push('third', () => 'never'),
      { name: 'InvalidStateError' },
    );
    release();
    assert.equal(await first, 'done', 'the running command finishes on its own');
    assert.equal(q.closed, true);
  });
});
