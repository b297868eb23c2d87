// @needs redis-server, janus
/**
 * SFU rooms across a cluster: two Parley nodes sharing one real Redis, each connected to the same
 * two real Janus instances. Members of one room are split across the nodes; the room's mode and
 * its Janus instance live in the directory, so every member hears `room.mode` and publishes on
 * its own node into the same Janus room. New rooms go to the least loaded instance; when an
 * instance is killed its rooms move to the other one and their members are told to publish again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { RedisDirectory } from '../../../../packages/server/src/directory/redis.ts';
import { JanusClient } from '../../../../packages/server/src/sfu/janus-client.ts';
import { roomIdFor } from '../../../../packages/server/src/sfu/janus-rooms.ts';
import { fakePublisherOffer } from '../../../helpers/fake-sdp.ts';
import { startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { freePort, startRedis, stopAllRedis, type TestRedis } from '../../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';

const apiSecret = randomBytes(18).toString('base64url');
const adminKey = randomBytes(18).toString('base64url');
const SHRINK_S = 1;

describe('SFU cluster (two nodes on one Redis, two real Janus)', () => {
  let redis: TestRedis;
  let j1: TestJanus;
  let j2: TestJanus;
  let nodes: [ParleyServer, ParleyServer];
  let roomSeq = 0;

  before(async () => {
    redis = await startRedis();
    [j1, j2] = await Promise.all([startJanus({ apiSecret, adminKey }), startJanus({ apiSecret, adminKey })]);
    const env = {
      PARLEY_REDIS_URL: redis.url,
      PARLEY_NODE_TTL_S: '2',
      // Clients closed after a test leave their rooms at once (no resume grace), so each test
      // starts from empty Janus instances.
      PARLEY_GRACE_S: '0',
      PARLEY_JANUS_URL: `${j1.wsUrl},${j2.wsUrl}`,
      PARLEY_JANUS_API_SECRET: apiSecret,
      PARLEY_JANUS_ADMIN_KEY: adminKey,
      PARLEY_SFU_SHRINK_DELAY_S: String(SHRINK_S),
    };
    nodes = [await startServer(env), await startServer(env)];
    await until(async () => (await Promise.all(nodes.map((n) => n.health()))).every((h) => h.sfu === 'ok'), {
      what: 'every node to reach Janus',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllServers();
    await Promise.all([j1?.close(), j2?.close()]);
    await stopAllRedis();
  });

  /** A client on `node`, logged in as `name`, in `room` (returns the joined frame's mode too). */
  async function member(node: ParleyServer, name: string, room: string) {
    const c = await connectClient(node.wsUrl);
    await c.hello(name);
    c.send({ type: 'room.join', room });
    const joined = await c.next('room.joined');
    return { c, mode: joined.mode };
  }

  /** Names of the participants of `room`'s Janus room on `janus` (undefined: no such room). */
  async function janusParticipants(janus: TestJanus, room: string): Promise<string[] | undefined> {
    const client = await JanusClient.connect(janus.wsUrl, { apiSecret, requestTimeoutMs: 5000 });
    try {
      const h = await (await client.createSession()).attach();
      const exists = await h.message({ request: 'exists', room: roomIdFor(room) });
      if (exists.data.exists !== true) return undefined;
      const list = await h.message({ request: 'listparticipants', room: roomIdFor(room) });
      return (list.data.participants as { display: string }[]).map((p) => p.display).sort();
    } finally {
      client.close();
    }
  }

  /** Publishes a (hand-made) offer for `c` in `room` and waits for the answer. */
  async function publish(c: TestClient, room: string, id: string): Promise<void> {
    c.send({ type: 'sfu.publish', id, room, description: { type: 'offer', sdp: fakePublisherOffer() } });
    const published = await c.next('sfu.published', { timeoutMs: 10_000 });
    assert.equal(published.re, id);
  }

  for (const fifthOn of [0, 1] as const) {
    it(`SFU cluster › members split across nodes all move to sfu when the 5th joins on node ${fifthOn + 1}, and publish into one Janus room`, async () => {
      const room = `split-${++roomSeq}`;
      const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `${n}${roomSeq}`);
      const clients: TestClient[] = [];
      for (let i = 0; i < 4; i++) {
        const { c, mode } = await member(nodes[i % 2]!, names[i]!, room);
        assert.equal(mode, 'mesh');
        clients.push(c);
      }
      const fifth = await member(nodes[fifthOn], names[4]!, room);
      assert.equal(fifth.mode, 'sfu');
      for (const c of clients) {
        assert.deepEqual(await c.next('room.mode', { timeoutMs: 10_000 }), {
          type: 'room.mode',
          room,
          mode: 'sfu',
        });
      }
      clients.push(fifth.c);
      // Both nodes read the same placement.
      const [pa, pb] = await Promise.all(nodes.map((n) => n.directory.sfuPlacement(room)));
      assert.ok(pa);
      assert.deepEqual(pa, pb);
      // Every member publishes and subscribes through its own node.
      await Promise.all(clients.map((c, i) => publish(c, room, `pub-${i}`)));
      for (const [i, c] of clients.entries()) {
        c.send({ type: 'sfu.subscribe', id: `sub-${i}`, room, feeds: names });
        assert.equal((await c.next('ack', { timeoutMs: 10_000 })).re, `sub-${i}`);
      }
      // All five joined the Janus room on the placed instance; the other instance has no such room.
      const [placed, other] = pa.janus === j1.wsUrl ? [j1, j2] : [j2, j1];
      assert.deepEqual(await janusParticipants(placed, room), [...names].sort());
      assert.equal(await janusParticipants(other, room), undefined);
      // Each member was told of the move exactly once (one node won the placement).
      for (const c of clients) assert.equal(c.frames.filter((f) => f.type === 'room.mode').length, 0);
    });
  }

  it('SFU cluster › the 5th and 6th joining at once on different nodes: one placement, each member told once', async () => {
    const room = `race-${++roomSeq}`;
    const clients: TestClient[] = [];
    for (let i = 0; i < 4; i++) clients.push((await member(nodes[i % 2]!, `r${roomSeq}-${i}`, room)).c);
    const [e, f] = await Promise.all([
      member(nodes[0], `r${roomSeq}-4`, room),
      member(nodes[1], `r${roomSeq}-5`, room),
    ]);
    assert.equal(e.mode, 'sfu');
    assert.equal(f.mode, 'sfu');
    for (const c of clients) await c.next('room.mode', { timeoutMs: 10_000 });
    // A round trip through both nodes after the move, then no second room.mode is pending.
    await publish(e.c, room, 'e');
    await publish(f.c, room, 'f');
    for (const c of clients) assert.equal(c.frames.filter((x) => x.type === 'room.mode').length, 0);
    assert.equal((await nodes[0].directory.sfuRooms()).filter((x) => x.room === room).length, 1);
  });

  it('SFU cluster › shrinking checks the cluster-wide count: a dip on one node refilled on the other keeps sfu; a lasting one goes to mesh everywhere', async () => {
    const room = `shrink-${++roomSeq}`;
    const clients: TestClient[] = [];
    for (let i = 0; i < 5; i++) clients.push((await member(nodes[i % 2]!, `k${roomSeq}-${i}`, room)).c);
    for (const c of clients.slice(0, 4)) await c.next('room.mode', { timeoutMs: 10_000 });
    const leave = async (c: TestClient) => {
      c.send({ type: 'room.leave', room });
      await c.next('room.left');
    };
    // Members 4 and 2 are on node 1: it sees the room fall to 3 and starts its delay ...
    await leave(clients.splice(4, 1)[0]!);
    await leave(clients.splice(2, 1)[0]!);
    // ... and a join on node 2 brings it back to 4 before the delay is over.
    clients.push((await member(nodes[1], `k${roomSeq}-back`, room)).c);
    await new Promise((r) => setTimeout(r, SHRINK_S * 2500));
    for (const c of clients) assert.equal(c.frames.filter((f) => f.type === 'room.mode').length, 0);
    assert.ok(await nodes[0].directory.sfuPlacement(room));
    // Now a member on node 2 leaves: 3 for good, and every member, on both nodes, gets mesh.
    await leave(clients.pop()!);
    for (const c of clients) {
      assert.deepEqual(await c.next('room.mode', { timeoutMs: 10_000 }), {
        type: 'room.mode',
        room,
        mode: 'mesh',
      });
    }
    assert.equal(await nodes[1].directory.sfuPlacement(room), undefined);
    assert.equal(await janusParticipants(j1, room), undefined);
    assert.equal(await janusParticipants(j2, room), undefined);
  });

  it('SFU cluster › a node starting leaves rooms on instances it has not reached yet alone, and places rooms marked down', async () => {
    const dir = nodes[0].directory;
    // An instance nobody can reach (nothing listens there), and two rooms in the directory: one
    // placed on it, one waiting for any instance (down).
    const unreached = `ws://127.0.0.1:${await freePort()}`;
    const seq = ++roomSeq;
    for (const room of [`a-unreached-${seq}`, `z-down-${seq}`]) {
      await dir.joinRoom(room, `ghost-${room}`, { maxPeers: 10 });
    }
    await dir.sfuPlace(`a-unreached-${seq}`, {
      janus: unreached,
      fromStart: true,
      epoch: `u${seq}`,
      down: false,
    });
    await dir.sfuPlace(`z-down-${seq}`, { janus: unreached, fromStart: true, epoch: `d${seq}`, down: true });
    const late = await startServer({
      PARLEY_REDIS_URL: redis.url,
      PARLEY_NODE_TTL_S: '2',
      PARLEY_JANUS_URL: `${j1.wsUrl},${unreached}`,
      PARLEY_JANUS_API_SECRET: apiSecret,
      PARLEY_JANUS_ADMIN_KEY: adminKey,
    });
    // Its pass over the rooms once j1 is up moves the down room (the last one in order) ...
    await until(async () => (await dir.sfuPlacement(`z-down-${seq}`))?.janus === j1.wsUrl, {
      what: `z-down-${seq} placed on the first Janus`,
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    // ... and has left the one on the instance it never reached where it was.
    assert.deepEqual(await dir.sfuPlacement(`a-unreached-${seq}`), {
      janus: unreached,
      fromStart: true,
      epoch: `u${seq}`,
      down: false,
    });
    await late.close();
    for (const room of [`a-unreached-${seq}`, `z-down-${seq}`]) await dir.leaveRoom(room, `ghost-${room}`);
  });

  it('SFU cluster › a dead node’s members reaped: a grown room left small goes back to mesh, an emptied one loses its Janus room', async () => {
    // A third "node" that holds two members in each room and then dies (stops its heartbeat
    // without leaving anything, as a crash would); the two real nodes reap it.
    const dying = await RedisDirectory.connect({ url: redis.url, nodeTtlMs: 2000 });
    try {
      const node = `dying-${++roomSeq}`;
      await dying.attachNode(node, { deliver: () => false, presence: () => {} });
      const grownRoom = `reap-grown-${roomSeq}`;
      const bornRoom = `reap-born-${roomSeq}`;
      // Born: created as sfu by a member on node 2, who publishes (so its Janus room exists).
      const born = await connectClient(nodes[1].wsUrl);
      await born.hello(`born${roomSeq}`);
      born.send({ type: 'room.join', room: bornRoom, mode: 'sfu' });
      assert.equal((await born.next('room.joined')).mode, 'sfu');
      await publish(born, bornRoom, 'born');
      for (const g of [`ghost${roomSeq}a`, `ghost${roomSeq}b`]) {
        assert.equal(await dying.claimName(g, node), true);
        await dying.joinRoom(grownRoom, g, { maxPeers: 10 });
        await dying.joinRoom(bornRoom, g, { maxPeers: 10 });
      }
      // ... then leaves: only the ghosts are left in it.
      born.send({ type: 'room.leave', room: bornRoom });
      await born.next('room.left');
      const janusOf = (await nodes[0].directory.sfuPlacement(bornRoom))!.janus === j1.wsUrl ? j1 : j2;
      assert.deepEqual(await janusParticipants(janusOf, bornRoom), []);
      // Grown: two ghosts and three real members, the 5th joining moves it to sfu.
      const real: TestClient[] = [];
      for (let i = 0; i < 3; i++)
        real.push((await member(nodes[i % 2]!, `alive${roomSeq}-${i}`, grownRoom)).c);
      assert.equal((await nodes[0].directory.sfuPlacement(grownRoom))?.fromStart, false);
      for (const c of real.slice(0, 2)) await c.next('room.mode', { timeoutMs: 10_000 });

      // The third node dies (its heartbeat stops; it leaves nothing) and the real nodes reap it.
      await dying.close();
      const diedAt = Date.now();
      // Three real members left in the grown room: mesh after the shrink delay, on both nodes.
      for (const c of real) {
        assert.deepEqual(await c.next('room.mode', { timeoutMs: 15_000 }), {
          type: 'room.mode',
          room: grownRoom,
          mode: 'mesh',
        });
      }
      console.log(
        `# reaped room back to mesh ${Date.now() - diedAt} ms after the node died (TTL 2 s, delay ${SHRINK_S} s)`,
      );
      // The born room emptied: no placement, and no Janus room left behind.
      assert.equal(await nodes[0].directory.sfuPlacement(bornRoom), undefined);
      await until(async () => (await janusParticipants(janusOf, bornRoom)) === undefined, {
        what: 'the room gone from Janus',
        timeoutMs: 20_000,
        intervalMs: 50,
      });
    } finally {
      await dying.close();
    }
  });

  it('SFU cluster › new rooms go to the least loaded Janus; a killed Janus’s rooms move to the other, members re-publish there', async () => {
    // Rooms of earlier tests are gone (their clients closed, no grace): both instances idle.
    const dir = nodes[0].directory;
    await until(async () => (await dir.sfuRooms()).length === 0, {
      what: 'no SFU rooms left in the directory',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    const rooms: { room: string; clients: TestClient[] }[] = [];
    const placements: string[] = [];
    for (const size of [6, 5, 5]) {
      const room = `load-${++roomSeq}`;
      const clients: TestClient[] = [];
      for (let i = 0; i < size; i++) clients.push((await member(nodes[i % 2]!, `L${roomSeq}-${i}`, room)).c);
      // The first four heard of the move to sfu when the 5th joined.
      for (const c of clients.slice(0, 4)) await c.next('room.mode', { timeoutMs: 10_000 });
      placements.push((await dir.sfuPlacement(room))!.janus);
      rooms.push({ room, clients });
    }
    // Loads 0/0 → j1 (a tie goes to the first listed); 6/0 → j2; 6/5 → j2 again (not round robin).
    assert.deepEqual(placements, [j1.wsUrl, j2.wsUrl, j2.wsUrl]);
    console.log(`# placements by load: ${placements.map((u) => (u === j1.wsUrl ? 'j1' : 'j2')).join(', ')}`);
    // A bystander mesh pair on the cluster.
    const pairRoom = `pair-${++roomSeq}`;
    const p1 = await member(nodes[0], `pair${roomSeq}a`, pairRoom);
    const p2 = await member(nodes[1], `pair${roomSeq}b`, pairRoom);
    assert.deepEqual([p1.mode, p2.mode], ['mesh', 'mesh']);

    // Kill the instance holding the first room: its rooms move to the other one.
    const victim = placements[0] === j1.wsUrl ? j1 : j2;
    const survivor = victim === j1 ? j2 : j1;
    const moved = rooms.filter((_, i) => placements[i] === victim.wsUrl);
    const stayed = rooms.filter((_, i) => placements[i] !== victim.wsUrl);
    for (const { room, clients } of moved) await publish(clients[0]!, room, 'before');
    const killedAt = Date.now();
    await victim.stop();
    for (const { room, clients } of moved) {
      for (const c of clients) {
        assert.deepEqual(await c.next('room.mode', { timeoutMs: 15_000 }), {
          type: 'room.mode',
          room,
          mode: 'sfu',
        });
      }
      assert.equal((await dir.sfuPlacement(room))?.janus, survivor.wsUrl);
    }
    console.log(`# rooms moved off the killed Janus: members told ${Date.now() - killedAt} ms after SIGKILL`);
    await until(async () => (await nodes[0].health()).sfu === 'unreachable', {
      what: 'node 0 to report its Janus unreachable',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    // /metrics: the instance gauges, and every SFU room now counted on the survivor.
    const metrics = await (await fetch(`${nodes[0].url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^parley_sfu_instance_up\\{janus="${victim.wsUrl}"\\} 0$`, 'm'));
    assert.match(metrics, new RegExp(`^parley_sfu_instance_up\\{janus="${survivor.wsUrl}"\\} 1$`, 'm'));
    const sfuRooms = (await dir.sfuRooms()).length;
    assert.match(metrics, new RegExp(`^parley_sfu_rooms\\{janus="${survivor.wsUrl}"\\} ${sfuRooms}$`, 'm'));
    assert.match(metrics, new RegExp(`^parley_sfu_rooms\\{janus="${victim.wsUrl}"\\} 0$`, 'm'));
    assert.match(metrics, /^# TYPE parley_sfu_members gauge$/m);
    // Members of moved rooms publish again, on both nodes, into the survivor.
    for (const { room, clients } of moved) {
      await Promise.all(clients.map((c, i) => publish(c, room, `again-${i}`)));
      assert.equal((await janusParticipants(survivor, room))?.length, clients.length);
      for (const c of clients)
        assert.deepEqual(
          c.frames.filter((f) => f.type === 'error'),
          [],
        );
      // Told once: of the two nodes that saw the instance go, one moved the room.
      for (const c of clients) assert.equal(c.frames.filter((f) => f.type === 'room.mode').length, 0);
    }
    // Rooms on the survivor were not disturbed; the mesh pair heard nothing of it.
    for (const { clients } of stayed)
      for (const c of clients) assert.equal(c.frames.filter((f) => f.type === 'room.mode').length, 0);
    for (const p of [p1.c, p2.c])
      assert.equal(p.frames.filter((f) => f.type === 'room.mode' || f.type === 'error').length, 0);
    p1.c.send({ type: 'signal', to: `pair${roomSeq}b`, data: { hello: 1 } });
    assert.deepEqual((await p2.c.next('signal')).data, { hello: 1 });

    await victim.restart();
    await until(async () => (await Promise.all(nodes.map((n) => n.health()))).every((h) => h.sfu === 'ok'), {
      what: 'every node to reach Janus',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    // Nothing moves back by itself: the moved rooms stay where they are.
    for (const { room } of moved) assert.equal((await dir.sfuPlacement(room))?.janus, survivor.wsUrl);
  });
});
