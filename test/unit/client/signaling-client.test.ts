import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { ExponentialBackoffPolicy } from '../../../packages/client/src/signaling/reconnect-policy.ts';
import {
  SignalingClient,
  type SignalingClientOptions,
  type StorageLike,
  storageKey,
} from '../../../packages/client/src/signaling/signaling-client.ts';
import type { WakeReason } from '../../../packages/client/src/signaling/wake-signals.ts';
import { until } from '../../helpers/wait.ts';
import { type FakeSocket, fakeWebSocket, onFakes, tick, welcome } from './fakes.ts';

const URL = 'ws://parley.test/ws';
const fast = new ExponentialBackoffPolicy({ initialDelayMs: 1, maxDelayMs: 5, jitter: 0 });

class MemoryStorage implements StorageLike {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

const open: SignalingClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close({ bye: false });
});

function make(over: Partial<SignalingClientOptions> = {}) {
  // A bare SignalingClient: `signal` data is the app's own JSON here.
  const ws = fakeWebSocket({ sdkSignals: false });
  const client = new SignalingClient(URL, {
    name: 'alice',
    WebSocket: ws.WebSocket,
    storage: null,
    reconnectPolicy: fast,
    ...over,
  });
  open.push(client);
  return { client, sockets: ws.sockets };
}

/** A wake source the test fires by hand (`hub.wake`), null once unsubscribed. */
function wakeHub() {
  const hub: { wake: ((r: WakeReason) => void) | null } = { wake: null };
  const wakeSource = (fn: (r: WakeReason) => void) => {
    hub.wake = fn;
    return () => {
      hub.wake = null;
    };
  };
  return { hub, wakeSource };
}

/** Opens the client against socket #index, answering hello with welcome. */
async function login(sockets: FakeSocket[], index: number, over: Record<string, unknown> = {}) {
  await until(() => sockets[index], { ...onFakes, what: `socket ${index}` });
  const s = sockets[index] as FakeSocket;
  s.accept();
  const hello = s.last('hello');
  assert.ok(hello, 'hello sent on open');
  s.push(welcome({ re: hello.id, ...over }));
  return s;
}

