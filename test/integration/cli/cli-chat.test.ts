/**
 * `parley chat`: a bot pipes lines on stdin into a room and exits 0 at the end of its input; a
 * listener in the same room prints them as `message` events (peer-to-peer chat channels, as
 * the web app uses).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startParley, useCliFixture } from './cli-process.ts';

const cli = useCliFixture('chat');

test('a bot sends stdin lines to the room and exits 0; a listener receives them in order', async () => {
  const room = `bots-${process.pid}`;
  const listener = startParley(
    ['chat', '--room', room, '--name', 'listener', '--server', cli.serverUrl, '--json'],
    {
      stdin: 'pipe',
    },
  );
  await listener.waitFor((e) => e.type === 'status' && e.event === 'joined', 30_000, 'listener joined');
  const bot = startParley(['chat', '--room', room, '--name', 'ci-bot', '--server', cli.serverUrl, '--json'], {
    stdin: 'pipe',
  });
  bot.child.stdin!.end('build 42 passed\ndeploying to staging\n\n');
  assert.equal(await bot.exited, 0, bot.stderr() + JSON.stringify(bot.events));
  await listener.waitFor(
    (e) => e.type === 'message' && e.text === 'deploying to staging',
    15_000,
    'second message',
  );
  const messages = listener.events.filter((e) => e.type === 'message');
  assert.deepEqual(
    messages.map((e) => [e.from, e.text, e.room]),
    [
      ['ci-bot', 'build 42 passed', room],
      ['ci-bot', 'deploying to staging', room],
    ],
  );
  assert.ok(listener.events.some((e) => e.type === 'peer' && e.name === 'ci-bot' && e.present === true));
  listener.child.stdin!.end();
  assert.equal(await listener.exited, 0, listener.stderr());
});
