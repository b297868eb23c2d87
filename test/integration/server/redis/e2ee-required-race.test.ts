// @needs redis-server
/**
 * The E2EE requirement has no window (issue 22): a creator's `room.join {e2ee, requireE2ee}` and a
 * plain `room.join` for the same new room, sent at the same moment, never end with the plain
 * joiner inside a room that requires encryption. The requirement is stored by the step that
 * creates the room (the directory's join, one Lua script in Redis), so either the plain joiner
 * created the room first (then nothing is required and the creator is told so) or it is refused.
 * Run against the in-memory directory and against two nodes sharing a real redis-server (creator
 * on one, plain joiner on the other).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';
import { type ParleyNode, startNode, stopAllNodes } from './parley-node.ts';

const ROUNDS = 30;

interface Reply {
  type: string;
  re?: unknown;
  code?: string;
  reason?: string;
  e2ee?: string;
}

async function client(url: string, name: string): Promise<TestClient> {
  const c = await connectClient(url);
  await c.hello(name);
  return c;
}

/** Sends `msg` as request `id`; answers the reply (`room.joined` or `error`) to it. */
async function ask(c: TestClient, id: string, msg: Record<string, unknown>): Promise<Reply> {
  c.send({ id, ...msg });
  for (;;) {
    const f = (await c.next()) as Reply;
    if (f.re === id) return f;
  }
}

/**
 * `ROUNDS` new rooms, each raced by an encrypting creator on `creatorUrl` and a plain joiner on
 * `plainUrl`; answers how the races ended (`required` / `plain-first`), failing on a plain member
 * of a required room.
 */
async function race(creatorUrl: string, plainUrl: string, tag: string): Promise<Record<string, number>> {
  const creator = await client(creatorUrl, `${tag}-creator`);
  const plain = await client(plainUrl, `${tag}-plain`);
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < ROUNDS; i++) {
    const room = `${tag}-race-${i}`;
    const [c, p] = await Promise.all([
      ask(creator, `c${i}`, { type: 'room.join', room, e2ee: true, requireE2ee: true }),
      ask(plain, `p${i}`, { type: 'room.join', room }),
    ]);
    assert.equal(c.type, 'room.joined', `creator joined ${room}`);
    if (c.e2ee === 'required') {
      assert.deepEqual([p.type, p.code, p.reason], ['error', 'FORBIDDEN', 'e2ee_required'], room);
      outcomes.required = (outcomes.required ?? 0) + 1;
    } else {
      // The plain joiner created the room first: the creator's requirement was ignored, and said so.
      assert.equal(p.type, 'room.joined', room);
      outcomes['plain-first'] = (outcomes['plain-first'] ?? 0) + 1;
    }
    // A third, plain, joiner afterwards agrees with the creator's reply.
    const late = await ask(plain, `l${i}`, { type: 'room.join', room });
    if (c.e2ee === 'required') assert.equal(late.reason, 'e2ee_required', room);
    else assert.equal(late.type, 'room.joined', room);
    // Out again, under the per-session room limit.
    await ask(creator, `cl${i}`, { type: 'room.leave', room });
    if (late.type === 'room.joined') await ask(plain, `pl${i}`, { type: 'room.leave', room });
  }
  return outcomes;
}

describe('E2EE requirement race › in memory', () => {
  let server: ParleyServer;
  before(async () => {
    server = await startServer({ PARLEY_RATE_PER_S: '100000', PARLEY_RATE_BURST: '100000' });
  });
  after(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('a plain join racing the creating join is refused or came first, never inside a required room', async () => {
    const outcomes = await race(server.wsUrl, server.wsUrl, 'mem');
    assert.ok(
      (outcomes.required ?? 0) > 0,
      `some races were won by the creator: ${JSON.stringify(outcomes)}`,
    );
  });
});

describe('E2EE requirement race › two Redis nodes', () => {
  let redis: TestRedis;
  let n1: ParleyNode;
  let n2: ParleyNode;
  before(async () => {
    redis = await startRedis();
    [n1, n2] = await Promise.all([startNode('race-1', redis.url), startNode('race-2', redis.url)]);
  });
  after(async () => {
    await closeAllClients();
    await stopAllNodes();
    await redis.stop();
  });

  it('a plain join on another node racing the creating join is refused or came first', async () => {
    const outcomes = await race(n1.wsUrl, n2.wsUrl, 'rds');
    assert.ok(
      (outcomes.required ?? 0) > 0,
      `some races were won by the creator: ${JSON.stringify(outcomes)}`,
    );
  });
});
