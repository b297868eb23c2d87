// @needs janus
/**
 * A hostile client against a real server and a real Janus (issue 15, finding 15): it tries to
 * make many Janus rooms, to make Janus probe addresses inside the server's networks (private
 * candidates trickled or hidden in a description, floods of candidates, garbage), to publish
 * where it is not a member and to subscribe to other rooms' feeds. Everything is refused with a
 * stable code, Janus holds only the rooms the limits allow, no STUN check ever reaches the
 * listeners on the host's own address the client pointed Janus at (PARLEY_SFU_BLOCKED_CANDIDATES;
 * this machine's only non-loopback address is in a public range, and Janus sends nothing to
 * loopback, so private ranges are proven by the unit tests and the counters here), and a
 * bystander's SFU room keeps working.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ErrorCode } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { WebSocket } from 'ws';
import { SFU_CANDIDATES_MAX } from '../../../../packages/server/src/sfu/candidate-gate.ts';
import { JanusClient } from '../../../../packages/server/src/sfu/janus-client.ts';
import { roomIdFor } from '../../../../packages/server/src/sfu/janus-rooms.ts';
import { fakePublisherOffer } from '../../../helpers/fake-sdp.ts';
import { janusEnv, startJanus, type TestJanus } from '../../../helpers/janus.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { until } from '../../../helpers/wait.ts';
import {
  checkServerFrame,
  closeAllClients,
  connectClient,
  type TestClient,
} from '../../../helpers/ws-client.ts';

const FAST = { PARLEY_RATE_PER_S: '10000', PARLEY_RATE_BURST: '10000' };

/** A UDP socket on `address` that counts every datagram (STUN checks Janus might send). */
async function udpListener(
  address: string,
): Promise<{ port: number; received: () => number; close: () => void }> {
  const sock: Socket = createSocket('udp4');
  let n = 0;
  sock.on('message', () => n++);
  await new Promise<void>((resolve) => sock.bind(0, address, resolve));
  return { port: (sock.address() as AddressInfo).port, received: () => n, close: () => sock.close() };
}

const cand = (address: string, port: number, extra = 'typ host generation 0') =>
  `candidate:1 1 udp 2122260223 ${address} ${port} ${extra}`;

/** A publisher offer carrying `candidates` as a=candidate lines in its first m-section. */
function offerWith(candidates: string[]): string {
  return fakePublisherOffer().replace(
    'a=mid:0\r\n',
    `a=mid:0\r\n${candidates.map((c) => `a=${c}\r\n`).join('')}`,
  );
}

