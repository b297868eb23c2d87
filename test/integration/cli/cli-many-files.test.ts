/**
 * `parley send` with many files with long names: the list no longer fits in `call.invite.data`
 * (1 KiB), so the invite carries only `{parley:'files', count, bytes}` and the names travel in each
 * file's offer on the data channel. Two real processes through a real server.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIMITS } from '@parley/protocol';
import { filesInviteData } from '../../../packages/cli/src/commands/send.ts';
import { startParley, useCliFixture } from './cli-process.ts';

const cli = useCliFixture('many');

test('parley send › 24 files with 200-character names (a list far over the 1 KiB invite limit) all arrive', async () => {
  const inDir = join(cli.dir, 'in');
  const outDir = join(cli.dir, 'out');
  await mkdir(inDir, { recursive: true });
  const names = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}-${'n'.repeat(197)}`);
  const list = JSON.stringify(names.map((name) => ({ name, size: 10 })));
  assert.ok(list.length > 4 * LIMITS.callInviteDataMaxBytes, 'the old file list would not fit');
  const data = filesInviteData(names.map(() => ({ size: 10 })));
  assert.deepEqual(data, { parley: 'files', count: 24, bytes: 240 });
  assert.ok(JSON.stringify(data).length < 64);
  for (const n of names) await writeFile(join(inDir, n), `file ${n.slice(0, 2)}\n`.padEnd(10, '.'));
  const rx = `many-${process.pid}`;
  const receiver = startParley([
    'receive',
    '--server',
    cli.serverUrl,
    '--name',
    rx,
    '--dir',
    outDir,
    '--yes',
    '--count',
    String(names.length),
    '--json',
  ]);
  await receiver.waitFor((e) => e.type === 'status' && e.event === 'ready', 30_000, 'receiver ready');
  const sender = startParley([
    'send',
    ...names.map((n) => join(inDir, n)),
    '--to',
    rx,
    '--server',
    cli.serverUrl,
    '--json',
  ]);
  assert.equal(await sender.exited, 0, sender.stderr() + JSON.stringify(sender.events.slice(-5)));
  assert.equal(await receiver.exited, 0, receiver.stderr());
  assert.deepEqual((await readdir(outDir)).sort(), names);
});
