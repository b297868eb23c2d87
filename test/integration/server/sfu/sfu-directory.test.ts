// @needs redis-server
/**
 * The SFU placement in the Redis directory when a node dies: its members are reaped by a
 * surviving node (heartbeat expired), and a room emptied that way forgets its placement with its
 * members, so the room is mesh again for whoever joins next.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisDirectory } from '../../../../packages/server/src/directory/redis.ts';
import { startRedis, stopAllRedis, type TestRedis } from '../../../helpers/redis.ts';

const handlers = { deliver: () => false, presence: () => {} };

describe('SFU placement in Redis', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(stopAllRedis);

  it('SFU › a dead node’s members are reaped and the rooms they emptied forget their SFU placement', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}:`;
    const nodeTtlMs = 300;
    const dying = await RedisDirectory.connect({ url: redis.url, prefix, nodeTtlMs });
    const survivor = await RedisDirectory.connect({ url: redis.url, prefix, nodeTtlMs });
    try {
      await dying.attachNode('dying', handlers);
      await survivor.attachNode('survivor', handlers);
      for (const name of ['d1', 'd2']) {
        assert.equal(await dying.claimName(name, 'dying'), true);
        await dying.joinRoom('only-dead', name, { maxPeers: 9 });
        await dying.joinRoom('mixed', name, { maxPeers: 9 });
      }
      assert.equal(await survivor.claimName('s1', 'survivor'), true);
      await survivor.joinRoom('mixed', 's1', { maxPeers: 9 });
      const placement = { janus: 'ws://j', fromStart: false, epoch: 'e', down: false };
      await survivor.sfuPlace('only-dead', placement);
      await survivor.sfuPlace('mixed', { ...placement, epoch: 'm' });
      // The dying node stops its heartbeat without releasing anything (as a crash would).
      await dying.close();
      const started = Date.now();
      while ((await survivor.members('only-dead')).length > 0) {
        if (Date.now() - started > 10_000) throw new Error('dead node not reaped');
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(await survivor.sfuPlacement('only-dead'), undefined);
      assert.deepEqual(await survivor.members('mixed'), ['s1']);
      assert.equal((await survivor.sfuPlacement('mixed'))?.epoch, 'm');
      assert.deepEqual(
        (await survivor.sfuRooms()).map((e) => [e.room, e.members]),
        [['mixed', 1]],
      );
    } finally {
      await survivor.close();
      await dying.close();
    }
  });
});
