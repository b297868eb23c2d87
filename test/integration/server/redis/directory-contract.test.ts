// @needs redis-server
/**
 * The Directory contract suite (test/helpers/directory-contract.ts) against `RedisDirectory` on a
 * real redis-server, plus the Redis call store's atomicity. Each test gets its own key prefix, so
 * nothing leaks between tests sharing the server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisCallStore } from '../../../../packages/server/src/calls/redis-call-store.ts';
import { RedisDirectory } from '../../../../packages/server/src/directory/redis.ts';
import { directoryContract } from '../../../helpers/directory-contract.ts';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

const connect = () => RedisDirectory.connect({ url: redis.url, prefix: `t${randomUUID().slice(0, 8)}:` });

directoryContract('redis', connect);

describe('RedisCallStore', () => {
  it('RedisCallStore › of concurrent calls involving one name exactly one is created', async () => {
    const dir = await connect();
    try {
      const store = new RedisCallStore(dir.client, dir.prefix);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.create({ id: `c${i}`, caller: `caller${i}`, callee: 'popular', state: 'ringing' }),
        ),
      );
      assert.equal(results.filter((r) => r === 'ok').length, 1);
      assert.equal(results.filter((r) => r === 'callee_busy').length, 19);
      const call = await store.callOf('popular');
      assert.ok(call);
      assert.equal(call.state, 'ringing');
      assert.equal(
        await store.create({ id: 'x', caller: call.caller, callee: 'z', state: 'ringing' }),
        'caller_busy',
      );
      assert.equal(await store.activate(call.id), true);
      assert.equal(await store.activate(call.id), false);
      assert.equal((await store.get(call.id))?.state, 'active');
      const removed = await Promise.all([store.remove(call.id), store.remove(call.id)]);
      assert.equal(removed.filter((r) => r !== null).length, 1);
      assert.equal(await store.callOf('popular'), null);
      assert.equal(await store.callOf(call.caller), null);
    } finally {
      await dir.close();
    }
  });
});
