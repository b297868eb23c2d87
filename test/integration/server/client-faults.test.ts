/**
 * Client faults get client codes, and the log stays bounded whatever a client sends: frames
 * nested thousands deep answer BAD_MESSAGE (never INTERNAL) and leave no state behind (the
 * ghost call of issue 15), failures only client data can cause map to BAD_MESSAGE, and our own
 * failures are logged at error level within a per-node budget.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type ClientMessage, LIMITS } from '@parley/protocol';
import { createLogger, type ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

/** A logger whose JSON lines are kept for the test to read. */
function capturedLog() {
  const lines: { level: number; msg: string; err?: { stack?: string }; suppressed?: number }[] = [];
  const logger = createLogger('info', {
    write(line: string) {
      lines.push(JSON.parse(line));
    },
  });
  return {
    logger,
    lines,
    atLeast: (level: number) => lines.filter((l) => l.level >= level),
  };
}

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

async function takeErrors(c: TestClient, n: number): Promise<Map<string, number>> {
  const codes = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = await c.next('error', { timeoutMs: 10_000 });
    codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
  }
  return codes;
}

async function internalCount(server: ParleyServer): Promise<number> {
  const text = await server.metrics.registry.getSingleMetricAsString('parley_errors_total');
  const m = /parley_errors_total\{code="INTERNAL"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

const FAST = {
  PARLEY_RATE_PER_S: '100000',
  PARLEY_RATE_BURST: '100000',
  PARLEY_RATE_BYTES_PER_S: '1000000000',
  PARLEY_RATE_BYTES_BURST: '1000000000',
};

describe('Client faults', () => {
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('BAD_MESSAGE › 1,000 frames nested 5,000 deep: each refused, 0 INTERNAL, no error-level log, nobody left busy', async () => {
    const log = capturedLog();
    const server = await startServer(FAST, { logger: log.logger });
    const mallory = await connectClient(server.wsUrl);
    await mallory.hello('cf-mallory');
    const bob = await connectClient(server.wsUrl);
    await bob.hello('cf-bob');
    mallory.send({ type: 'room.join', id: 'j', room: 'cf-room' });
    await mallory.next('room.joined');
    const kinds = [
      (i: number) => `{"type":"call.invite","id":${i},"to":"cf-bob","data":${deep(5000)}}`,
      (i: number) => `{"type":"signal","id":${i},"to":"cf-bob","data":${deep(5000)}}`,
      (i: number) => `{"type":"room.message","id":${i},"room":"cf-room","data":${deep(5000)}}`,
      (i: number) => `{"type":"signal","id":${i},"to":"cf-bob","data":{"a":${deep(LIMITS.frameMaxDepth)}}}`,
    ];
    for (let i = 0; i < 1000; i++) mallory.sendRaw(kinds[i % kinds.length]!(i));
    const codes = await takeErrors(mallory, 1000);
    assert.deepEqual([...codes], [['BAD_MESSAGE', 1000]]);
    assert.equal(await internalCount(server), 0);
    assert.equal(log.atLeast(50).length, 0, 'no error-level line');
    assert.ok(log.atLeast(40).length <= 10, `${log.atLeast(40).length} warn lines`);
    assert.equal(bob.frames.filter((f) => f.type !== 'peer.joined').length, 0, 'bob received nothing');
    // Nobody is left in a ghost call: bob can call mallory, and be called.
    bob.send({ type: 'call.invite', id: 'b1', to: 'cf-mallory' });
    const ringing = await bob.next('call.ringing');
    assert.equal(ringing.re, 'b1');
    await mallory.next('call.incoming');
    bob.send({ type: 'call.cancel', id: 'b2', call: ringing.call });
    await mallory.next('call.ended');
    const carol = await connectClient(server.wsUrl);
    await carol.hello('cf-carol');
    carol.send({ type: 'call.invite', id: 'c1', to: 'cf-bob' });
    assert.equal((await carol.next('call.ringing')).re, 'c1');
  });

  it('BAD_MESSAGE › a stack overflow or JSON refusing a value in a handler is the client’s fault; other TypeErrors stay INTERNAL', async () => {
    const log = capturedLog();
    const server = await startServer(FAST, {
      logger: log.logger,
      hooks: {
        beforeDispatch(msg: ClientMessage) {
          if (msg.type !== 'ping') return;
          if (msg.ts === 1) {
            let v: unknown = 0;
            for (let i = 0; i < 200_000; i++) v = [v];
            JSON.stringify(v);
          }
          if (msg.ts === 2) JSON.stringify({ n: BigInt(1) });
          if (msg.ts === 3) (undefined as unknown as { f(): void }).f();
        },
      },
    });
    const c = await connectClient(server.wsUrl);
    await c.hello('cf-hook');
    c.send({ type: 'ping', id: 'overflow', ts: 1 });
    const e1 = await c.next('error');
    assert.deepEqual([e1.code, e1.re], ['BAD_MESSAGE', 'overflow']);
    c.send({ type: 'ping', id: 'bigint', ts: 2 });
    const e2 = await c.next('error');
    assert.deepEqual([e2.code, e2.re], ['BAD_MESSAGE', 'bigint']);
    c.send({ type: 'ping', id: 'bug', ts: 3 });
    const e3 = await c.next('error');
    assert.deepEqual([e3.code, e3.re], ['INTERNAL', 'bug']);
    assert.doesNotMatch(e1.message + e2.message, /at |Error|stack/);
    c.send({ type: 'ping', id: 'after' });
    assert.equal((await c.next('pong')).re, 'after');
  });

  it('INTERNAL › 300 forced internal errors: every one answered, at most the log budget at error level', async () => {
    const log = capturedLog();
    const server = await startServer(FAST, {
      logger: log.logger,
      hooks: {
        beforeDispatch(msg: ClientMessage) {
          if (msg.type === 'ping' && msg.ts === 666) throw new Error('forced internal failure');
        },
      },
    });
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(server.wsUrl)));
    await Promise.all(clients.map((c, i) => c.hello(`cf-int${i}`)));
    for (let i = 0; i < 100; i++) for (const c of clients) c.send({ type: 'ping', id: i, ts: 666 });
    for (const c of clients) {
      const codes = await takeErrors(c, 100);
      assert.deepEqual([...codes], [['INTERNAL', 100]]);
    }
    assert.equal(await internalCount(server), 300);
    const errors = log.atLeast(50);
    assert.ok(errors.length <= 10, `${errors.length} error-level lines for 300 internal errors`);
    assert.ok(errors.length >= 1, 'the first ones are logged');
    assert.match(errors[0]!.err?.stack ?? '', /forced internal failure/);
    // The server still works.
    clients[0]!.send({ type: 'ping', id: 'ok' });
    assert.equal((await clients[0]!.next('pong')).re, 'ok');
  });
});
