/**
 * Property fuzz: thousands of random and malformed frames at one connection (random JSON, known
 * types with random fields, huge strings, deep nesting, binary frames) while a bystander pair
 * keeps relaying without loss. The server must answer every frame it keeps reading with a
 * protocol frame, never crash, and stay healthy.
 *
 * The second test is the bounded hostile run of issue 15: several sockets at once send mutated
 * valid frames of every client type, frames nested far past the depth limit, huge, binary,
 * invalid UTF-8 and truncated frames and prototype keys, while a bystander pair in a shared room
 * relays `signal`s; afterwards no INTERNAL was answered, the bystanders lost nothing and got
 * nothing out of order, nobody is left busy, and RSS grew by less than 64 MiB.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CLIENT_MESSAGE_TYPES, type ClientMessageType } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import fc from 'fast-check';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

/** Names the hostile frames aim at: the bystanders, each other, nobody. */
const TARGETS = ['hx-x', 'hx-y', 'hx-f0', 'hx-f1', 'hx-f2', 'hx-f3', 'hx-f4', 'hx-f5', 'nobody'];
const ROOM = 'hx-room';
const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

/** One valid frame of each client type (the fuzzer mutates them). */
const TEMPLATES: Record<ClientMessageType, (to: string) => Record<string, unknown>> = {
  hello: (to) => ({ type: 'hello', versions: ['1'], name: to }),
  bye: () => ({ type: 'bye' }),
  leaving: () => ({ type: 'leaving' }),
  'room.join': () => ({ type: 'room.join', room: ROOM }),
  'room.leave': () => ({ type: 'room.leave', room: ROOM }),
  'room.message': () => ({ type: 'room.message', room: ROOM, data: { text: 'hi' } }),
  'room.data': () => ({ type: 'room.data', room: ROOM, label: 'game', data: 'shi' }),
  signal: (to) => ({
    type: 'signal',
    to,
    data: { kind: 'candidate', scope: `room:${ROOM}`, candidate: null },
  }),
  'call.invite': (to) => ({ type: 'call.invite', to, data: { video: true } }),
  'call.accept': () => ({ type: 'call.accept', call: 'c-00000000' }),
  'call.decline': () => ({ type: 'call.decline', call: 'c-00000000', busy: true }),
  'call.cancel': () => ({ type: 'call.cancel', call: 'c-00000000' }),
  'call.hangup': () => ({ type: 'call.hangup', call: 'c-00000000' }),
  'call.resume': (to) => ({ type: 'call.resume', call: 'c-00000000', peer: to }),
  'call.rejoin': () => ({ type: 'call.rejoin', call: 'c-00000000' }),
  'presence.subscribe': () => ({ type: 'presence.subscribe' }),
  'presence.unsubscribe': () => ({ type: 'presence.unsubscribe' }),
  ping: () => ({ type: 'ping', ts: 1 }),
  'sfu.publish': () => ({ type: 'sfu.publish', room: ROOM, description: { type: 'offer', sdp: SDP } }),
  'sfu.unpublish': () => ({ type: 'sfu.unpublish', room: ROOM }),
  'recording.start': () => ({ type: 'recording.start', room: ROOM }),
  'recording.stop': () => ({ type: 'recording.stop', room: ROOM }),
  'sfu.subscribe': (to) => ({ type: 'sfu.subscribe', room: ROOM, feeds: [to] }),
  'sfu.answer': () => ({ type: 'sfu.answer', room: ROOM, description: { type: 'answer', sdp: SDP } }),
  'sfu.trickle': () => ({
    type: 'sfu.trickle',
    room: ROOM,
    target: 'publisher',
    candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host' },
  }),
  'sfu.configure': (to) => ({ type: 'sfu.configure', room: ROOM, feed: to, substream: 1 }),
  'host.role': (to) => ({ type: 'host.role', room: ROOM, name: to, role: 'host' }),
  'host.lock': () => ({ type: 'host.lock', room: ROOM, locked: true }),
  'host.lobby': () => ({ type: 'host.lobby', room: ROOM, enabled: true }),
  'host.admit': (to) => ({ type: 'host.admit', room: ROOM, name: to }),
  'host.refuse': (to) => ({ type: 'host.refuse', room: ROOM, name: to }),
  'host.remove': (to) => ({ type: 'host.remove', room: ROOM, name: to }),
  'host.mute': (to) => ({ type: 'host.mute', room: ROOM, name: to }),
  'host.mute_all': () => ({ type: 'host.mute_all', room: ROOM }),
  'host.ask_unmute': (to) => ({ type: 'host.ask_unmute', room: ROOM, name: to }),
  'host.stop_share': (to) => ({ type: 'host.stop_share', room: ROOM, name: to }),
  'host.end': () => ({ type: 'host.end', room: ROOM }),
  'participant.state': () => ({ type: 'participant.state', room: ROOM, hand: true, muted: false }),
};
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'type',
  'id',
  'to',
  'from',
  'data',
  'room',
  'call',
  'name',
];

