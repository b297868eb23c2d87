/**
 * Hostile input: every error code the server can send is provoked here, each time checking the
 * code (and close code when fatal) and that a bystander pair of clients keeps relaying untouched.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type ClientMessage, closeCodeFor, type ErrorCode, ParleyError } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

let seq = 0;

/**
 * Two clients relaying signals to each other; `check()` proves they still do. They share a room,
 * since `signal` is relayed only between parties of a call or members of a shared room.
 */
async function bystanders(server: ParleyServer) {
  seq++;
  const x = await connectClient(server.wsUrl);
  const y = await connectClient(server.wsUrl);
  await x.hello(`bx${seq}`);
  await y.hello(`by${seq}`);
  const yName = `by${seq}`;
  for (const c of [x, y]) {
    c.send({ type: 'room.join', room: `bys${seq}` });
    await c.next('room.joined');
  }
  await x.next('peer.joined');
  let n = 0;
  return {
    async check() {
      n++;
      x.send({ type: 'signal', to: yName, data: { n } });
      const s = await y.next('signal');
      assert.deepEqual(s.data, { n });
      assert.equal(x.frames.filter((f) => f.type === 'error').length, 0, 'bystander got an error');
    },
  };
}

async function expectError(c: TestClient, code: ErrorCode, re?: string | number) {
  const e = await c.next('error');
  assert.equal(e.code, code);
  if (re !== undefined) assert.equal(e.re, re);
  return e;
}

async function expectFatal(c: TestClient, code: ErrorCode) {
  const e = await c.next('error');
  assert.equal(e.code, code);
  assert.equal(e.fatal, true);
  assert.deepEqual(await c.closed, { code: closeCodeFor(code), reason: code });
}

async function errorCount(server: ParleyServer, code: ErrorCode): Promise<number> {
  const text = await server.metrics.registry.getSingleMetricAsString('parley_errors_total');
  const m = text.match(new RegExp(`parley_errors_total\\{code="${code}"\\} (\\d+)`));
  return m ? Number(m[1]) : 0;
}

