/**
 * `parley pipe`: in a room (`--room --lines --json`) a bot's lines reach a listener as string
 * messages with the sender's name, and the bot exits 0 once the listener acknowledged its eof.
 * (`--to` / `--from` have no test yet: see the s6h2 closing note.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startParley, useCliFixture } from './cli-process.ts';

const cli = useCliFixture('pipe');
const BIN = fileURLToPath(new URL('../../../packages/cli/bin/parley.mjs', import.meta.url));

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
