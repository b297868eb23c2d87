/**
 * `parley pipe`: bytes from one process's stdin come out of another's stdout, unchanged, over an
 * app data channel of a call (`--to` / `--from`), and both exit 0 once each side's eof was
 * acknowledged; in a room (`--room --lines --json`) a bot's lines reach a listener as string
 * messages with the sender's name.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startParley, useCliFixture } from './cli-process.ts';

const cli = useCliFixture('pipe');
const BIN = fileURLToPath(new URL('../../../packages/cli/bin/parley.mjs', import.meta.url));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('pipe --to / --from: 3 MiB of stdin arrive byte for byte on the other stdout; both exit 0', async () => {
  const payload = randomBytes(3 * 1024 * 1024 + 123);
  const receiver = spawn(
    process.execPath,
    [BIN, 'pipe', '--from', 'pa', '--name', 'pb', '--server', cli.serverUrl],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const receiverExit = new Promise<number | null>((r) => receiver.on('exit', r));
  const chunks: Buffer[] = [];
  let err = '';
  receiver.stdout.on('data', (c: Buffer) => chunks.push(c));
  receiver.stderr.on('data', (c) => {
    err += c;
  });
  // Wait until the receiver is logged in (its status line goes to stderr), then call it.
  const waitStart = Date.now();
  while (!err.includes('waiting for a call') && Date.now() - waitStart < 20_000)
    await new Promise((r) => setTimeout(r, 20));
  const sender = startParley(['pipe', '--to', 'pb', '--name', 'pa', '--server', cli.serverUrl, '--json'], {
    stdin: 'pipe',
  });
  sender.child.stdin?.end(payload);
  assert.equal(await sender.exited, 0, sender.stderr() + JSON.stringify(sender.events));
  // Both sides said eof (the receiver's stdin was empty) and were acknowledged: it exits by itself.
  assert.equal(await receiverExit, 0, err);
  const out = Buffer.concat(chunks);
  assert.equal(out.length, payload.length, err);
  assert.equal(sha(out), sha(payload));
});

test('pipe --room --lines --json: a bot’s lines reach a listener as string messages from the bot', async () => {
  const room = `pipes-${process.pid}`;
  const listener = startParley(
    ['pipe', '--room', room, '--lines', '--name', 'listener', '--server', cli.serverUrl, '--json'],
    { stdin: 'pipe' },
  );
  const bot = startParley(
    ['pipe', '--room', room, '--lines', '--name', 'bot', '--server', cli.serverUrl, '--json'],
    {
      stdin: 'pipe',
    },
  );
  await listener.waitFor((e) => e.type === 'status' && e.event === 'open', 30_000, 'listener channel open');
  bot.child.stdin?.end('move 1\n{"x":3}\n');
  assert.equal(await bot.exited, 0, bot.stderr());
  await listener.waitFor((e) => e.type === 'message' && e.data === '{"x":3}', 15_000, 'second line');
  assert.deepEqual(
    listener.events.filter((e) => e.type === 'message').map((e) => [e.from, e.kind, e.data]),
    [
      ['bot', 'string', 'move 1'],
      ['bot', 'string', '{"x":3}'],
    ],
  );
  listener.child.stdin?.end();
  assert.equal(await listener.exited, 0, listener.stderr());
});