/** `depth` levels of arrays or objects (never parsed by the test itself). */
const nested = (depth: number, objects: boolean) =>
  objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A full garbage collection (the flag is set at run time: the test runner passes none). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** True once `c` answers the ping `id` (pongs to the fuzzer's own pings are skipped). */
async function synced(c: TestClient, id: string): Promise<boolean> {
  try {
    for (;;) if ((await c.next('pong', { timeoutMs: 10_000 })).re === id) return true;
  } catch {
    return false;
  }
}

/** A valid frame of a random type, then mutated one way (or not at all). */
const mutatedArb: fc.Arbitrary<string> = fc
  .record({
    type: fc.constantFrom(...CLIENT_MESSAGE_TYPES),
    to: fc.constantFrom(...TARGETS),
    id: fc.oneof(fc.nat(), fc.string({ maxLength: 8 })),
    op: fc.nat(7),
    key: fc.constantFrom(...KEYS),
    value: fc.jsonValue({ maxDepth: 3 }),
    pos: fc.nat(),
    ch: fc.integer({ min: 0, max: 0xffff }),
    depth: fc.integer({ min: 30, max: 6000 }),
  })
  .map(({ type, to, id, op, key, value, pos, ch, depth }) => {
    const frame: Record<string, unknown> = { ...TEMPLATES[type](to), id };
    const text = () => JSON.stringify(frame);
    switch (op) {
      case 0:
        return text();
      case 1:
        delete frame[key];
        return text();
      case 2:
        // An own key, `__proto__` included (a plain assignment would set the prototype).
        Object.defineProperty(frame, key, { value, enumerable: true, configurable: true, writable: true });
        return text();
      case 3: {
        const t = text();
        return t.slice(0, pos % t.length);
      }
      case 4: {
        const t = text();
        const at = pos % t.length;
        return t.slice(0, at) + String.fromCharCode(ch) + t.slice(at + 1);
      }
      case 5:
        return text().replace('{', `{"${key}":${JSON.stringify(value)},`);
      case 6:
        return text().replace(/}$/, `,"data":${nested(depth, pos % 2 === 0)}}`);
      default:
        return text().replace('{', `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},`);
    }
  });

/** Anything hostile: mutated frames mostly, and every kind of broken frame. */
const hostileArb: fc.Arbitrary<{ data: string | Buffer; binary: boolean }> = fc.oneof(
  { weight: 10, arbitrary: mutatedArb.map((t) => ({ data: t, binary: false })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 33, max: 6000 }),
        fc.boolean(),
        fc.constantFrom('signal', 'room.message', 'call.invite'),
      )
      .map(([d, o, type]) => ({
        data: `{"type":"${type}","id":1,"to":"hx-y","room":"${ROOM}","data":${nested(d, o)}}`,
        binary: false,
      })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      data: JSON.stringify({ type: 'signal', to: 'hx-y', data: 'z'.repeat(70_000) }),
      binary: false,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ data: Buffer.from(b), binary: true })),
  },
  { weight: 1, arbitrary: mutatedArb.map((t) => ({ data: Buffer.from(t), binary: true })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((t) => ({ data: t, binary: false })) },
);

/**
 * Invalid UTF-8 in a text frame: the server closes the socket (1007), so at most one ends a batch
 * (anything after it would never be read).
 */
const invalidUtf8Arb = fc
  .constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80])
  .map((bad) => ({
    data: Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from(bad), Buffer.from('"}')]),
    binary: false,
  }));

/** A frame past the WebSocket hard cap: closed (1009) before it is read. */
const overCapArb = fc.constant({ data: Buffer.alloc(200_000, 0x5b), binary: true });

/** A batch of hostile frames, one time in four ending with a frame that closes the socket. */
const batchArb = (n: number) =>
  fc
    .tuple(
      fc.array(hostileArb, { minLength: n, maxLength: n }),
      fc.option(fc.oneof({ weight: 3, arbitrary: invalidUtf8Arb }, { weight: 1, arbitrary: overCapArb }), {
        freq: 3,
      }),
    )
    .map(([frames, last]) => (last ? [...frames, last] : frames));

const anyType = fc.oneof(fc.constantFrom(...CLIENT_MESSAGE_TYPES), fc.string({ maxLength: 20 }));
const field = fc.constantFrom(
  'type',
  'id',
  'to',
  'from',
  'data',
  'room',
  'call',
  'name',
  'versions',
  'resume',
  'password',
  'busy',
  'ts',
);
const deep = fc.integer({ min: 1, max: 3000 }).map((d) => '['.repeat(d) + ']'.repeat(d));

