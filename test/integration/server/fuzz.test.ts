/**
 * Property fuzz: thousands of random and malformed frames at one connection (random JSON, known
 * types with random fields, huge strings, deep nesting, binary frames) while a bystander pair
 * keeps relaying without loss. The server must answer every frame it keeps reading with a
 * protocol frame, never crash, and stay healthy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLIENT_MESSAGE_TYPES } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import fc from 'fast-check';
import { startServer } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

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
});
