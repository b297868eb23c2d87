import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitChatText } from '../../../packages/cli/src/commands/chat.ts';
import { windowedSource } from '../../../packages/cli/src/files/windowed-source.ts';
import { HumanReporter } from '../../../packages/cli/src/output/human-reporter.ts';
import { JsonReporter } from '../../../packages/cli/src/output/json-reporter.ts';

const sink = (isTTY = false) => {
  let text = '';
  return { isTTY, columns: 80, write: (t: string) => (text += t), text: () => text };
};

describe('JsonReporter', () => {
  test('one JSON object per line, with ts', () => {
    const out = sink();
    const r = new JsonReporter(out, () => 42);
    r.emit({ type: 'message', room: 'r', from: 'a', text: 'hi\nthere' });
    r.emit({ type: 'check', check: 'stun', ok: true, detail: 'x', durationMs: 1 });
    const lines = out.text().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(JSON.parse(lines[0]!), {
      type: 'message',
      room: 'r',
      from: 'a',
      text: 'hi\nthere',
      ts: 42,
    });
    assert.equal(lines[2], '');
  });
});

describe('HumanReporter (not a terminal)', () => {
  test('results on stdout, status and errors on stderr, plain progress throttled per transfer', () => {
    const stdout = sink();
    const stderr = sink();
    let now = 0;
    const r = new HumanReporter({ stdout, stderr }, { now: () => now });
    r.emit({ type: 'status', event: 'ready', message: 'waiting' });
    const progress = (bytes: number) =>
      r.emit({
        type: 'progress',
        id: 't1',
        direction: 'receive',
        peer: 'bob',
        name: 'f.bin',
        bytes,
        total: 100,
        rateBytesPerSec: 10,
        etaMs: 1000,
      });
    progress(10);
    now = 1000;
    progress(20); // within 5 s of the last line: skipped
    now = 6000;
    progress(60);
    r.emit({
      type: 'done',
      id: 't1',
      direction: 'receive',
      peer: 'bob',
      name: 'f.bin',
      bytes: 100,
      sha256: 'ab'.repeat(32),
      durationMs: 2000,
      rateBytesPerSec: 50,
      path: '/tmp/f.bin',
    });
    r.emit({ type: 'message', room: 'r', from: 'bob', text: 'hello' });
    r.emit({
      type: 'error',
      code: 'HASH_MISMATCH',
      kind: 'transfer',
      message: 'bad',
      exitCode: 5,
      fatal: true,
    });
    r.close();
    assert.equal(
      stdout.text(),
      'received f.bin from bob → /tmp/f.bin (100 B in 0:02, 50 B/s, sha256 abababababababab…)\nbob: hello\n',
    );
    const err = stderr.text().split('\n');
    assert.equal(err[0], 'waiting');
    assert.match(err[1]!, /^← f\.bin 10% /);
    assert.match(err[2]!, /^← f\.bin 60% /);
    assert.equal(err[3], 'error: bad');
  });
});

describe('splitChatText', () => {
  test('splits long lines at the protocol limit', () => {
    assert.deepEqual(splitChatText('abcdefg', 3), ['abc', 'def', 'g']);
    assert.deepEqual(splitChatText('short'), ['short']);
    assert.equal(splitChatText('x'.repeat(8001)).length, 2);
  });
});

describe('windowedSource', () => {
  test('a read waits until the receiver confirmed all but the window before it', async () => {
    let confirmed = 0;
    const reads: number[] = [];
    const source = windowedSource(
      {
        name: 'f',
        size: 100,
        type: '',
        read: async (offset, length) => {
          reads.push(offset);
          return new Uint8Array(length);
        },
      },
      () => confirmed,
      { windowBytes: 10 },
    );
    await source.read(0, 10);
    await source.read(10, 10);
    const third = source.read(20, 10); // 20 - 0 > 10: waits
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(reads, [0, 10]);
    confirmed = 10;
    await third;
    assert.deepEqual(reads, [0, 10, 20]);
    assert.equal(source.close, undefined, 'the wrapper never closes the shared source');
  });
});