/** One hostile frame: text or binary. */
const frameArb: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.json().map((j) => j),
  fc.string({ maxLength: 200 }),
  fc
    .record({ type: anyType, fields: fc.dictionary(field, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }) })
    .map(({ type, fields }) => JSON.stringify({ ...fields, type })),
  fc.constantFrom(...CLIENT_MESSAGE_TYPES).map((type) => JSON.stringify({ type, data: 'z'.repeat(70_000) })),
  deep,
  deep.map((d) => `{"type":"signal","to":"fz-peer","data":${d}}`),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.json().map((j) => Buffer.from(j)),
);

describe('Fuzz', () => {
  let server: ParleyServer;
  before(async () => {
    server = await startServer({
      PARLEY_RATE_PER_S: '1000000',
      PARLEY_RATE_BURST: '1000000',
      PARLEY_RATE_BYTES_PER_S: '1000000000',
      PARLEY_RATE_BYTES_BURST: '1000000000',
      PARLEY_MAX_CONNS_PER_IP: '1000',
    });
  });
  after(async () => {
    await closeAllClients();
    await server.close();
  });

  it('Server › survives thousands of random frames while a bystander pair relays without loss', async () => {
    const x = await connectClient(server.wsUrl);
    const y = await connectClient(server.wsUrl);
    await x.hello('fz-x');
    await y.hello('fz-y');
    // The bystanders share a room: `signal` is relayed only between related sessions.
    for (const c of [x, y]) {
      c.send({ type: 'room.join', room: 'fz-bystanders' });
      await c.next('room.joined');
    }
    let victim: TestClient = await connectClient(server.wsUrl);
    await victim.hello('fz-victim');
    let reconnects = 0;
    let batchNo = 0;
    // Property: after any batch of hostile frames, the victim still answers (or was closed for
    // a legitimately fatal frame) and the bystanders' signal arrives, in order, exactly once.
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 50, maxLength: 50 }), async (batch) => {
        batchNo++;
        for (const f of batch) {
          if (typeof f === 'string') victim.sendRaw(f);
          else victim.sendRaw(f, { binary: true });
        }
        victim.send({ type: 'ping', id: `sync${batchNo}` });
        x.send({ type: 'signal', to: 'fz-y', data: { batchNo } });
        const answered = await Promise.race([
          victim.next('pong', { timeoutMs: 10_000 }).then(
            () => true,
            () => false,
          ),
          victim.closed.then(() => false),
        ]);
        if (!answered) {
          // Only legitimately fatal frames may close it: bye, a frame over the hard cap, or a
          // hello offering no supported version.
          const closed = await victim.closed;
          assert.ok(
            [1000, 1009, 4001].includes(closed.code),
            `unexpected close ${closed.code} ${closed.reason}`,
          );
          reconnects++;
          victim = await connectClient(server.wsUrl);
          await victim.hello(`fz-victim${reconnects}`);
        }
        assert.deepEqual((await y.next('signal', { timeoutMs: 10_000 })).data, { batchNo });
        victim.frames.length = 0;
      }),
      { numRuns: 60, seed: 20261121, endOnFailure: true },
    );
    assert.equal(batchNo, 60, '3,000 hostile frames sent');
    assert.equal(x.frames.filter((f) => f.type === 'error').length, 0);
    assert.equal(y.frames.filter((f) => f.type === 'signal').length, 0, 'no extra or duplicate signals');
    assert.equal((await server.health()).status, 'ok');
    victim.send({ type: 'ping', id: 'end' });
    await victim.next('pong', { timeoutMs: 10_000 });
    const internal = await server.metrics.registry.getSingleMetricAsString('parley_errors_total');
    assert.doesNotMatch(internal, /code="INTERNAL"/);
  });

  it('Server › several hostile sockets at once: 0 INTERNAL, bystanders lose nothing, nobody left busy, RSS bounded', async () => {
    const hostile = await startServer({
      PARLEY_RATE_PER_S: '1000000',
      PARLEY_RATE_BURST: '1000000',
      PARLEY_MAX_CONNS_PER_IP: '1000',
      PARLEY_RING_TIMEOUT_S: '1',
    });
    const started = Date.now();
    try {
      // The bystanders share a room and relay signals to each other.
      const x = await connectClient(hostile.wsUrl);
      const y = await connectClient(hostile.wsUrl);
      await x.hello('hx-x');
      await y.hello('hx-y');
      for (const c of [x, y]) {
        c.send({ type: 'room.join', id: 'j', room: ROOM });
        await c.next('room.joined');
      }
      const got: number[] = [];
      y.ws.on('message', (raw) => {
        const f = JSON.parse(String(raw));
        if (f.type === 'signal' && f.from === 'hx-x' && typeof f.data?.seq === 'number') got.push(f.data.seq);
      });
      const SOCKETS = 6;
      const ROUNDS = 30;
      const BATCH = 50;
      // Generated before the memory baseline: the test's own frames are not the server's growth.
      const plans = Array.from({ length: SOCKETS }, (_, k) =>
        fc.sample(batchArb(BATCH), { numRuns: ROUNDS, seed: 20261207 + k }),
      );
      collectGarbage();
      const rssBefore = process.memoryUsage().rss;
      const replies = new Map<string, number>();
      const closes = new Map<number, number>();
      const unexpected: string[] = [];
      let done = false;

      // The bystander pair relays all along, one signal every few milliseconds.
      let sent = 0;
      const relaying = (async () => {
        while (!done) {
          x.send({ type: 'signal', to: 'hx-y', data: { seq: ++sent } });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();

      const live: { name: string; client: TestClient }[] = [];
      await Promise.all(
        Array.from({ length: SOCKETS }, async (_, k) => {
          let name = `hx-f${k}`;
          let c = await connectClient(hostile.wsUrl);
          await c.hello(name);
          for (const [round, batch] of plans[k]!.entries()) {
            for (const f of batch) c.sendRaw(f.data, { binary: f.binary });
            c.send({ type: 'ping', id: `sync-${round}` });
            const answered = await Promise.race([synced(c, `sync-${round}`), c.closed.then(() => false)]);
            for (const f of c.frames)
              if (f.type === 'error') replies.set(f.code, (replies.get(f.code) ?? 0) + 1);
            c.frames.length = 0;
            if (!answered) {
              const closed = await Promise.race([
                c.closed,
                new Promise<{ code: number; reason: string }>((r) =>
                  setTimeout(() => r({ code: -1, reason: 'neither answered nor closed' }), 5000),
                ),
              ]);
              closes.set(closed.code, (closes.get(closed.code) ?? 0) + 1);
              // Only legitimately fatal frames may close it: bye, a frame over the hard cap,
              // invalid UTF-8 in a text frame, a hello offering no supported version.
              if (![1000, 1007, 1009, 4001].includes(closed.code))
                unexpected.push(`${closed.code} ${closed.reason}`);
              name = `hx-f${k}r${round}`;
              c = await connectClient(hostile.wsUrl);
              await c.hello(name);
            }
          }
          live.push({ name, client: c });
        }),
      );
      done = true;
      await relaying;

      assert.deepEqual(unexpected, [], 'unexpected closes');
      assert.equal(replies.get('INTERNAL') ?? 0, 0, 'no INTERNAL reply');
      const metric = await hostile.metrics.registry.getSingleMetricAsString('parley_errors_total');
      assert.doesNotMatch(metric, /code="INTERNAL"/);
      assert.ok((replies.get('BAD_MESSAGE') ?? 0) > 500, `BAD_MESSAGE ${replies.get('BAD_MESSAGE')}`);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
      // Every bystander signal arrived, once, in order.
      await until(() => got.length >= sent, { what: 'every sent frame answered', timeoutMs: 10_000 });
      assert.deepEqual(
        got,
        Array.from({ length: sent }, (_, i) => i + 1),
      );
      assert.equal(x.frames.filter((f) => f.type === 'error').length, 0);

      // Nobody is left busy: once ringing calls time out, each live name and both bystanders
      // can be called (ringing, not busy), and can call.
      await new Promise((r) => setTimeout(r, 1500));
      const caller = await connectClient(hostile.wsUrl);
      await caller.hello('hx-caller');
      for (const name of ['hx-x', 'hx-y', ...live.map((l) => l.name)]) {
        caller.send({ type: 'call.invite', id: `inv-${name}`, to: name });
        const r = await caller.next(undefined, { timeoutMs: 5000 });
        assert.equal(r.type, 'call.ringing', `${name}: ${JSON.stringify(r)}`);
        caller.send({ type: 'call.cancel', id: `cx-${name}`, call: (r as { call: string }).call });
        await caller.next('call.ended');
      }
      y.send({ type: 'call.invite', id: 'back', to: 'hx-caller' });
      assert.equal((await y.next('call.ringing', { timeoutMs: 5000 })).re, 'back');

      // Memory: bounded growth over the whole run (garbage collected first: live memory, not
      // garbage the collector has not got to yet).
      collectGarbage();
      const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      assert.ok(grown < 64, `RSS grew by ${grown.toFixed(1)} MiB`);
      assert.equal((await hostile.health()).status, 'ok');
      const seconds = (Date.now() - started) / 1000;
      console.log(
        JSON.stringify({
          frames: plans.flat(2).length,
          bystanderSignals: sent,
          replies: Object.fromEntries(replies),
          closes: Object.fromEntries(closes),
          rssGrowthMiB: Number(grown.toFixed(1)),
          seconds,
        }),
      );
    } finally {
      await hostile.close();
    }
  });
});
