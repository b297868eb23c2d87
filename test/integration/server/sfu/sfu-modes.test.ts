// @needs janus
/**
 * How a room's mode is decided, on a real server with a real Janus: a room created with
 * `room.join {mode:'sfu'}` is an SFU room at once and stays one; the requested mode is ignored
 * when the join does not create the room (or the server has no SFU); a room that grew into SFU
 * goes back to mesh only after its membership stayed below the threshold for
 * PARLEY_SFU_SHRINK_DELAY_S, and grows again past the threshold.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { JanusClient } from '../../../../packages/server/src/sfu/janus-client.ts';
import { roomIdFor } from '../../../../packages/server/src/sfu/janus-rooms.ts';
import { fakePublisherOffer } from '../../../helpers/fake-sdp.ts';
import { janusEnv, startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { until } from '../../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../../helpers/ws-client.ts';

const SHRINK_S = 1;
/** How long a negative check waits: well past the shrink delay. */
const QUIET_MS = SHRINK_S * 2500;

describe('SFU room modes (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  /** A server whose grown rooms shrink back after SHRINK_S. */
  let shrinking: ParleyServer;
  let roomSeq = 0;

  before(async () => {
    janus = await startJanus();
    server = await startServer({
      ...janusEnv(janus),
    });
    shrinking = await startServer({
      ...janusEnv(janus),
      PARLEY_SFU_SHRINK_DELAY_S: String(SHRINK_S),
    });
    await until(async () => (await server.health()).sfu === 'ok' && (await shrinking.health()).sfu === 'ok', {
      what: 'both servers to reach Janus',
      timeoutMs: 15_000,
      intervalMs: 50,
    });
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllServers();
    await janus?.close();
  });

  async function join(name: string, room: string, mode?: 'mesh' | 'sfu', on = server) {
    const c = await connectClient(on.wsUrl);
    await c.hello(name);
    c.send({ type: 'room.join', room, ...(mode ? { mode } : {}) });
    return { c, mode: (await c.next('room.joined')).mode };
  }

  it('SFU › room.join mode sfu by the first member makes an SFU room at once; later joiners get sfu', async () => {
    const room = `start-${++roomSeq}`;
    const first = await join(`s${roomSeq}a`, room, 'sfu');
    assert.equal(first.mode, 'sfu');
    // Alone in the room, the creator can already publish through Janus.
    first.c.send({
      type: 'sfu.publish',
      id: 'p',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await first.c.next('sfu.published', { timeoutMs: 10_000 })).re, 'p');
    const second = await join(`s${roomSeq}b`, room, 'mesh');
    assert.equal(second.mode, 'sfu');
    assert.equal((await server.directory.sfuPlacement(room))?.fromStart, true);
    assert.equal(first.c.frames.filter((f) => f.type === 'room.mode').length, 0);
  });

  it('SFU › mode sfu is ignored when the join does not create the room; the reply tells the real mode', async () => {
    const room = `late-${++roomSeq}`;
    const first = await join(`l${roomSeq}a`, room);
    assert.equal(first.mode, 'mesh');
    const second = await join(`l${roomSeq}b`, room, 'sfu');
    assert.equal(second.mode, 'mesh');
    assert.equal(await server.directory.sfuPlacement(room), undefined);
    // Rejoining an existing room with mode sfu does not change it either.
    first.c.send({ type: 'room.join', room, mode: 'sfu' });
    assert.equal((await first.c.next('room.joined')).mode, 'mesh');
    assert.equal(first.c.frames.filter((f) => f.type === 'room.mode').length, 0);
  });

  /** `n` members of a fresh room on `on`, the first four having heard of the move to sfu. */
  async function grown(n: number, on: ParleyServer): Promise<{ room: string; clients: TestClient[] }> {
    const room = `grow-${++roomSeq}`;
    const clients: TestClient[] = [];
    for (let i = 0; i < n; i++) clients.push((await join(`g${roomSeq}-${i}`, room, undefined, on)).c);
    for (const c of clients.slice(0, 4))
      assert.equal((await c.next('room.mode', { timeoutMs: 10_000 })).mode, 'sfu');
    return { room, clients };
  }

  const leave = async (c: TestClient, room: string) => {
    c.send({ type: 'room.leave', room });
    await c.next('room.left');
  };
  const modes = (c: TestClient) => c.frames.filter((f) => f.type === 'room.mode');

  it('SFU › a grown room stays sfu at the threshold, goes back to mesh only after the delay below it, and grows again', async () => {
    const { room, clients } = await grown(5, shrinking);
    const pair = [(await join(`pair${roomSeq}a`, `pair-${roomSeq}`, undefined, shrinking)).c];
    pair.push((await join(`pair${roomSeq}b`, `pair-${roomSeq}`, undefined, shrinking)).c);
    clients[0]!.send({
      type: 'sfu.publish',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    await clients[0]!.next('sfu.published', { timeoutMs: 10_000 });
    assert.equal(await janusRoomExists(janus, room), true);
    // 4 members = the threshold: no shrink, however long.
    await leave(clients.pop()!, room);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    for (const c of clients) assert.deepEqual(modes(c), []);
    assert.ok(await shrinking.directory.sfuPlacement(room));
    // 3 members: back to mesh once the delay is over, not before.
    await leave(clients.pop()!, room);
    const below = Date.now();
    for (const c of clients) {
      assert.deepEqual(await c.next('room.mode', { timeoutMs: 10_000 }), {
        type: 'room.mode',
        room,
        mode: 'mesh',
      });
    }
    const after = Date.now() - below;
    console.log(
      `# room.mode mesh ${after} ms after the room fell below the threshold (delay ${SHRINK_S * 1000} ms)`,
    );
    assert.ok(after >= SHRINK_S * 1000 - 20, `shrunk after ${after} ms`);
    assert.equal(await shrinking.directory.sfuPlacement(room), undefined);
    assert.equal(await janusRoomExists(janus, room), false);
    clients[0]!.send({
      type: 'sfu.publish',
      id: 'mesh',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await clients[0]!.next('error', { timeoutMs: 10_000 })).code, 'SFU_UNAVAILABLE');
    // Growing past the threshold again moves it to sfu again.
    clients.push((await join(`g${roomSeq}-again1`, room, undefined, shrinking)).c);
    const fifth = await join(`g${roomSeq}-again2`, room, undefined, shrinking);
    assert.equal(fifth.mode, 'sfu');
    for (const c of clients) assert.equal((await c.next('room.mode', { timeoutMs: 10_000 })).mode, 'sfu');
    fifth.c.send({
      type: 'sfu.publish',
      id: 'back',
      room,
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await fifth.c.next('sfu.published', { timeoutMs: 10_000 })).re, 'back');
    // The mesh pair next door heard nothing of it.
    for (const c of pair) assert.deepEqual(modes(c), []);
  });

  it('SFU › a dip below the threshold that recovers within the delay does not shrink the room', async () => {
    const { room, clients } = await grown(5, shrinking);
    await leave(clients.pop()!, room);
    await leave(clients.pop()!, room);
    clients.push((await join(`g${roomSeq}-back`, room, undefined, shrinking)).c);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    for (const c of clients) assert.deepEqual(modes(c), []);
    assert.ok(await shrinking.directory.sfuPlacement(room));
  });

  it('SFU › a room created as SFU never shrinks; with the default delay a grown room is still sfu meanwhile', async () => {
    const room = `born-${++roomSeq}`;
    const a = await join(`b${roomSeq}a`, room, 'sfu', shrinking);
    const b = await join(`b${roomSeq}b`, room, undefined, shrinking);
    assert.deepEqual([a.mode, b.mode], ['sfu', 'sfu']);
    await leave(b.c, room);
    // The default server (15 s delay) keeps a grown room that fell to 3 members in sfu meanwhile.
    const def = await grown(5, server);
    await leave(def.clients.pop()!, def.room);
    await leave(def.clients.pop()!, def.room);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.deepEqual(modes(a.c), []);
    assert.equal((await shrinking.directory.sfuPlacement(room))?.fromStart, true);
    for (const c of def.clients) assert.deepEqual(modes(c), []);
    assert.ok(await server.directory.sfuPlacement(def.room));
  });
});

describe('SFU room modes without Janus', () => {
  after(stopAllServers);
  afterEach(closeAllClients);

  it('SFU › without PARLEY_JANUS_URL room.join mode sfu makes a plain room (no mode in the reply)', async () => {
    const server = await startServer();
    const c = await connectClient(server.wsUrl);
    await c.hello('nosfu');
    c.send({ type: 'room.join', room: 'r', mode: 'sfu' });
    assert.equal((await c.next('room.joined')).mode, undefined);
  });
});

/** Whether `room`'s Janus room exists on `janus`. */
async function janusRoomExists(janus: TestJanus, room: string): Promise<boolean> {
  const client = await JanusClient.connect(janus.wsUrl, {
    apiSecret: janus.apiSecret,
    requestTimeoutMs: 5000,
  });
  try {
    const h = await (await client.createSession()).attach();
    return (await h.message({ request: 'exists', room: roomIdFor(room) })).data.exists === true;
  } finally {
    client.close();
  }
}
