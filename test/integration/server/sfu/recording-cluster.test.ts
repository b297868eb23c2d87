// @needs redis-server, janus, janus-tools, ffmpeg
/**
 * Recording across a cluster: two Parley nodes sharing one real Redis and one real Janus. The
 * recording runs on the node where it was started, and its mark lives in the room's shared state,
 * so a newcomer on the other node is told the room is recorded (in `room.joined` and with
 * `recording.state`), a second start from the other node is refused, and once stopped a newcomer
 * hears nothing. Post-processing progress reaches the member who started it and every host of the
 * room wherever they are connected, and no one else; its `done` carries signed download links.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { removeDir } from '../../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { startRedis, stopAllRedis, type TestRedis } from '../../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';

describe('recording › across two nodes (real Redis, real Janus)', () => {
  let redis: TestRedis;
  let janus: TestJanus;
  let nodes: [ParleyServer, ParleyServer];
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'parley-rec-cluster-')));

  before(async () => {
    redis = await startRedis();
    janus = await startJanus({ apiSecret: randomBytes(18).toString('base64url') });
    const env = (i: number) => ({
      PARLEY_REDIS_URL: redis.url,
      PARLEY_NODE_TTL_S: '2',
      PARLEY_GRACE_S: '0',
      ...janusEnv(janus),
      PARLEY_RECORDING: 'anyone',
      PARLEY_RECORDINGS_DIR: dirs[i]!,
      PARLEY_RECORDING_MIN_FREE_MB: '1',
    });
    nodes = [await startServer(env(0)), await startServer(env(1))];
    await until(async () => (await Promise.all(nodes.map((n) => n.health()))).every((h) => h.sfu === 'ok'), {
      what: 'both nodes reach Janus',
      timeoutMs: 20_000,
    });
  });
  after(async () => {
    await closeAllClients();
    await stopAllServers();
    await janus?.close();
    await stopAllRedis();
    for (const d of dirs) removeDir(d);
  });

  async function member(node: ParleyServer, name: string, room: string) {
    const c = await connectClient(node.wsUrl);
    await c.hello(name);
    c.send({ type: 'room.join', id: 'j', room, mode: 'sfu' });
    const joined = await c.next('room.joined');
    return { c, joined };
  }

  /** Every frame of `type` `c` has received so far (without consuming others). */
  const seen = (c: TestClient, type: string) =>
    c.frames.filter((m) => m.type === type) as unknown as Record<string, unknown>[];

  it('a newcomer on the other node is told, a second start there is refused, and a stop clears it; progress reaches the starter and every host', async () => {
    const room = 'xrec';
    const ann = await member(nodes[0], 'x-ann', room); // first in: the room's host
    assert.equal(ann.joined.mode, 'sfu');
    const bob = await member(nodes[1], 'x-bob', room);
    ann.c.send({ type: 'recording.start', id: 's1', room });
    const started = await ann.c.next('recording.started');
    assert.equal(started.re, 's1');
    const state = await bob.c.next('recording.state');
    assert.deepEqual([state.active, state.by], [true, 'x-ann']);

    // A newcomer on the node that is not recording: told in the join reply and by the notice.
    const cy = await member(nodes[1], 'x-cy', room);
    assert.equal(cy.joined.recording, true);
    const told = await cy.c.next('recording.state');
    assert.deepEqual([told.active, told.by], [true, 'x-ann']);

    // A start from the other node while the room is recorded: recording_busy.
    bob.c.send({ type: 'recording.start', id: 's2', room });
    const busy = await bob.c.next('error');
    assert.deepEqual([busy.re, busy.code, busy.reason], ['s2', 'RECORDING_REFUSED', 'recording_busy']);

    ann.c.send({ type: 'recording.stop', id: 'st', room });
    assert.equal((await ann.c.next('recording.stopped')).recording, started.recording);
    for (const c of [bob.c, cy.c]) assert.equal((await c.next('recording.state')).active, false);
    const dan = await member(nodes[1], 'x-dan', room);
    assert.equal(dan.joined.recording, undefined, 'a newcomer after the stop hears nothing');

    // Now bob starts one from node 1: progress goes to bob (starter) and ann (host, node 0).
    bob.c.send({ type: 'recording.start', id: 's3', room });
    const second = await bob.c.next('recording.started');
    await new Promise((r) => setTimeout(r, 1500));
    bob.c.send({ type: 'recording.stop', id: 'st2', room });
    await bob.c.next('recording.stopped');
    const done = (c: TestClient) =>
      seen(c, 'recording.progress').some((p) => p.recording === second.recording && p.stage === 'done');
    const stages = (c: TestClient) => seen(c, 'recording.progress').map((p) => `${p.recording}:${p.stage}`);
    await until(() => done(bob.c) && done(ann.c), {
      what: 'progress done to the starter and the host',
      timeoutMs: 90_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; bob ${stages(bob.c)}; ann ${stages(ann.c)}`);
    });
    // The host's `done` carries signed links: the composite downloads from the recording's node
    // without any token (none is configured).
    const hostDone = seen(ann.c, 'recording.progress').find(
      (p) => p.recording === second.recording && p.stage === 'done',
    ) as { download?: { expires: number; links: { file: string; url: string }[] } };
    const link = hostDone.download?.links.find((l) => l.file === 'composite.webm');
    assert.ok(link, JSON.stringify(hostDone));
    assert.ok(hostDone.download!.expires > Date.now());
    const res = await fetch(`${nodes[1].url}${link.url}`);
    assert.equal(res.status, 200);
    assert.ok((await res.arrayBuffer()).byteLength > 100);
    assert.ok(
      !seen(cy.c, 'recording.progress').length,
      'a member who is neither starter nor host gets no progress',
    );
    assert.ok(!seen(dan.c, 'recording.progress').length);
  });
});