describe('Hostile input › protocol errors', () => {
  let server: ParleyServer;
  let by: Awaited<ReturnType<typeof bystanders>>;
  before(async () => {
    server = await startServer({
      PARLEY_HELLO_TIMEOUT_MS: '800',
      PARLEY_MAX_ROOMS_PER_SESSION: '2',
      PARLEY_MAX_PEERS_PER_ROOM: '2',
    });
    by = await bystanders(server);
  });
  afterEach(async () => {
    await by.check();
  });
  after(async () => {
    await closeAllClients();
    await server.close();
  });

  async function loggedIn(name: string) {
    const c = await connectClient(server.wsUrl);
    await c.hello(name);
    return c;
  }

  it('BAD_JSON › malformed JSON, arrays and invalid UTF-8 binary keep the connection', async () => {
    const c = await loggedIn('h-badjson');
    for (const raw of ['{', '[]', 'null', '"x"']) {
      c.sendRaw(raw);
      await expectError(c, 'BAD_JSON');
    }
    c.sendRaw(Buffer.from([0xff, 0xfe, 0x00]));
    await expectError(c, 'BAD_JSON');
    c.send({ type: 'ping', id: 1 });
    assert.equal((await c.next('pong')).re, 1);
  });

  it('UNKNOWN_TYPE › missing or unknown type, echoing the id', async () => {
    const c = await loggedIn('h-unknown');
    c.send({ id: 3 });
    await expectError(c, 'UNKNOWN_TYPE', 3);
    c.send({ type: 'teleport', id: 'q' });
    await expectError(c, 'UNKNOWN_TYPE', 'q');
  });

  it('BAD_MESSAGE › schema failures, including a forged from on a signal', async () => {
    const a = await loggedIn('h-forger');
    const b = await loggedIn('h-victim');
    a.send({ type: 'signal', id: 1, to: 'h-victim', from: 'someone-else', data: {} });
    await expectError(a, 'BAD_MESSAGE', 1);
    a.send({ type: 'room.join', id: 2, room: 'bad room name!' });
    await expectError(a, 'BAD_MESSAGE', 2);
    a.send({ type: 'hello', versions: [], name: 'x' });
    await expectError(a, 'BAD_MESSAGE');
    a.send({ type: 'ping', id: 4 });
    await a.next('pong');
    assert.equal(b.frames.filter((f) => f.type === 'signal').length, 0);
  });

  it('TOO_LARGE › a frame over the limit is refused and the connection stays', async () => {
    const c = await loggedIn('h-large');
    c.send({ type: 'signal', to: 'h-large', data: 'x'.repeat(65536) });
    await expectError(c, 'TOO_LARGE');
    c.send({ type: 'ping', id: 1 });
    await c.next('pong');
  });

  it('hard cap › a frame far over the limit closes the socket with 1009', async () => {
    const c = await loggedIn('h-huge');
    c.sendRaw('x'.repeat(65536 + 64 * 1024));
    assert.equal((await c.closed).code, 1009);
  });

  it('NOT_LOGGED_IN › frames before hello are refused, hello still works after', async () => {
    const c = await connectClient(server.wsUrl);
    c.send({ type: 'signal', id: 1, to: 'anyone', data: 1 });
    await expectError(c, 'NOT_LOGGED_IN', 1);
    await c.hello('h-late');
  });

  it('ALREADY_LOGGED_IN › a second hello on one connection', async () => {
    const c = await loggedIn('h-twice');
    c.send({ type: 'hello', id: 2, versions: ['1'], name: 'h-twice-2' });
    await expectError(c, 'ALREADY_LOGGED_IN', 2);
  });

  it('HELLO_TIMEOUT › no hello in time closes with 4002', async () => {
    const c = await connectClient(server.wsUrl);
    await expectFatal(c, 'HELLO_TIMEOUT');
  });

  it('UNSUPPORTED_VERSION › no common version closes with 4001', async () => {
    const c = await connectClient(server.wsUrl);
    c.send({ type: 'hello', versions: ['0', '9'], name: 'h-old' });
    await expectFatal(c, 'UNSUPPORTED_VERSION');
  });

  it('NAME_TAKEN › a name held by a live session', async () => {
    await loggedIn('h-held');
    const c = await connectClient(server.wsUrl);
    c.send({ type: 'hello', id: 'h', versions: ['1'], name: 'h-held' });
    await expectError(c, 'NAME_TAKEN', 'h');
  });

  it('PEER_NOT_FOUND › a signal to nobody, and to an online stranger, gets the same answer', async () => {
    const c = await loggedIn('h-lonely');
    const stranger = await loggedIn('h-stranger');
    c.send({ type: 'signal', id: 5, to: 'nobody', data: 1 });
    const offline = await expectError(c, 'PEER_NOT_FOUND', 5);
    c.send({ type: 'signal', id: 6, to: 'h-stranger', data: 1 });
    const unrelated = await expectError(c, 'PEER_NOT_FOUND', 6);
    assert.equal(unrelated.message, offline.message.replace('nobody', 'h-stranger'));
    assert.equal(stranger.frames.filter((f) => f.type === 'signal').length, 0, 'the stranger got nothing');
  });

  it('ROOM_FULL › a room at capacity', async () => {
    const a = await loggedIn('h-full-a');
    const b = await loggedIn('h-full-b');
    const c = await loggedIn('h-full-c');
    for (const x of [a, b]) {
      x.send({ type: 'room.join', room: 'full' });
      await x.next('room.joined');
    }
    c.send({ type: 'room.join', id: 1, room: 'full' });
    await expectError(c, 'ROOM_FULL', 1);
  });

  it('TOO_MANY_ROOMS › more rooms than a session may join', async () => {
    const c = await loggedIn('h-rooms');
    for (const room of ['r1', 'r2']) {
      c.send({ type: 'room.join', room });
      await c.next('room.joined');
    }
    c.send({ type: 'room.join', id: 3, room: 'r3' });
    await expectError(c, 'TOO_MANY_ROOMS', 3);
  });

  it('NOT_IN_ROOM › leaving or messaging a room one is not in', async () => {
    const c = await loggedIn('h-outsider');
    c.send({ type: 'room.leave', id: 1, room: 'elsewhere' });
    await expectError(c, 'NOT_IN_ROOM', 1);
    c.send({ type: 'room.message', id: 2, room: 'elsewhere', data: 'x' });
    await expectError(c, 'NOT_IN_ROOM', 2);
  });

  it('CALL_NOT_FOUND › control for an unknown call', async () => {
    const c = await loggedIn('h-nocall');
    for (const type of ['call.accept', 'call.decline', 'call.cancel', 'call.hangup'] as const) {
      c.send({ type, id: type, call: 'nope' });
      await expectError(c, 'CALL_NOT_FOUND', type);
    }
  });

  it('FORBIDDEN › wrong room password', async () => {
    const a = await loggedIn('h-pw-a');
    const b = await loggedIn('h-pw-b');
    a.send({ type: 'room.join', room: 'locked', password: 'open-sesame' });
    await a.next('room.joined');
    b.send({ type: 'room.join', id: 1, room: 'locked' });
    await expectError(b, 'FORBIDDEN', 1);
  });

  it('SESSION_REPLACED › resuming elsewhere closes the old socket with 4004', async () => {
    const a = await connectClient(server.wsUrl);
    const w = await a.hello('h-replaced');
    const a2 = await connectClient(server.wsUrl);
    await a2.hello('h-replaced', { resume: w.session });
    await expectFatal(a, 'SESSION_REPLACED');
  });
});

