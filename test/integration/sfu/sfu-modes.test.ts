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
import { fakePublisherOffer } from '../../helpers/fake-sdp.ts';
import { startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

describe('SFU room modes (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let roomSeq = 0;

  before(async () => {
    janus = await startJanus();
    server = await startServer({
      PARLEY_JANUS_URL: janus.wsUrl,
      PARLEY_JANUS_API_SECRET: janus.apiSecret,
      PARLEY_JANUS_ADMIN_KEY: janus.adminKey,
    });
    await until(async () => (await server.health()).sfu === 'ok');
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

async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
