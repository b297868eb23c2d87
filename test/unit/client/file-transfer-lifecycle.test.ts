/**
 * TransferLifecycle › the lifecycle both transfer directions share: states and their events,
 * settling once (cleanup, final state, `finished`), interruption, the resume wait, progress; and
 * the two `file.cancel` helpers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  remoteCancel,
  sayCancel,
  TransferLifecycle,
} from '../../../packages/client/src/features/file-transfer-lifecycle.ts';
import type { TransferProgress } from '../../../packages/client/src/features/file-transfer-progress.ts';
import type {
  FileTransferError,
  TransferState,
} from '../../../packages/client/src/features/file-transfer-state.ts';
import { tick } from './fakes.ts';

function lifecycle(size = 100, progressIntervalMs = 5) {
  const states: [TransferState, string?][] = [];
  const progress: TransferProgress[] = [];
  const life = new TransferLifecycle({
    size,
    progressIntervalMs,
    onState: (state, error?: FileTransferError) => states.push(error ? [state, error.code] : [state]),
    onProgress: (p) => progress.push(p),
  });
  return { life, states, progress };
}

describe('TransferLifecycle', () => {
  it('emits each state change once and settles once: cleanup, final state, finished with the hash', async () => {
    const { life, states } = lifecycle();
    life.setState('transferring');
    life.setState('transferring');
    let cleanups = 0;
    life.sha256 = 'ab'.repeat(32);
    assert.equal(
      life.settle('completed', undefined, () => cleanups++),
      true,
    );
    assert.equal(
      life.settle('failed', undefined, () => cleanups++),
      false,
      'a second end changes nothing',
    );
    assert.equal(cleanups, 1);
    assert.equal(life.final, true);
    assert.deepEqual(states, [['transferring'], ['completed']]);
    assert.deepEqual(await life.finished, { state: 'completed', sha256: 'ab'.repeat(32) });
  });

  it('a failed end carries its error in the state event and the result, without a hash', async () => {
    const { life, states } = lifecycle();
    life.sha256 = 'cd'.repeat(32);
    const { state, error } = remoteCancel({ code: 'HASH_MISMATCH' }, 'receiver');
    life.settle(state, error, () => {});
    assert.deepEqual(states, [['failed', 'HASH_MISMATCH']]);
    const result = await life.finished;
    assert.equal(result.state, 'failed');
    assert.equal(result.sha256, undefined);
    assert.equal(result.error?.remote, true);
    assert.match(result.error?.message ?? '', /cancelled by the receiver \(HASH_MISMATCH\)/);
  });

  it('interrupted() stops progress and becomes interrupted unless final; the resume wait fires once', async () => {
    const { life, states, progress } = lifecycle(100, 2);
    let bytes = 0;
    life.setState('transferring');
    life.startProgress(() => (bytes += 10));
    await tick(20);
    assert.ok(progress.length > 0, 'progress while transferring');
    assert.equal(life.interrupted(), true);
    const seen = progress.length;
    await tick(20);
    assert.equal(progress.length, seen, 'no progress once interrupted');
    let fired = 0;
    life.setResumeTimer(() => fired++, 5);
    life.setResumeTimer(() => fired++, 5);
    await tick(30);
    assert.equal(fired, 1, 'a new wait replaces the old one');
    life.setResumeTimer(() => fired++, 5);
    life.settle('cancelled', undefined, () => {});
    await tick(30);
    assert.equal(fired, 1, 'settling clears the wait');
    assert.equal(life.interrupted(), false, 'final: stays final');
    assert.deepEqual(
      states.map(([s]) => s),
      ['transferring', 'interrupted', 'cancelled'],
    );
  });

  it('emitProgress reports only when bytes moved, and always at the end', () => {
    const { life, progress } = lifecycle(100);
    life.emitProgress(0);
    assert.equal(progress.length, 0);
    life.emitProgress(40);
    life.emitProgress(40);
    assert.equal(progress.length, 1);
    life.emitProgress(100);
    life.emitProgress(100);
    assert.equal(progress.length, 3);
    assert.equal(life.progress.bytes, 100);
  });
});

describe('sayCancel', () => {
  it('sends file.cancel on an open channel and returns the error of a failed end', () => {
    const sent: string[] = [];
    const channel = { readyState: 'open', send: (d: string) => sent.push(d) } as unknown as RTCDataChannel;
    const error = sayCancel(channel, 't1', 'failed', 'BAD_MESSAGE', 'bad', undefined);
    assert.equal(error?.code, 'BAD_MESSAGE');
    assert.equal(error?.remote, false);
    assert.deepEqual(JSON.parse(sent[0] ?? ''), {
      type: 'file.cancel',
      id: 't1',
      code: 'BAD_MESSAGE',
      reason: 'bad',
    });
    assert.equal(sayCancel(channel, 't1', 'cancelled', 'CANCELLED', undefined, undefined), undefined);
    assert.equal(sayCancel(null, 't1', 'rejected', undefined, 'no', undefined), undefined);
    assert.equal(sent.length, 2, 'nothing sent without a code');
  });
});
