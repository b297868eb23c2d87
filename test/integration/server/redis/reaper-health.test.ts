// @needs redis-server
/**
 * What operators see of parked sessions with Redis: `/metrics` counts them (cluster-wide), the
 * sessions this node reaped, the reap backlog and its age and the Redis round trip; `/healthz`
 * turns `degraded` (`reaper: behind`) when parked sessions wait a grace period past theirs to be
 * reaped — here a node whose reaper never ticks — and back to `ok` once it catches up. And a
 * parked session whose hash Redis already dropped (a cluster down longer than its expiry) is still
 * reaped on time: its name and room are freed from the `parked` member alone.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisDirectory } from '../../../../packages/server/src/directory/redis.ts';
import { startRedis, stopAllRedis } from '../../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';

/** One metric's value from the exposition text (the unlabelled sample, or the `_count` of a histogram). */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} exported`);
  return Number(line.split(' ')[1]);
}

describe('Redis cluster › reaper metrics and health', () => {
  const directories: RedisDirectory[] = [];
  after(async () => {
    await closeAllClients();
    await stopAllServers();
    await Promise.all(directories.map((d) => d.close()));
    await stopAllRedis();
  });

  it('Reaper › parked sessions, reaped count and Redis round trip in /metrics; /healthz degraded while reaping stalls past the grace', async () => {
    const redis = await startRedis();
    const server = await startServer({
      PARLEY_REDIS_URL: redis.url,
      PARLEY_GRACE_S: '1',
      PARLEY_METRICS_FROM: 'any',
    });
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    const health = async () =>
      (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    const admin = new Redis(redis.url);
    try {
      assert.equal((await health()).reaper, 'ok');
      const a = await connectClient(server.wsUrl);
      await a.hello('rh-a');
      a.ws.terminate();
      await until(async () => sample(await metrics(), 'parley_parked_sessions') === 1, {
        what: 'one parked session in /metrics',
      });
      await until(async () => sample(await metrics(), 'parley_reaped_total') === 1, {
        what: 'reaped after its grace',
        timeoutMs: 5000,
      });
      const text = await metrics();
      assert.equal(sample(text, 'parley_parked_sessions'), 0);
      assert.equal(sample(text, 'parley_reap_backlog'), 0);
      assert.equal(sample(text, 'parley_reap_backlog_age_seconds'), 0);
      assert.ok(sample(text, 'parley_redis_roundtrip_seconds_count') >= 1, 'round trips observed');

      // A node whose reaper stalls (it never ticks; its probe still reads Redis once a second):
      // past the grace plus another grace, /healthz is degraded and the backlog shows.
      const stalled = await RedisDirectory.connect({
        url: redis.url,
        prefix: 'stall:',
        reapIntervalMs: 3_600_000,
      });
      directories.push(stalled);
      const s2 = await startServer(
        { PARLEY_GRACE_S: '1', PARLEY_METRICS_FROM: 'any' },
        { directory: stalled },
      );
      const health2 = async () =>
        (await (await fetch(`${s2.url}/healthz`)).json()) as Record<string, unknown>;
      const b = await connectClient(s2.wsUrl);
      await b.hello('rh-b');
      b.ws.terminate();
      const droppedAt = Date.now();
      await until(async () => (await health2()).status === 'degraded', { what: 'degraded', timeoutMs: 6000 });
      const h = await health2();
      assert.equal(h.reaper, 'behind');
      assert.equal(h.directory, 'ok');
      const m2 = await (await fetch(`${s2.url}/metrics`)).text();
      assert.equal(sample(m2, 'parley_reap_backlog'), 1);
      assert.ok(sample(m2, 'parley_reap_backlog_age_seconds') > 1, 'backlog older than the grace');
      assert.equal(await admin.exists('stall:name:rh-b'), 1, 'the name is still taken');
      console.log(
        `# reaper stalled: /healthz degraded ${Date.now() - droppedAt} ms after the socket dropped (grace 1 s)`,
      );
      // It catches up: the session is reaped, the name is free, health recovers.
      await stalled.reapNow();
      assert.equal(await admin.exists('stall:name:rh-b'), 0);
      await until(async () => (await health2()).status === 'ok', { what: 'ok again', timeoutMs: 3000 });
      const c = await connectClient(s2.wsUrl);
      await c.hello('rh-b');
    } finally {
      admin.disconnect();
    }
  });

  it('Reaper › a parked session whose hash has already expired is still reaped on time: name and room freed, peers told', async () => {
    const redis = await startRedis();
    const server = await startServer({ PARLEY_REDIS_URL: redis.url, PARLEY_GRACE_S: '2' });
    const admin = new Redis(redis.url);
    try {
      const a = await connectClient(server.wsUrl);
      await a.hello('rh-exp');
      const b = await connectClient(server.wsUrl);
      await b.hello('rh-peer');
      for (const c of [a, b]) {
        c.send({ type: 'room.join', room: 'rh-room' });
        await c.next('room.joined');
      }
      a.ws.terminate();
      const parked = await until(
        async () => {
          const members = await admin.zrange('parley:parked', 0, -1);
          return members.length === 1 ? members[0] : undefined;
        },
        { what: 'the session parked in Redis' },
      );
      assert.ok(parked.endsWith('\nrh-exp'), 'the parked member carries the name');
      const token = parked.split('\n')[0]!;
      // What Redis does when the hash's expiry passes before anyone reaps it.
      assert.equal(await admin.del(`parley:sess:${token}`), 1, 'the session hash existed');
      const droppedAt = Date.now();
      const left = await b.next('peer.left', { timeoutMs: 6000 });
      assert.deepEqual([left.room, left.name, left.reason], ['rh-room', 'rh-exp', 'gone']);
      const after = Date.now() - droppedAt;
      assert.equal(await admin.exists('parley:name:rh-exp'), 0, 'the name is free');
      assert.equal(await admin.sismember('parley:names', 'rh-exp'), 0, 'not listed online');
      assert.deepEqual(await admin.smembers('parley:room:rh-room'), ['rh-peer'], 'the room lost it');
      assert.equal(await admin.zcard('parley:parked'), 0);
      const again = await connectClient(server.wsUrl);
      await again.hello('rh-exp');
      console.log(`# expired hash: peer.left ${after} ms after the hash was dropped (grace 2 s)`);
    } finally {
      admin.disconnect();
    }
  });
});
