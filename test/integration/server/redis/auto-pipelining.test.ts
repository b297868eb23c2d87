// @needs redis-server
/**
 * The directory's command connection pipelines what one tick issues (issue 27): a node under
 * relay load runs thousands of small scripts a second (routing, rooms, resumes), and a socket
 * write each cost it more CPU than the scripts. Counted here: the writes on the connection's
 * socket for 200 commands issued at once, and that their answers and their order are kept.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisDirectory } from '../../../../packages/server/src/directory/redis.ts';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

/** Counts the writes on `dir`'s command socket while `fn` runs. */
async function countWrites<T>(
  dir: RedisDirectory,
  fn: () => Promise<T>,
): Promise<{ writes: number; result: T }> {
  const stream = (dir.client as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
  const write = stream.write;
  let writes = 0;
  stream.write = function (this: unknown, ...a: unknown[]) {
    writes++;
    return write.apply(this, a);
  };
  try {
    const result = await fn();
    return { writes, result };
  } finally {
    stream.write = write;
  }
}

describe('Redis directory: auto-pipelining', () => {
  it('200 name claims issued in one tick leave in a handful of writes, each answered', async () => {
    const dir = await RedisDirectory.connect({ url: redis.url, prefix: `ap${randomUUID().slice(0, 8)}:` });
    try {
      const { writes, result } = await countWrites(dir, () =>
        Promise.all(Array.from({ length: 200 }, (_, i) => dir.claimName(`n${i}`, 'node-a'))),
      );
      assert.deepEqual(result, Array(200).fill(true));
      assert.ok(writes <= 4, `${writes} writes for 200 commands`);
      // The claims hold: a second node is refused each name.
      assert.equal(await dir.claimName('n7', 'node-b'), false);
    } finally {
      await dir.close();
    }
  });

  it('commands issued in one tick keep their order: claim, release, claim by another node', async () => {
    const dir = await RedisDirectory.connect({ url: redis.url, prefix: `ap${randomUUID().slice(0, 8)}:` });
    try {
      const results = await Promise.all([
        dir.claimName('x', 'node-a'),
        dir.claimName('x', 'node-b'),
        dir.releaseName('x', 'node-a'),
        dir.claimName('x', 'node-b'),
        dir.releaseName('x', 'node-a'),
      ]);
      // In issue order: the second release finds the name node-b's, so it is refused.
      assert.deepEqual(results, [true, false, true, true, false]);
      assert.equal(await dir.claimName('x', 'node-a'), false);
    } finally {
      await dir.close();
    }
  });
});