async function reply(c: { frames: unknown[] }, re: string): Promise<{ type: string; code?: ErrorCode }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const i = c.frames.findIndex((f) => (f as { re?: unknown }).re === re);
    if (i >= 0) return c.frames.splice(i, 1)[0] as { type: string; code?: ErrorCode };
    if (Date.now() > deadline) throw new Error(`no reply to ${re}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Janus's view, through its own API: which of our rooms exist, and how many rooms it has. */
async function janusRooms(janus: TestJanus, rooms: string[]): Promise<{ exist: string[]; total: number }> {
  const client = await JanusClient.connect(janus.wsUrl, {
    apiSecret: janus.apiSecret,
    requestTimeoutMs: 5000,
  });
  try {
    const h = await (await client.createSession()).attach();
    const exist: string[] = [];
    for (const room of rooms) {
      if ((await h.message({ request: 'exists', room: roomIdFor(room) })).data.exists === true)
        exist.push(room);
    }
    const list = await h.message({ request: 'list', admin_key: janus.adminKey });
    const total = Array.isArray(list.data.list) ? list.data.list.length : -1;
    return { exist, total };
  } finally {
    client.close();
  }
}

describe('SFU abuse (real Janus)', () => {
  let janus: TestJanus;

  before(async () => {
    janus = await startJanus();
  });
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
  });
  after(async () => {
    await janus?.close();
  });

  /** A server on the test Janus (each test its own: parked sessions stay members for a while). */
  async function sfuServer(env: Record<string, string>): Promise<ParleyServer> {
    const s = await startServer({ ...janusEnv(janus), ...FAST, ...env });
    await until(async () => (await s.health()).sfu === 'ok', {
      what: 'the server to reach Janus',
      timeoutMs: 15_000,
    });
    return s;
  }

  async function client(name: string, on: ParleyServer): Promise<TestClient> {
    const c = await connectClient(on.wsUrl);
    await c.hello(name);
    return c;
  }

  /**
   * Joins `room`; in an SFU room, also makes the server set up the Janus room (it does so on a
   * member's first `sfu.*` request), as a hostile client making rooms would.
   */
  async function join(c: TestClient, room: string, id: string, mode?: 'sfu') {
    c.send({ type: 'room.join', id, room, ...(mode ? { mode } : {}) });
    const r = (await reply(c, id)) as { type: string; code?: ErrorCode; mode?: string };
    if (r.mode === 'sfu') {
      c.send({ type: 'sfu.subscribe', id: `${id}-sub`, room, feeds: [] });
      assert.equal((await reply(c, `${id}-sub`)).type, 'ack');
    }
    return r;
  }

  it('SFU › room creation is bounded per session, per address and in total; Janus holds only those rooms; a bystander room is unaffected', async () => {
    const server = await sfuServer({ PARLEY_SFU_ROOMS_PER_SESSION: '2', PARLEY_SFU_ROOMS_PER_IP: '4' });
    const janusBefore = (await janusRooms(janus, [])).total;
    // A bystander's SFU room, with a publisher. (Every test client comes from 127.0.0.1.)
    const by = await client('ab-by', server);
    assert.equal((await join(by, 'ab-by-room', 'j', 'sfu')).mode, 'sfu');
    by.send({
      type: 'sfu.publish',
      id: 'p1',
      room: 'ab-by-room',
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await reply(by, 'p1')).type, 'sfu.published');

    // One session: 2 SFU rooms, then TOO_MANY_ROOMS, and the refused joins leave nothing behind.
    const m1 = await client('ab-m1', server);
    const tried = Array.from({ length: 12 }, (_, i) => `ab-m-${i}`);
    const outcomes: string[] = [];
    for (const [i, room] of tried.slice(0, 6).entries()) {
      const r = await join(m1, room, `m1-${i}`, 'sfu');
      outcomes.push(r.type === 'error' ? r.code! : r.mode!);
    }
    assert.deepEqual(outcomes, [
      'sfu',
      'sfu',
      'TOO_MANY_ROOMS',
      'TOO_MANY_ROOMS',
      'TOO_MANY_ROOMS',
      'TOO_MANY_ROOMS',
    ]);
    assert.equal(await server.directory.sfuPlacement('ab-m-2'), undefined);
    assert.deepEqual(await server.directory.members('ab-m-2'), [], 'a refused join leaves no member behind');
    // A second session from the same address: one more (4 per address, the bystander's
    // included), then refused.
    const m2 = await client('ab-m2', server);
    outcomes.length = 0;
    for (const [i, room] of tried.slice(6, 9).entries()) {
      const r = await join(m2, room, `m2-${i}`, 'sfu');
      outcomes.push(r.type === 'error' ? r.code! : r.mode!);
    }
    assert.deepEqual(outcomes, ['sfu', 'TOO_MANY_ROOMS', 'TOO_MANY_ROOMS']);
    // Joining existing rooms (or asking for sfu on an existing one) is never refused by these limits.
    const r = await join(m2, 'ab-m-0', 'm2-existing', 'sfu');
    assert.equal(r.mode, 'sfu');

    // Janus has exactly the rooms the limits allowed (4), whatever was asked.
    const seen = await janusRooms(janus, ['ab-by-room', ...tried]);
    assert.deepEqual(seen.exist, ['ab-by-room', 'ab-m-0', 'ab-m-1', 'ab-m-6']);
    assert.equal(seen.total - janusBefore, 4);

    // Leaving gives the quota back: an emptied room is gone from Janus, and another may be made.
    m1.send({ type: 'room.leave', id: 'l1', room: 'ab-m-1' });
    assert.equal((await reply(m1, 'l1')).type, 'room.left');
    assert.equal((await join(m1, 'ab-m-9', 'm1-again', 'sfu')).mode, 'sfu');

    assert.equal((await janusRooms(janus, [])).total - janusBefore, 4);
    const refused = await server.metrics.registry.getSingleMetricAsString('parley_sfu_rooms_refused_total');
    assert.match(refused, /reason="session"\} [1-9]/);
    assert.match(refused, /reason="address"\} [1-9]/);

    // The bystander's room still works: a renegotiation goes through Janus.
    by.send({
      type: 'sfu.publish',
      id: 'p2',
      room: 'ab-by-room',
      description: { type: 'offer', sdp: fakePublisherOffer() },
    });
    assert.equal((await reply(by, 'p2')).type, 'sfu.published');
  });

  it('SFU › past PARLEY_SFU_MAX_ROOMS a new SFU room is SFU_UNAVAILABLE and a growing room stays mesh', async () => {
    const server = await sfuServer({ PARLEY_SFU_MAX_ROOMS: '2', PARLEY_SFU_ROOMS_PER_IP: '100' });
    const janusBefore = (await janusRooms(janus, [])).total;
    const a = await client('an-a', server);
    const b = await client('an-b', server);
    const c = await client('an-c', server);
    assert.equal((await join(a, 'an-0', 'a0', 'sfu')).mode, 'sfu');
    assert.equal((await join(b, 'an-1', 'b0', 'sfu')).mode, 'sfu');
    const full = await join(c, 'an-2', 'c0', 'sfu');
    assert.deepEqual([full.type, full.code], ['error', 'SFU_UNAVAILABLE']);
    assert.deepEqual(await server.directory.members('an-2'), []);
    const growers = await Promise.all([0, 1, 2, 3, 4].map((i) => client(`an-g${i}`, server)));
    const modes: (string | undefined)[] = [];
    for (const [i, g] of growers.entries()) modes.push((await join(g, 'an-grow', `g${i}`)).mode);
    assert.deepEqual(modes, ['mesh', 'mesh', 'mesh', 'mesh', 'mesh']);
    assert.equal((await janusRooms(janus, ['an-2', 'an-grow'])).exist.length, 0);
    assert.equal(
      (await janusRooms(janus, [])).total - janusBefore,
      2,
      'Janus holds PARLEY_SFU_MAX_ROOMS rooms',
    );
    const refused = await server.metrics.registry.getSingleMetricAsString('parley_sfu_rooms_refused_total');
    assert.match(refused, /reason="node"\} [1-9]/);
    // Existing SFU rooms still take members.
    assert.equal((await join(c, 'an-0', 'c1')).mode, 'sfu');
  });

  it('SFU › hostile candidates never reach Janus; floods and garbage are refused; other rooms are out of reach', async () => {
    const host = janus.iceAddress ?? '127.0.0.1';
    const server = await sfuServer({
      PARLEY_SFU_PRIVATE_CANDIDATES: 'drop',
      PARLEY_SFU_BLOCKED_CANDIDATES: `${host}/32`,
    });
    const trickled = await udpListener(host);
    const described = await udpListener(host);
    try {
      const by = await client('ac-by', server);
      assert.equal((await join(by, 'ac-by-room', 'j', 'sfu')).mode, 'sfu');
      by.send({
        type: 'sfu.publish',
        id: 'p',
        room: 'ac-by-room',
        description: { type: 'offer', sdp: fakePublisherOffer() },
      });
      assert.equal((await reply(by, 'p')).type, 'sfu.published');

      const m = await client('ac-m', server);
      // Not a member: publish, subscribe, answer, trickle, configure in the bystander's room.
      const room = 'ac-by-room';
      const offer = { type: 'offer' as const, sdp: fakePublisherOffer() };
      const answer = { type: 'answer' as const, sdp: fakePublisherOffer() };
      for (const [id, frame] of [
        ['x1', { type: 'sfu.publish', room, description: offer }],
        ['x2', { type: 'sfu.subscribe', room, feeds: ['ac-by'] }],
        ['x3', { type: 'sfu.answer', room, description: answer }],
        [
          'x4',
          {
            type: 'sfu.trickle',
            room,
            target: 'publisher',
            candidate: { candidate: cand('10.0.0.1', 5000) },
          },
        ],
        ['x5', { type: 'sfu.configure', room, feed: 'ac-by', substream: 0 }],
        ['x6', { type: 'sfu.unpublish', room }],
      ] as const) {
        m.send({ ...frame, id });
        const e = await reply(m, id);
        assert.deepEqual([e.type, e.code], ['error', 'NOT_IN_ROOM'], id);
      }
      // In its own SFU room: the bystander's feed is not there to take; before any offer there is
      // nothing to answer or trickle to.
      assert.equal((await join(m, 'ac-m-room', 'j', 'sfu')).mode, 'sfu');
      const own = 'ac-m-room';
      m.send({ type: 'sfu.subscribe', id: 's1', room: own, feeds: ['ac-by'] });
      assert.equal((await reply(m, 's1')).type, 'ack');
      m.send({ type: 'sfu.answer', id: 's2', room: own, description: answer });
      assert.equal((await reply(m, 's2')).code, 'FORBIDDEN');
      m.send({
        type: 'sfu.trickle',
        id: 's3',
        room: own,
        target: 'subscriber',
        candidate: { candidate: cand('8.8.8.8', 5000) },
      });
      assert.equal((await reply(m, 's3')).code, 'FORBIDDEN');

      // A publish whose description names a listener on the host: the lines are taken out.
      m.send({
        type: 'sfu.publish',
        id: 'pub',
        room: own,
        description: { type: 'offer', sdp: offerWith([cand(host, described.port), cand('10.9.9.9', 6000)]) },
      });
      assert.equal((await reply(m, 'pub')).type, 'sfu.published');
      // Trickled: the other listener, loopback, private ranges, the metadata address, mDNS and host
      // names, multicast, low ports — all acknowledged and dropped; garbage is BAD_MESSAGE.
      const hostile = [
        cand(host, trickled.port),
        cand('127.0.0.1', trickled.port),
        cand('::1', trickled.port),
        cand('::ffff:127.0.0.1', trickled.port),
        cand('10.0.0.1', 5000),
        cand('192.168.1.1', 5000),
        cand('172.16.5.4', 5000),
        cand('100.64.0.1', 5000),
        cand('169.254.169.254', 5000),
        cand('fe80::1', 5000),
        cand('fd00::1', 5000),
        cand('abcd-ef.local', 5000),
        cand('localhost', trickled.port),
        cand('224.0.0.251', 5353),
        cand('255.255.255.255', 5000),
        cand('203.0.113.9', 22),
      ];
      for (const [i, line] of hostile.entries()) {
        m.send({
          type: 'sfu.trickle',
          id: `h${i}`,
          room: own,
          target: 'publisher',
          candidate: { candidate: line, sdpMid: '0', sdpMLineIndex: 0 },
        });
        assert.equal((await reply(m, `h${i}`)).type, 'ack', line);
      }
      for (const [i, line] of [
        'garbage',
        'candidate:1 1 udp 1 8.8.8.8 70000 typ host',
        `candidate:${'x'.repeat(900)}`,
      ].entries()) {
        m.send({
          type: 'sfu.trickle',
          id: `g${i}`,
          room: own,
          target: 'publisher',
          candidate: { candidate: line },
        });
        assert.equal((await reply(m, `g${i}`)).code, 'BAD_MESSAGE', line.slice(0, 30));
      }
      // A flood: past SFU_CANDIDATES_MAX for the connection, FORBIDDEN (public addresses, so
      // only the count refuses them).
      const codes = new Map<string, number>();
      const flood = SFU_CANDIDATES_MAX + 20;
      for (let i = 0; i < flood; i++) {
        m.send({
          type: 'sfu.trickle',
          id: `f${i}`,
          room: own,
          target: 'publisher',
          candidate: { candidate: cand(`203.0.113.${i % 250}`, 40_000 + i), sdpMid: '0', sdpMLineIndex: 0 },
        });
      }
      for (let i = 0; i < flood; i++) {
        const r = await reply(m, `f${i}`);
        const k = r.code ?? r.type;
        codes.set(k, (codes.get(k) ?? 0) + 1);
      }
      const accepted = SFU_CANDIDATES_MAX - hostile.length - 3;
      assert.deepEqual(Object.fromEntries(codes), { ack: accepted, FORBIDDEN: flood - accepted });

      // Janus had ample time to check every pair it was given (it checks an accepted candidate
      // within a second, see the next test): nothing reached the listeners.
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(trickled.received(), 0, 'no STUN check to the trickled listener');
      assert.equal(described.received(), 0, 'no STUN check to the listener in the description');
      const dropped = await server.metrics.registry.getSingleMetricAsString(
        'parley_sfu_candidates_dropped_total',
      );
      for (const reason of [
        'private',
        'forbidden',
        'blocked',
        'hostname',
        'malformed',
        'too_many',
        'in_description',
      ]) {
        assert.match(dropped, new RegExp(`reason="${reason}"\\} [1-9]`), reason);
      }

      // The bystander is untouched: it publishes again (its hand-made connection never carries
      // media, so Janus may have given up on the first) and trickles a candidate.
      by.send({
        type: 'sfu.publish',
        id: 'bp',
        room: 'ac-by-room',
        description: { type: 'offer', sdp: fakePublisherOffer() },
      });
      assert.equal((await reply(by, 'bp')).type, 'sfu.published');
      by.send({
        type: 'sfu.trickle',
        id: 'bt',
        room: 'ac-by-room',
        target: 'publisher',
        candidate: { candidate: cand('198.51.100.7', 50000), sdpMid: '0', sdpMLineIndex: 0 },
      });
      assert.deepEqual(await reply(by, 'bt'), { type: 'ack', re: 'bt' });
      assert.equal(by.frames.filter((f) => f.type === 'error').length, 0);
    } finally {
      trickled.close();
      described.close();
    }
  });

  it('SFU › PARLEY_SFU_PRIVATE_CANDIDATES=auto (default): private candidates pass only from clients on a private address', async () => {
    const server = await sfuServer({ PARLEY_TRUST_PROXY: 'loopback' });
    /** A client whose address the server takes from X-Forwarded-For (it trusts loopback proxies). */
    async function from(address: string, name: string) {
      const ws = new WebSocket(server.wsUrl, { headers: { 'x-forwarded-for': address } });
      const frames: unknown[] = [];
      ws.on('message', (d) => frames.push(checkServerFrame(String(d))));
      await once(ws, 'open');
      const send = (f: unknown) => ws.send(JSON.stringify(f));
      send({ type: 'hello', id: 'h', versions: ['1'], name });
      await until(() => frames.some((f) => (f as { type: string }).type === 'welcome'), { what: 'welcome' });
      return { frames, send, close: () => ws.close() };
    }
    const dropped = async () => {
      const text = await server.metrics.registry.getSingleMetricAsString(
        'parley_sfu_candidates_dropped_total',
      );
      return Number(/reason="private"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const outsider = await from('198.51.100.20', 'aa-out');
    const insider = await from('192.168.1.20', 'aa-in');
    try {
      for (const [c, room] of [
        [outsider, 'aa-out-room'],
        [insider, 'aa-in-room'],
      ] as const) {
        c.send({ type: 'room.join', id: 'j', room, mode: 'sfu' });
        await reply(c, 'j');
        c.send({
          type: 'sfu.publish',
          id: 'p',
          room,
          description: { type: 'offer', sdp: fakePublisherOffer() },
        });
        assert.equal((await reply(c, 'p')).type, 'sfu.published');
      }
      const line = { candidate: cand('10.20.30.40', 5000), sdpMid: '0', sdpMLineIndex: 0 };
      outsider.send({
        type: 'sfu.trickle',
        id: 't',
        room: 'aa-out-room',
        target: 'publisher',
        candidate: line,
      });
      assert.equal((await reply(outsider, 't')).type, 'ack');
      assert.equal(await dropped(), 1, "the internet client's private candidate is dropped");
      insider.send({
        type: 'sfu.trickle',
        id: 't',
        room: 'aa-in-room',
        target: 'publisher',
        candidate: line,
      });
      assert.equal((await reply(insider, 't')).type, 'ack');
      assert.equal(await dropped(), 1, "the LAN client's private candidate went to Janus");
    } finally {
      outsider.close();
      insider.close();
    }
  });

  it('SFU › without PARLEY_SFU_BLOCKED_CANDIDATES the same candidates do reach Janus (the probe works)', async (t) => {
    if (!janus.iceAddress) return t.skip('no non-loopback address: Janus sends no checks to loopback');
    const host = janus.iceAddress;
    const allowing = await sfuServer({});
    const trickled = await udpListener(host);
    const described = await udpListener(host);
    try {
      const m = await client('ap-m', allowing);
      assert.equal((await join(m, 'ap-room', 'j', 'sfu')).mode, 'sfu');
      m.send({
        type: 'sfu.publish',
        id: 'pub',
        room: 'ap-room',
        description: { type: 'offer', sdp: offerWith([cand(host, described.port)]) },
      });
      assert.equal((await reply(m, 'pub')).type, 'sfu.published');
      m.send({
        type: 'sfu.trickle',
        id: 't',
        room: 'ap-room',
        target: 'publisher',
        candidate: { candidate: cand(host, trickled.port), sdpMid: '0', sdpMLineIndex: 0 },
      });
      assert.equal((await reply(m, 't')).type, 'ack');
      await until(() => trickled.received() > 0 && described.received() > 0, {
        what: 'both forwarded to Janus',
        timeoutMs: 10_000,
      });
    } finally {
      trickled.close();
      described.close();
    }
  });
});
