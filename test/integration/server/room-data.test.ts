/**
 * `room.data` (issue 24, large rooms): app channel messages relayed by the server to every other
 * member, with the sender stamped by the server, per-sender rates of their own, and lossy parts
 * dropped (never queued) for a recipient that is away. The stranger table of docs/PROTOCOL.md
 * "Room data" is tested here.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ROOM_DATA_LIMITS } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

describe('room.data', () => {
  let server: ParleyServer;
  let seq = 0;
  before(async () => {
    server = await startServer({
      PARLEY_ROOM_DATA_PER_S: '1',
      PARLEY_ROOM_DATA_BURST: '20',
      // The general buckets are small: room data must not count against them.
      PARLEY_RATE_BURST: '10',
      PARLEY_RATE_PER_S: '5',
      PARLEY_GRACE_S: '30',
    });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  /** A member of `room`, joined. */
  async function member(room: string, tag = 'rd'): Promise<[TestClient, string, string]> {
    const c = await connectClient(server.wsUrl);
    const name = `${tag}${++seq}`;
    const w = await c.hello(name);
    c.send({ type: 'room.join', room });
    await c.next('room.joined');
    return [c, name, w.session];
  }

  /** A round trip, so everything sent before it was handled. */
  async function sync(c: TestClient): Promise<void> {
    c.send({ type: 'ping', id: `sync${++seq}` });
    await c.next('pong');
  }

  const count = (c: TestClient) => c.frames.filter((f) => f.type === 'room.data').length;

  it('reaches every other member, from stamped by the server, parts and flags kept; not the sender', async () => {
    const room = `rd-room${++seq}`;
    const [a, an] = await member(room);
    const [b] = await member(room);
    const [c] = await member(room);
    a.send({ type: 'room.data', room, label: 'game', data: 'j{"x":1}', lossy: true });
    a.send({ type: 'room.data', room, label: 'bin', data: 'AAEC', bin: true, more: true });
    a.send({ type: 'room.data', room, label: 'bin', data: 'Aw==', bin: true, part: 1 });
    for (const r of [b, c]) {
      const m1 = await r.next('room.data');
      assert.deepEqual(
        { from: m1.from, label: m1.label, data: m1.data, lossy: m1.lossy, room: m1.room },
        { from: an, label: 'game', data: 'j{"x":1}', lossy: true, room },
      );
      const m2 = await r.next('room.data');
      assert.deepEqual([m2.bin, m2.more, m2.part, m2.data], [true, true, undefined, 'AAEC']);
      const m3 = await r.next('room.data');
      assert.deepEqual([m3.part, m3.more, m3.data], [1, undefined, 'Aw==']);
    }
    await sync(a);
    assert.equal(count(a), 0, 'the sender does not get its own data back');
  });

  it('refuses a spoofed from, huge or deep data, non-base64 binary and bad labels with BAD_MESSAGE; nobody hears them', async () => {
    const room = `rd-bad${++seq}`;
    const [a] = await member(room);
    const [b, bn] = await member(room);
    const bad = [
      { type: 'room.data', room, label: 'x', data: 'sspoof', from: bn },
      { type: 'room.data', room, label: 'x', data: 's'.repeat(ROOM_DATA_LIMITS.partMaxChars + 1) },
      { type: 'room.data', room, label: 'x', data: [[[[['deep']]]]] },
      { type: 'room.data', room, label: 'x', data: 'not base64!', bin: true },
      { type: 'room.data', room, label: '', data: 'sx' },
      { type: 'room.data', room, label: 'l'.repeat(ROOM_DATA_LIMITS.labelMaxChars + 1), data: 'sx' },
      { type: 'room.data', room, label: 'x', data: 'sx', part: ROOM_DATA_LIMITS.partsMax },
      { type: 'room.data', room, label: 'x', data: 'sx', lossy: false },
    ];
    for (const [i, msg] of bad.entries()) {
      a.send({ ...msg, id: `bad${i}` });
      const e = await a.next('error');
      assert.equal(e.code, 'BAD_MESSAGE', JSON.stringify(msg).slice(0, 80));
      assert.equal(e.re, `bad${i}`);
    }
    // A frame over the frame limit is TOO_LARGE before anything else.
    a.sendRaw(`{"type":"room.data","room":"${room}","label":"x","data":"${'s'.repeat(70_000)}"}`);
    assert.equal((await a.next('error')).code, 'TOO_LARGE');
    // Binary WebSocket frames are garbage to this protocol.
    a.sendRaw(Buffer.from([0x7b, 0xff, 0x00, 0x13, 0x37]), { binary: true });
    assert.ok((await a.next('error')).code);
    await sync(a);
    await sync(b);
    assert.equal(count(b), 0);
  });

  it('a frame that starts as room.data but is another message (a second type key) is refused, not relayed at room data rates', async () => {
    const room = `rd-room${++seq}`;
    const [a] = await member(room);
    const [b, bn] = await member(room);
    // JSON.parse keeps the last `type`: without the check this is a signal charged to room data's
    // buckets (20 at once here, where the general burst is 10).
    for (let i = 0; i < 15; i++) {
      a.sendRaw(`{"type":"room.data","type":"signal","id":"dup${i}","to":"${bn}","data":{"i":${i}}}`);
    }
    for (let i = 0; i < 15; i++) {
      const e = await a.next('error');
      assert.equal(e.code, 'BAD_MESSAGE');
      assert.equal(e.re, `dup${i}`);
    }
    await sync(a);
    await sync(b);
    assert.equal(b.frames.filter((f) => f.type === 'signal').length, 0, 'no signal got through');
  });

  it('only members may send: a stranger and a member after it left (a replay) get NOT_IN_ROOM', async () => {
    const room = `rd-mem${++seq}`;
    const [a] = await member(room);
    const [b] = await member(room);
    const [stranger] = await member(`rd-other${seq}`);
    stranger.send({ type: 'room.data', id: 1, room, label: 'x', data: 'shi' });
    assert.equal((await stranger.next('error')).code, 'NOT_IN_ROOM');
    b.send({ type: 'room.leave', id: 'leave', room });
    await b.next('room.left');
    b.send({ type: 'room.data', id: 2, room, label: 'x', data: 'sagain' });
    assert.equal((await b.next('error')).code, 'NOT_IN_ROOM');
    await sync(a);
    assert.equal(count(a), 0);
  });

  it('any label is relayed (the server keeps no list); receivers without that channel ignore it', async () => {
    const room = `rd-label${++seq}`;
    const [a] = await member(room);
    const [b] = await member(room);
    a.send({ type: 'room.data', room, label: 'never-opened-by-anyone', data: 'sx' });
    assert.equal((await b.next('room.data')).label, 'never-opened-by-anyone');
  });

  it('has its own per-sender rate: the burst passes (past the general burst), one more is RATE_LIMITED, signaling still flows', async () => {
    const room = `rd-rate${++seq}`;
    const [a] = await member(room);
    const [b] = await member(room);
    // 20 frames at once: under PARLEY_ROOM_DATA_BURST, twice PARLEY_RATE_BURST.
    for (let i = 0; i < 20; i++) a.send({ type: 'room.data', room, label: 'flood', data: `s${i}` });
    for (let i = 0; i < 20; i++) assert.equal((await b.next('room.data')).data, `s${i}`, 'in order');
    a.send({ type: 'room.data', room, label: 'flood', data: 'sover' });
    const e = await a.next('error');
    assert.equal(e.code, 'RATE_LIMITED');
    // The general bucket was not touched by room data.
    await sync(a);
    await sync(b);
    assert.equal(count(b), 0, 'the refused one was not relayed');
  });

  it('a member away (in grace) gets the reliable parts on resume, in order; lossy ones are dropped, not queued', async () => {
    const room = `rd-grace${++seq}`;
    const [a, an, token] = await member(room);
    const [b] = await member(room);
    const before = await server.metrics.registry.getSingleMetric('parley_room_data_dropped_total')?.get();
    const dropped0 = before?.values[0]?.value ?? 0;
    const connections = async () =>
      (await server.metrics.registry.getSingleMetric('parley_connections')?.get())?.values[0]?.value;
    const open = await connections();
    a.ws.terminate();
    await until(connections, { what: 'the server saw the drop', accept: (n) => n === (open ?? 0) - 1 });
    b.send({ type: 'room.data', room, label: 'r', data: 's1' });
    b.send({ type: 'room.data', room, label: 'l', data: 'slossy', lossy: true });
    b.send({ type: 'room.data', room, label: 'r', data: 's2' });
    await sync(b);
    const a2 = await connectClient(server.wsUrl);
    assert.equal((await a2.hello(an, { resume: token })).resumed, true);
    assert.equal((await a2.next('room.data')).data, 's1');
    assert.equal((await a2.next('room.data')).data, 's2');
    await sync(a2);
    assert.equal(count(a2), 0, 'the lossy part was not queued');
    const afterDrop = await server.metrics.registry.getSingleMetric('parley_room_data_dropped_total')?.get();
    assert.equal(afterDrop?.values[0]?.value, dropped0 + 1);
  });
});