describe('Hostile input › limits with their own server', () => {
  afterEach(closeAllClients);

  it('RATE_LIMITED › a burst over the bucket is refused, and the connection recovers', async () => {
    const server = await startServer({
      PARLEY_RATE_PER_S: '2',
      PARLEY_RATE_BURST: '20',
      PARLEY_FLOOD_STRIKES: '15',
    });
    try {
      const by = await bystanders(server);
      const c = await connectClient(server.wsUrl);
      await c.hello('r-burst');
      // hello took one token: 19 left. 25 pings → 19 pongs, 6 RATE_LIMITED (under 15 strikes).
      for (let i = 0; i < 25; i++) c.send({ type: 'ping', id: i });
      await until(() => c.frames.length >= 25, { what: '25 frames back', intervalMs: 10 });
      // Exactly 19 unless the machine is so loaded that the burst took over 0.5 s to arrive
      // (then a refilled token lets one more through).
      const pongs = c.frames.filter((f) => f.type === 'pong').length;
      const limited = c.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED').length;
      assert.ok(pongs >= 19 && pongs <= 21, `pongs ${pongs}`);
      assert.equal(pongs + limited, 25);
      c.frames.length = 0;
      // A client that backs off is served again once the bucket refills (2 tokens/s): poll
      // every 300 ms, well under the strike limit.
      let recovered = false;
      for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
        await new Promise((r) => setTimeout(r, 300));
        c.send({ type: 'ping', id: attempt });
        recovered = (await c.next(undefined, { timeoutMs: 1000 })).type === 'pong';
      }
      assert.ok(recovered, 'the connection recovered');
      await by.check();
    } finally {
      await server.close();
    }
  });

  it('FLOODING › sustained flooding after RATE_LIMITED closes with 4008', async () => {
    const server = await startServer({
      PARLEY_RATE_PER_S: '1',
      PARLEY_RATE_BURST: '20',
      PARLEY_FLOOD_STRIKES: '10',
    });
    try {
      const by = await bystanders(server);
      const c = await connectClient(server.wsUrl);
      await c.hello('r-flood');
      for (let i = 0; i < 200; i++) c.send({ type: 'ping' });
      assert.deepEqual(await c.closed, { code: 4008, reason: 'FLOODING' });
      const codes = c.frames.filter((f) => f.type === 'error').map((f) => (f.type === 'error' ? f.code : ''));
      // 9 strikes in a row, plus any refused frames before a refilled token reset the count.
      assert.ok(codes.filter((x) => x === 'RATE_LIMITED').length >= 9);
      assert.equal(codes.at(-1), 'FLOODING');
      await by.check();
    } finally {
      await server.close();
    }
  });

  it('TOO_MANY_CONNECTIONS › connections over the per-IP limit get 4029', async () => {
    const server = await startServer({ PARLEY_MAX_CONNS_PER_IP: '4' });
    try {
      const by = await bystanders(server);
      await connectClient(server.wsUrl);
      await connectClient(server.wsUrl);
      const c = await connectClient(server.wsUrl);
      await expectFatal(c, 'TOO_MANY_CONNECTIONS');
      await by.check();
    } finally {
      await server.close();
    }
  });

  it('SLOW_CONSUMER › a client that never reads is dropped when its send buffer overflows', async () => {
    const server = await startServer({
      PARLEY_RATE_PER_S: '100000',
      PARLEY_RATE_BURST: '100000',
      PARLEY_RATE_BYTES_PER_S: '1000000000',
      PARLEY_RATE_BYTES_BURST: '1000000000',
      PARLEY_MAX_SEND_BUFFER_BYTES: '262144',
    });
    try {
      const by = await bystanders(server);
      const slow = await connectClient(server.wsUrl);
      await slow.hello('s-slow');
      const sender = await connectClient(server.wsUrl);
      await sender.hello('s-sender');
      // Related (a shared room), so the sender may signal the slow one.
      for (const c of [slow, sender]) {
        c.send({ type: 'room.join', room: 's-room' });
        await c.next('room.joined');
      }
      slow.ws.pause(); // stop reading: the kernel buffers fill, then the server's send buffer
      const chunk = 'y'.repeat(60_000);
      let sent = 0;
      await until(
        async () => {
          for (let i = 0; i < 20; i++) sender.send({ type: 'signal', to: 's-slow', data: chunk });
          sent += 20;
          sender.send({ type: 'ping', id: sent });
          await sender.next('pong', { timeoutMs: 5000 });
          return (await errorCount(server, 'SLOW_CONSUMER')) >= 1 || sent >= 2000;
        },
        { what: 'SLOW_CONSUMER (or 2000 frames sent)', timeoutMs: 30_000, intervalMs: 10 },
      );
      assert.equal(await errorCount(server, 'SLOW_CONSUMER'), 1);
      slow.ws.resume();
      assert.equal((await slow.closed).code, 1006);
      // The sender is unaffected; the slow session sits in grace with its queue.
      sender.send({ type: 'ping', id: 'ok' });
      await sender.next('pong');
      await by.check();
    } finally {
      await server.close();
    }
  });

  it('INTERNAL › a handler failure becomes INTERNAL with an incident id and no internals', async () => {
    const server = await startServer(
      {},
      {
        hooks: {
          beforeDispatch(msg: ClientMessage) {
            if (msg.type === 'ping' && msg.ts === 666) throw new Error('secret internal detail');
          },
        },
      },
    );
    try {
      const by = await bystanders(server);
      const c = await connectClient(server.wsUrl);
      await c.hello('i-victim');
      c.send({ type: 'ping', id: 'boom', ts: 666 });
      const e = await expectError(c, 'INTERNAL', 'boom');
      assert.match(e.message, /incident [0-9a-f-]{36}/);
      assert.doesNotMatch(e.message, /secret|Error|at /);
      c.send({ type: 'ping', id: 'after', ts: 1 });
      assert.equal((await c.next('pong')).re, 'after');
      await by.check();
    } finally {
      await server.close();
    }
  });

  it('SHUTTING_DOWN › closing the server sends server.draining, then closes with 4012', async () => {
    const server = await startServer();
    const c = await connectClient(server.wsUrl);
    await c.hello('d-client');
    const closing = server.close();
    const draining = await c.next('server.draining');
    assert.ok(draining.reconnectMs >= 0);
    await expectFatal(c, 'SHUTTING_DOWN');
    await closing;
    await server.close(); // idempotent
  });

  it('UNAUTHORIZED › an authorizer refusing the hello token closes with 4003; rooms and upgrades too', async () => {
    const server = await startServer(
      {},
      {
        authorizer: {
          upgrade: (req) => (req.headers.origin === 'https://evil.example' ? 403 : undefined),
          hello: ({ token }) => {
            if (!token?.startsWith('ok:')) throw new ParleyError('UNAUTHORIZED', 'invalid access token');
            return { rooms: token.slice(3).split(',') };
          },
          roomJoin: (ctx, room) => {
            if (!(ctx as { rooms: string[] }).rooms.includes(room)) {
              throw new ParleyError('FORBIDDEN', 'the token does not allow this room');
            }
          },
        },
      },
    );
    try {
      const x = await connectClient(server.wsUrl);
      const y = await connectClient(server.wsUrl);
      await x.hello('au-x', { token: 'ok:any' });
      await y.hello('au-y', { token: 'ok:any' });
      const c = await connectClient(server.wsUrl);
      c.send({ type: 'hello', versions: ['1'], name: 'au-intruder', token: 'forged' });
      await expectFatal(c, 'UNAUTHORIZED');
      const d = await connectClient(server.wsUrl);
      await d.hello('au-member', { token: 'ok:lobby' });
      d.send({ type: 'room.join', id: 1, room: 'vip' });
      await expectError(d, 'FORBIDDEN', 1);
      d.send({ type: 'room.join', id: 2, room: 'lobby' });
      assert.equal((await d.next('room.joined')).re, 2);
      await assert.rejects(connectClient(server.wsUrl, { origin: 'https://evil.example' }), /HTTP 403/);
      // x and y are in a call, so x may signal y.
      x.send({ type: 'call.invite', to: 'au-y' });
      const { call } = await x.next('call.ringing');
      await y.next('call.incoming');
      y.send({ type: 'call.accept', call });
      await x.next('call.accepted');
      x.send({ type: 'signal', to: 'au-y', data: 'still here' });
      assert.equal((await y.next('signal')).data, 'still here');
    } finally {
      await server.close();
    }
  });

  it('FORBIDDEN › presence.subscribe when presence is off', async () => {
    const server = await startServer({ PARLEY_PRESENCE: 'off' });
    try {
      const by = await bystanders(server);
      const c = await connectClient(server.wsUrl);
      await c.hello('p-off');
      c.send({ type: 'presence.subscribe', id: 1 });
      await expectError(c, 'FORBIDDEN', 1);
      await by.check();
    } finally {
      await server.close();
    }
  });
});