describe('SignalingClient', () => {
  it('says hello with our versions and name, and opens on welcome', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    const w = await opened;
    assert.equal(w.session, 'session-token-0123456789');
    assert.equal(client.state, 'open');
    const hello = s.sent[0] as Record<string, unknown>;
    assert.deepEqual(hello.versions, ['1']);
    assert.equal(hello.name, 'alice');
    assert.equal(hello.resume, undefined, 'no token to resume on a first connection');
  });

  it('fails the first login fast with the server’s code (NAME_TAKEN)', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    await until(() => sockets[0], { ...onFakes, what: 'sockets[0]' });
    const s = sockets[0] as FakeSocket;
    s.accept();
    s.push({ type: 'error', re: s.last('hello')?.id, code: 'NAME_TAKEN', message: 'taken' });
    await assert.rejects(opened, { name: 'ParleyError', code: 'NAME_TAKEN' });
    assert.equal(client.state, 'failed');
    assert.equal(client.reason, 'NAME_TAKEN');
    assert.equal(sockets.length, 1, 'no retry of a refused first login');
  });

  it('correlates a request with its reply by id/re', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    const reply = client.request({ type: 'room.join', room: 'standup' });
    const frame = s.last('room.join');
    assert.ok(frame?.id !== undefined);
    s.push({ type: 'peer.joined', room: 'standup', name: 'zed' }); // unrelated frame first
    s.push({ type: 'room.joined', re: frame.id, room: 'standup', peers: ['bob'] });
    const msg = await reply;
    assert.equal(msg.type, 'room.joined');
  });

  it('rejects a request answered by an error frame with its ParleyError code', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    const reply = client.request({ type: 'call.invite', to: 'nobody' });
    s.push({ type: 'error', re: s.last('call.invite')?.id, code: 'PEER_NOT_FOUND', message: 'no such peer' });
    await assert.rejects(reply, { name: 'ParleyError', code: 'PEER_NOT_FOUND' });
    assert.equal(client.state, 'open', 'a non-fatal error keeps the connection');
  });

  it('gives the ParleyError the reason of the error frame; a reason it does not know reads as none', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    const join = client.request({ type: 'room.join', room: 'r' });
    const message = 'room password required or wrong';
    s.push({
      type: 'error',
      re: s.last('room.join')?.id,
      code: 'FORBIDDEN',
      message,
      reason: 'password_required',
    });
    await assert.rejects(join, {
      name: 'ParleyError',
      code: 'FORBIDDEN',
      reason: 'password_required',
      message,
    });
    const again = client.request({ type: 'room.join', room: 'r' });
    // A string: a reason this SDK does not know is off its schema on purpose.
    s.push(
      JSON.stringify({
        type: 'error',
        re: s.last('room.join')?.id,
        code: 'FORBIDDEN',
        message: 'm',
        reason: 'from_the_future',
      }),
    );
    await assert.rejects(again, (err: unknown) => {
      assert.ok(err instanceof ParleyError);
      assert.equal(err.code, 'FORBIDDEN');
      assert.equal(err.reason, undefined);
      return true;
    });
  });

  it('times a request out with TimeoutError', async () => {
    const { client, sockets } = make({ requestTimeoutMs: 20 });
    const opened = client.open();
    await login(sockets, 0);
    await opened;
    await assert.rejects(client.request({ type: 'presence.subscribe' }), { name: 'TimeoutError' });
  });

  it('rejects pending requests with InvalidStateError on close, and says bye', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    const pending = client.request({ type: 'room.join', room: 'x' });
    client.close();
    await assert.rejects(pending, { name: 'InvalidStateError' });
    assert.ok(s.last('bye'), 'bye sent');
    assert.equal(client.state, 'closed');
    assert.throws(() => client.send({ type: 'room.leave', room: 'x' }), { name: 'InvalidStateError' });
  });

  it('drops invalid frames without throwing or closing', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    const seen: string[] = [];
    client.on('message', (m) => seen.push(m.type));
    s.push('not json');
    // Strings: the fake server passes them as they are (objects must be on the schema).
    s.push(JSON.stringify({ type: 'no.such.type' }));
    s.push(JSON.stringify({ type: 'peer.joined', room: 'r' })); // missing name
    s.push({ type: 'peer.joined', room: 'r', name: 'bob' });
    assert.deepEqual(seen, ['peer.joined']);
    assert.equal(client.state, 'open');
  });

  it('queues frames while reconnecting, resumes with the token, then flushes them in order', async () => {
    const { client, sockets } = make();
    const states: string[] = [];
    client.on('state', (st) => states.push(st));
    const opened = client.open();
    const first = await login(sockets, 0);
    await opened;
    first.drop(1006);
    assert.equal(client.state, 'reconnecting');
    client.send({ type: 'signal', to: 'bob', data: { n: 1 } });
    client.send({ type: 'signal', to: 'bob', data: { n: 2 } });
    client.send({ type: 'ping' }); // pings are not queued
    await until(() => sockets[1], { ...onFakes, what: 'a new socket' });
    const second = sockets[1] as FakeSocket;
    second.accept();
    const hello = second.last('hello');
    assert.equal(hello?.resume, 'session-token-0123456789', 'resumes with the session token');
    assert.equal(second.sent.length, 1, 'nothing but hello before welcome');
    const welcomes: boolean[] = [];
    client.on('welcome', (w) => welcomes.push(w.resumed));
    second.push(welcome({ re: hello?.id, resumed: true }));
    assert.deepEqual(
      second.sent.slice(1).map((f) => (f.data as { n: number }).n),
      [1, 2],
    );
    assert.deepEqual(welcomes, [true]);
    assert.deepEqual(states, ['open', 'reconnecting', 'open']);
  });

  it('stores the rotated token of every welcome and resumes with the newest one', async () => {
    const storage = new MemoryStorage();
    const { client, sockets } = make({ storage });
    const opened = client.open();
    const first = await login(sockets, 0);
    await opened;
    first.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'a new socket' });
    const second = sockets[1] as FakeSocket;
    second.accept();
    assert.equal(second.last('hello')?.resume, 'session-token-0123456789');
    // The server rotates the token on every resume (issue 15, finding 7).
    second.push(
      welcome({ re: second.last('hello')?.id, resumed: true, session: 'rotated-token-1-abcdefgh' }),
    );
    assert.ok(storage.getItem(storageKey(URL))?.includes('rotated-token-1-abcdefgh'));
    assert.ok(!storage.getItem(storageKey(URL))?.includes('session-token-0123456789'));
    second.drop(1006);
    await until(() => sockets[2], { ...onFakes, what: 'a third socket' });
    const third = sockets[2] as FakeSocket;
    third.accept();
    assert.equal(third.last('hello')?.resume, 'rotated-token-1-abcdefgh');
  });

  it('keeps a request sent while offline and answers it after the reconnect', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    (await login(sockets, 0)).drop();
    await opened;
    const reply = client.request({ type: 'room.join', room: 'r' });
    const s = await login(sockets, 1, { resumed: true });
    const frame = s.last('room.join');
    assert.ok(frame, 'flushed after welcome');
    s.push({ type: 'room.joined', re: frame.id, room: 'r', peers: [] });
    assert.equal((await reply).type, 'room.joined');
  });

  it('fails when the policy gives up, rejecting pending requests', async () => {
    const { client, sockets } = make({
      reconnectPolicy: { nextDelayMs: ({ attempt }) => (attempt < 2 ? 1 : null) },
    });
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    const pending = client.request({ type: 'room.join', room: 'r' });
    s.drop();
    // Two retries whose sockets die before welcome, then the policy says stop.
    await until(() => sockets[1], { ...onFakes, what: 'sockets[1]' });
    (sockets[1] as FakeSocket).drop();
    await until(() => sockets[2], { ...onFakes, what: 'sockets[2]' });
    (sockets[2] as FakeSocket).drop();
    await until(() => client.state === 'failed', { ...onFakes, what: 'failed' });
    await assert.rejects(pending, { name: 'ConnectionError' });
    assert.equal(sockets.length, 3);
  });

  it('does not retry after SESSION_REPLACED (another tab took the session)', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    s.push({ type: 'error', code: 'SESSION_REPLACED', message: 'replaced', fatal: true });
    s.drop(4004, 'SESSION_REPLACED');
    assert.equal(client.state, 'failed');
    assert.equal(client.reason, 'SESSION_REPLACED');
    await tick(10);
    assert.equal(sockets.length, 1);
  });

  it('waits the server’s draining hint before reconnecting', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    s.push({ type: 'server.draining', reconnectMs: 80 });
    const dropped = Date.now();
    s.drop(4012, 'SHUTTING_DOWN');
    await until(() => sockets[1], { ...onFakes, what: 'reconnect', timeoutMs: 2000 });
    assert.ok(Date.now() - dropped >= 70, `waited ${Date.now() - dropped} ms`);
  });

  it('pings every heartbeat and reconnects when the server goes silent', async () => {
    const { client, sockets } = make();
    const opened = client.open();
    const s = await login(sockets, 0, { heartbeatMs: 10 });
    await opened;
    await until(() => s.sent.some((f) => f.type === 'ping'), { ...onFakes, what: 'a ping' });
    // Never answer: after 2 heartbeats + slack the link is declared dead.
    await until(() => sockets[1], { ...onFakes, what: 'a new socket after silence', timeoutMs: 5000 });
    assert.equal(s.closedWith?.reason, 'timeout');
  });

  it('redials at once when an open link’s socket closes, whatever the backoff says', async () => {
    const slow = new ExponentialBackoffPolicy({ initialDelayMs: 60_000, jitter: 0 });
    const { client, sockets } = make({ reconnectPolicy: slow });
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'an immediate redial', timeoutMs: 500 });
    // The next attempt fails: that one waits the policy's delay.
    (sockets[1] as FakeSocket).drop(1006);
    await tick(30);
    assert.equal(sockets.length, 2, 'later attempts keep their backoff');
  });

  it('on a wake signal while waiting out a backoff, dials now', async () => {
    const slow = new ExponentialBackoffPolicy({ initialDelayMs: 60_000, jitter: 0 });
    const hub: { wake: ((r: WakeReason) => void) | null } = { wake: null };
    const { client, sockets } = make({
      reconnectPolicy: slow,
      wakeSource: (fn) => {
        hub.wake = fn;
        return () => {
          hub.wake = null;
        };
      },
    });
    const wakes: string[] = [];
    client.on('wake', (r) => wakes.push(r));
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'the immediate redial' });
    (sockets[1] as FakeSocket).drop(1006); // now waiting 120 s
    await tick(10);
    assert.equal(sockets.length, 2);
    hub.wake?.('online');
    await until(() => sockets[2], { ...onFakes, what: 'a dial on wake', timeoutMs: 200 });
    await login(sockets, 2);
    await until(() => client.state === 'open', { ...onFakes, what: 'open again' });
    assert.deepEqual(wakes, ['online']);
    client.close({ bye: false });
    assert.equal(hub.wake, null, 'unsubscribed on close');
  });

  it('on a wake signal while open, probes the server and redials if it does not answer in time', async () => {
    const hub: { wake: ((r: WakeReason) => void) | null } = { wake: null };
    const { client, sockets } = make({
      wakeProbeMs: 50,
      wakeSource: (fn) => {
        hub.wake = fn;
        return () => {};
      },
    });
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    // A live server answers the probe: the link stays.
    hub.wake?.('visible');
    const ping = s.last('ping');
    assert.ok(ping, 'a ping went out at once');
    s.push({ type: 'pong', ts: ping.ts });
    await tick(100);
    assert.equal(sockets.length, 1);
    assert.equal(client.state, 'open');
    // A dead one does not: abandoned after the 50 ms deadline, redialled at once.
    hub.wake?.('resume');
    await until(() => sockets[1], {
      ...onFakes,
      what: 'a redial after an unanswered probe',
      timeoutMs: 1000,
    });
    assert.equal(s.closedWith?.reason, 'timeout');
  });

  it('holds the redial when the browser closed the socket as going away (1001); a wake cuts the hold short', async () => {
    const { hub, wakeSource } = wakeHub();
    const { client, sockets } = make({ goingAwayHoldMs: 150, wakeSource });
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    // Firefox closes a page's sockets with 1001 as a reload starts, while the old page runs on.
    const dropped = Date.now();
    s.drop(1001);
    assert.equal(client.state, 'reconnecting');
    await tick(60);
    assert.equal(sockets.length, 1, 'no redial at once from a page that is going away');
    await until(() => sockets[1], { ...onFakes, what: 'the redial after the hold', timeoutMs: 2000 });
    assert.ok(Date.now() - dropped >= 140, `redialled after ${Date.now() - dropped} ms`);
    await login(sockets, 1);
    await until(() => client.state === 'open', { ...onFakes, what: 'open again' });
    // The page was not going away after all and is shown again: dial now, not after the hold.
    (sockets[1] as FakeSocket).drop(1001);
    await tick(10);
    assert.equal(sockets.length, 2);
    hub.wake?.('visible');
    await until(() => sockets[2], { ...onFakes, what: 'a dial on wake', timeoutMs: 100 });
  });

  it('leaving(): says `leaving` on the open link, then never redials (a dying page must not spend the token)', async () => {
    const storage = new MemoryStorage();
    const { client, sockets } = make({ storage, goingAwayHoldMs: 20 });
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    client.leaving();
    assert.deepEqual(s.last('leaving'), { type: 'leaving' });
    s.drop(1001);
    await tick(80);
    s.drop(1006);
    await tick(30);
    assert.equal(sockets.length, 1, 'no redial after leaving');
    assert.equal(client.state, 'reconnecting');
    assert.ok(storage.getItem(storageKey(URL))?.includes('session-token-0123456789'), 'the token stays');
    client.leaving(); // idempotent, nothing to send on a dropped link
    assert.equal(s.sent.filter((f) => f.type === 'leaving').length, 1);
  });

  it('leaving() while redialling drops the socket still connecting; a later wake (page shown again) dials', async () => {
    const { hub, wakeSource } = wakeHub();
    const { client, sockets } = make({ wakeSource });
    const opened = client.open();
    const s = await login(sockets, 0);
    await opened;
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'the immediate redial' });
    const connecting = sockets[1] as FakeSocket;
    client.leaving();
    assert.deepEqual(connecting.closedWith, { code: 1000, reason: 'leaving' });
    connecting.accept(); // too late: detached, no hello goes out
    assert.equal(connecting.sent.length, 0);
    await tick(20);
    assert.equal(sockets.length, 2);
    hub.wake?.('pageshow');
    await until(() => sockets[2], { ...onFakes, what: 'a dial once the page is back', timeoutMs: 200 });
  });

  it('keeps the session token in storage so a reloaded page resumes it', async () => {
    const storage = new MemoryStorage();
    const a = make({ storage });
    const opened = a.client.open();
    await login(a.sockets, 0);
    await opened;
    assert.ok(storage.getItem(storageKey(URL))?.includes('session-token-0123456789'));
    // "Reload": a new client on the same storage, same name.
    const b = make({ storage });
    b.client.open().catch(() => {});
    await until(() => b.sockets[0], { ...onFakes, what: 'b.sockets[0]' });
    (b.sockets[0] as FakeSocket).accept();
    assert.equal(b.sockets[0]?.last('hello')?.resume, 'session-token-0123456789');
    // Another name does not reuse it.
    const c = make({ storage, name: 'carol' });
    c.client.open().catch(() => {});
    await until(() => c.sockets[0], { ...onFakes, what: 'c.sockets[0]' });
    (c.sockets[0] as FakeSocket).accept();
    assert.equal(c.sockets[0]?.last('hello')?.resume, undefined);
  });

  it('forgets the token after close with bye', async () => {
    const storage = new MemoryStorage();
    const { client, sockets } = make({ storage });
    const opened = client.open();
    await login(sockets, 0);
    await opened;
    client.close();
    assert.equal(storage.getItem(storageKey(URL)), null);
  });
});
