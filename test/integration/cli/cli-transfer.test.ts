/**
 * `parley send` → `parley receive`, two real processes through a real server: files arrive
 * byte-identical (SHA-256 checked by the SDK and again here), and each failure mode exits with
 * its documented code.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startParley, useCliFixture } from './cli-process.ts';

const cli = useCliFixture('transfer');

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let n = 0;
const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++n}`;

describe('parley send / receive', () => {
  test('two files arrive intact; both sides report done with matching SHA-256 and exit 0', async () => {
    const inDir = join(cli.dir, 'in1');
    const outDir = join(cli.dir, 'out1');
    await mkdir(inDir, { recursive: true });
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const small = Buffer.from('hello from parley\n');
    await writeFile(join(inDir, 'big.bin'), big);
    await writeFile(join(inDir, 'note.txt'), small);
    const name = uniqueName('rx');
    const receiver = startParley([
      'receive',
      '--server',
      cli.serverUrl,
      '--name',
      name,
      '--dir',
      outDir,
      '--yes',
      '--count',
      '2',
      '--json',
    ]);
    await receiver.waitFor((e) => e.type === 'status' && e.event === 'ready', 30_000, 'receiver ready');
    const sender = startParley([
      'send',
      join(inDir, 'big.bin'),
      join(inDir, 'note.txt'),
      '--to',
      name,
      '--server',
      cli.serverUrl,
      '--json',
    ]);
    assert.equal(await sender.exited, 0, sender.stderr() + JSON.stringify(sender.events));
    assert.equal(await receiver.exited, 0, receiver.stderr() + JSON.stringify(receiver.events));

    const sent = sender.events.filter((e) => e.type === 'done');
    const received = receiver.events.filter((e) => e.type === 'done');
    assert.deepEqual(
      sent.map((e) => e.name),
      ['big.bin', 'note.txt'],
    );
    assert.deepEqual(received.map((e) => e.name).sort(), ['big.bin', 'note.txt']);
    assert.equal(received.find((e) => e.name === 'big.bin')?.sha256, sha256(big));
    assert.equal(sent.find((e) => e.name === 'big.bin')?.sha256, sha256(big));
    assert.equal(sha256(await readFile(join(outDir, 'big.bin'))), sha256(big));
    assert.equal(sha256(await readFile(join(outDir, 'note.txt'))), sha256(small));
    assert.deepEqual((await readdir(outDir)).sort(), ['big.bin', 'note.txt'], 'no part files left');
    assert.ok(sender.events.some((e) => e.type === 'progress' && e.direction === 'send'));
    assert.ok(receiver.events.some((e) => e.type === 'offer' && e.accepted === true));
  });

  test('a receiver that does not accept (no --yes, no terminal) declines: the sender exits 4', async () => {
    const file = join(cli.dir, 'declined.txt');
    await writeFile(file, 'nobody wants me');
    const name = uniqueName('picky');
    const receiver = startParley([
      'receive',
      '--server',
      cli.serverUrl,
      '--name',
      name,
      '--dir',
      join(cli.dir, 'out2'),
      '--json',
    ]);
    await receiver.waitFor((e) => e.type === 'status' && e.event === 'ready', 30_000, 'receiver ready');
    const sender = startParley(['send', file, '--to', name, '--server', cli.serverUrl, '--json']);
    assert.equal(await sender.exited, 4, sender.stderr());
    const error = sender.events.find((e) => e.type === 'error' && e.fatal === true);
    assert.equal(error?.kind, 'peer');
    assert.ok(receiver.events.some((e) => e.type === 'offer' && e.accepted === false));
  });

  test('sending to a name that is not online exits 4; a missing file exits 2; a dead server exits 3', async () => {
    const file = join(cli.dir, 'x.txt');
    await writeFile(file, 'x');
    const nobody = startParley([
      'send',
      file,
      '--to',
      uniqueName('ghost'),
      '--server',
      cli.serverUrl,
      '--json',
    ]);
    assert.equal(await nobody.exited, 4);
    assert.equal(nobody.events.at(-1)?.code, 'PEER_NOT_FOUND');
    const missing = startParley([
      'send',
      join(cli.dir, 'nope.bin'),
      '--to',
      'someone',
      '--server',
      cli.serverUrl,
      '--json',
    ]);
    assert.equal(await missing.exited, 2);
    assert.match(String(missing.events.at(-1)?.message), /no such file/);
    const dead = startParley(['send', file, '--to', 'someone', '--server', 'http://127.0.0.1:1', '--json']);
    assert.equal(await dead.exited, 3);
    assert.equal(dead.events.at(-1)?.kind, 'signaling');
  });

  test('send --room reaches a receiver that joined the room', async () => {
    const file = join(cli.dir, 'room.txt');
    await writeFile(file, 'for everyone in the room');
    const room = uniqueName('room');
    const outDir = join(cli.dir, 'out-room');
    const receiver = startParley([
      'receive',
      '--server',
      cli.serverUrl,
      '--name',
      uniqueName('member'),
      '--room',
      room,
      '--dir',
      outDir,
      '--yes',
      '--count',
      '1',
      '--json',
    ]);
    await receiver.waitFor((e) => e.type === 'status' && e.event === 'ready', 30_000, 'receiver ready');
    const sender = startParley(['send', file, '--room', room, '--server', cli.serverUrl, '--json']);
    assert.equal(await sender.exited, 0, sender.stderr());
    assert.equal(await receiver.exited, 0, receiver.stderr());
    assert.equal(await readFile(join(outDir, 'room.txt'), 'utf8'), 'for everyone in the room');
  });

  test('receive --timeout exits 4 when nothing is offered', async () => {
    const receiver = startParley([
      'receive',
      '--server',
      cli.serverUrl,
      '--name',
      uniqueName('idle'),
      '--dir',
      join(cli.dir, 'out3'),
      '--timeout',
      '1',
      '--json',
    ]);
    assert.equal(await receiver.exited, 4);
    assert.match(String(receiver.events.at(-1)?.message), /no file was offered/);
  });
});
