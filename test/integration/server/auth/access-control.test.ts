/**
 * Access control wired into a real server: access tokens on `hello` (HS256 and ES256), the
 * token's `rooms`, room passwords with their per-address limiter, the Origin allow list, the
 * per-address `hello` limit, and `X-Forwarded-For` believed only from trusted proxies. Every
 * refusal is checked for its code (and close code when fatal) while a bystander pair of sessions
 * keeps relaying untouched.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { closeCodeFor, type ErrorCode } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { ROOM_PASSWORD_REFUSED } from '../../../../packages/server/src/auth/room-password.ts';
import { signAccessToken } from '../../../../packages/server/src/auth/token-signer.ts';
import { connectCall } from '../../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import {
  closeAllClients,
  connectClient,
  helloWithHeaders,
  type TestClient,
} from '../../../helpers/ws-client.ts';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
const OTHER_SECRET = 'another-secret-of-at-least-32-bytes-length!';

const hs = (name: string, extra: { rooms?: string[]; ttlS?: number; nowMs?: number } = {}) =>
  signAccessToken({ name, ttlS: extra.ttlS ?? 600, secret: SECRET, ...extra });

let seq = 0;

/** Two sessions in a call relaying signals to each other; `check()` proves they still do. */
async function bystanders(server: ParleyServer, token?: (name: string) => Promise<string>) {
  seq++;
  const xName = `bx${seq}`;
  const yName = `by${seq}`;
  const x = await connectClient(server.wsUrl);
  const y = await connectClient(server.wsUrl);
  await x.hello(xName, token ? { token: await token(xName) } : {});
  await y.hello(yName, token ? { token: await token(yName) } : {});
  // In a call, so they may signal each other (tokens may not allow any room).
  await connectCall(x, y, yName);
  let n = 0;
  return {
    async check() {
      n++;
      x.send({ type: 'signal', to: yName, data: { n } });
      assert.deepEqual((await y.next('signal')).data, { n });
      y.send({ type: 'signal', to: xName, data: { back: n } });
      assert.deepEqual((await x.next('signal')).data, { back: n });
      for (const c of [x, y]) {
        assert.equal(c.frames.filter((f) => f.type === 'error').length, 0, 'bystander got an error');
        assert.equal(c.ws.readyState, WebSocket.OPEN);
      }
    },
  };
}

/** Sends `hello` and expects a fatal refusal: the error frame, then the close code. */
async function expectFatalHello(c: TestClient, hello: Record<string, unknown>, code: ErrorCode) {
  c.send({ type: 'hello', versions: ['1'], id: 'h', ...hello });
  const err = await c.next('error');
  assert.equal(err.code, code, err.message);
  assert.equal(err.re, 'h');
  const closed = await c.closed;
  assert.equal(closed.code, closeCodeFor(code));
  assert.equal(closed.reason, code);
  return err;
}

/** Sends a request and expects a non-fatal error of `code`; the socket stays open. */
async function expectError(c: TestClient, msg: Record<string, unknown>, code: ErrorCode) {
  c.send({ id: 'r', ...msg });
  const err = await c.next('error');
  assert.equal(err.code, code, err.message);
  assert.equal(err.re, 'r');
  assert.ok(!err.fatal);
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  return err;
}

afterEach(() => closeAllClients());
after(() => stopAllServers());

describe('access tokens, HS256 (PARLEY_AUTH_SECRET)', () => {
  let server: ParleyServer;
  let by: Awaited<ReturnType<typeof bystanders>>;
  before(async () => {
    // A large hello budget: this file's own limit test is below.
    server = await startServer({
      PARLEY_AUTH_SECRET: SECRET,
      PARLEY_GRACE_S: '5',
      PARLEY_HELLO_BURST: '1000',
      PARLEY_STUN_URLS: 'stun:turn.example.test:3478',
      PARLEY_TURN_URLS: 'turn:turn.example.test:3478?transport=udp',
      PARLEY_TURN_SECRET: 'turn-secret',
    });
  });
  afterEach(async () => {
    await by?.check();
  });

  async function fresh() {
    by = await bystanders(server, (n) => hs(n));
    return connectClient(server.wsUrl);
  }

  it('a valid token for the name logs in; the claims stay with the session', async () => {
    const c = await fresh();
    const w = await c.hello('alice', { token: await hs('alice') });
    assert.equal(w.name, 'alice');
  });

  it('roles from the token (issue 21): a pinned member does not host; a granted host does and passes a lock', async () => {
    const withRole = (name: string, role: string) =>
      new SignJWT({ name, roles: { 'tr-*': role } })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(SECRET));
    await fresh();
    const pupil = await connectClient(server.wsUrl);
    await pupil.hello('tr-pupil', { token: await withRole('tr-pupil', 'member') });
    pupil.send({ type: 'room.join', room: 'tr-class' });
    await pupil.next('room.joined');
    assert.equal((await pupil.next('room.participants')).participants[0]!.role, 'member');
    const teacher = await connectClient(server.wsUrl);
    await teacher.hello('tr-teacher', { token: await withRole('tr-teacher', 'host') });
    teacher.send({ type: 'room.join', room: 'tr-class' });
    await teacher.next('room.joined');
    teacher.send({ type: 'host.lock', id: 1, room: 'tr-class', locked: true });
    await teacher.next('host.lock.done');
    const head = await connectClient(server.wsUrl);
    await head.hello('tr-head', { token: await withRole('tr-head', 'host') });
    head.send({ type: 'room.join', room: 'tr-class' });
    await head.next('room.joined');
    const late = await connectClient(server.wsUrl);
    await late.hello('tr-late', { token: await withRole('tr-late', 'member') });
    late.send({ type: 'room.join', id: 'j', room: 'tr-class' });
    assert.equal((await late.next('error')).code, 'ROOM_LOCKED');
  });

  it('UNAUTHORIZED (4003) › no token', async () => {
    const c = await fresh();
    const err = await expectFatalHello(c, { name: 'mallory' }, 'UNAUTHORIZED');
    assert.match(err.message, /token required/);
  });

  it('UNAUTHORIZED › expired token', async () => {
    const c = await fresh();
    const token = await hs('mallory', { ttlS: 60, nowMs: Date.now() - 3600_000 });
    const err = await expectFatalHello(c, { name: 'mallory', token }, 'UNAUTHORIZED');
    assert.match(err.message, /expired/);
  });

  it('UNAUTHORIZED › signed with another secret', async () => {
    const c = await fresh();
    const token = await signAccessToken({ name: 'mallory', ttlS: 600, secret: OTHER_SECRET });
    const err = await expectFatalHello(c, { name: 'mallory', token }, 'UNAUTHORIZED');
    assert.match(err.message, /signature/);
  });

  it('UNAUTHORIZED › an ES256 token where HS256 is configured', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const token = await signAccessToken({
      name: 'mallory',
      ttlS: 600,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const c = await fresh();
    const err = await expectFatalHello(c, { name: 'mallory', token }, 'UNAUTHORIZED');
    assert.match(err.message, /algorithm/);
  });

  it('UNAUTHORIZED › a token issued for another name (cannot take over that name either)', async () => {
    const c = await fresh();
    const err = await expectFatalHello(c, { name: 'mallory', token: await hs('alice-real') }, 'UNAUTHORIZED');
    assert.match(err.message, /another name/);
  });

  it('FORBIDDEN (session goes on) › a room the token does not list; listed rooms and patterns work', async () => {
    const c = await fresh();
    await c.hello('carol', { token: await hs('carol', { rooms: ['standup', 'team-*'] }) });
    const refused = await expectError(c, { type: 'room.join', room: 'secret-board' }, 'FORBIDDEN');
    assert.equal(refused.reason, 'room_not_in_token');
    c.send({ type: 'room.join', room: 'team-red', id: 1 });
    assert.equal((await c.next('room.joined')).room, 'team-red');
    c.send({ type: 'room.join', room: 'standup', id: 2 });
    assert.equal((await c.next('room.joined')).room, 'standup');
  });

  it('resume needs a valid token again; a session outlives its token otherwise', async () => {
    const c = await fresh();
    const w = await c.hello('dave', { token: await hs('dave') });
    c.ws.terminate();
    await c.closed;
    const noToken = await connectClient(server.wsUrl);
    await expectFatalHello(noToken, { name: 'dave', resume: w.session }, 'UNAUTHORIZED');
    // A resume token resumes its own session's name only: presented with another name (and a
    // valid access token for that name) it is ignored, and the hello is a fresh login for that
    // name (issue 15, finding 7: it used to be a misleading fatal UNAUTHORIZED).
    const otherName = await connectClient(server.wsUrl);
    const erin = await otherName.hello('erin', { resume: w.session, token: await hs('erin') });
    assert.equal(erin.resumed, false);
    assert.equal(erin.name, 'erin');
    assert.notEqual(erin.session, w.session);
    const ok = await connectClient(server.wsUrl);
    const again = await ok.hello('dave', { resume: w.session, token: await hs('dave') });
    assert.equal(again.resumed, true);
    // Every resume rotates the token (issue 15, finding 7).
    assert.notEqual(again.session, w.session);
  });

  it('GET /ice hands out TURN credentials only for a valid bearer token; STUN to everyone', async () => {
    by = await bystanders(server, (n) => hs(n));
    type Ice = { urls: string | string[]; username?: string; credential?: string };
    const ice = async (authorization?: string): Promise<Ice[]> => {
      const res = await fetch(`${server.url}/ice`, authorization ? { headers: { authorization } } : {});
      assert.equal(res.status, 200);
      return ((await res.json()) as { iceServers: Ice[] }).iceServers;
    };
    const forged = await signAccessToken({ name: 'm', ttlS: 60, secret: OTHER_SECRET });
    for (const anonymous of [await ice(), await ice('Bearer not-a-token'), await ice(`Bearer ${forged}`)]) {
      assert.ok(anonymous.length > 0);
      for (const s of anonymous) {
        assert.equal(s.credential, undefined);
        assert.ok(
          [s.urls].flat().every((u) => u.startsWith('stun:')),
          JSON.stringify(s),
        );
      }
    }
    const holder = await ice(`Bearer ${await hs('selftest-user')}`);
    assert.ok(holder.some((s) => s.credential && [s.urls].flat().some((u) => u.startsWith('turn:'))));
  });

  it('a session admitted with a token keeps working after the token expires', async () => {
    // exp one second from now; the verifier allows 5 s of clock skew on top.
    const token = await hs('frank', { ttlS: 2, nowMs: Date.now() - 1000 });
    const c = await fresh();
    await c.hello('frank', { token });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const probe = await connectClient(server.wsUrl);
      probe.send({ type: 'hello', versions: ['1'], name: 'frank2', token });
      const f = await probe.next();
      await probe.close();
      if (f.type === 'error') {
        assert.match(f.message, /another name|expired/);
        if (/expired/.test(f.message)) break;
      }
      assert.ok(Date.now() < deadline, 'token never expired');
      await new Promise((r) => setTimeout(r, 250));
    }
    c.send({ type: 'ping', id: 'still' });
    assert.equal((await c.next('pong')).re, 'still');
    c.send({ type: 'room.join', room: 'after-expiry', id: 3 });
    assert.equal((await c.next('room.joined')).room, 'after-expiry');
  });
});

describe('access tokens, ES256 (PARLEY_AUTH_PUBLIC_KEY)', () => {
  let server: ParleyServer;
  let by: Awaited<ReturnType<typeof bystanders>>;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const es = (name: string) => signAccessToken({ name, ttlS: 600, privateKeyPem: privatePem });

  before(async () => {
    server = await startServer({
      PARLEY_AUTH_PUBLIC_KEY: publicPem,
      PARLEY_AUTH_ISSUER: 'https://login.test',
    });
  });
  beforeEach(async () => {
    by = await bystanders(server, (n) =>
      signAccessToken({ name: n, ttlS: 600, privateKeyPem: privatePem, issuer: 'https://login.test' }),
    );
  });
  afterEach(async () => {
    await by.check();
  });

  it('a token signed with the private key (and the configured issuer) logs in', async () => {
    const c = await connectClient(server.wsUrl);
    const token = await signAccessToken({
      name: 'alice',
      ttlS: 600,
      privateKeyPem: privatePem,
      issuer: 'https://login.test',
    });
    assert.equal((await c.hello('alice', { token })).name, 'alice');
  });

  it('UNAUTHORIZED › wrong issuer', async () => {
    const c = await connectClient(server.wsUrl);
    const err = await expectFatalHello(c, { name: 'mallory', token: await es('mallory') }, 'UNAUTHORIZED');
    assert.match(err.message, /issuer/);
  });

  it('UNAUTHORIZED › alg confusion: HS256 "signed" with the public key as the HMAC secret', async () => {
    const forged = await new SignJWT({ name: 'mallory' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://login.test')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(publicPem));
    const c = await connectClient(server.wsUrl);
    const err = await expectFatalHello(c, { name: 'mallory', token: forged }, 'UNAUTHORIZED');
    assert.match(err.message, /algorithm/);
  });

  it('UNAUTHORIZED › alg "none"', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ name: 'mallory', iss: 'https://login.test', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    const c = await connectClient(server.wsUrl);
    await expectFatalHello(c, { name: 'mallory', token: none }, 'UNAUTHORIZED');
  });
});

describe('room passwords', () => {
  let server: ParleyServer;
  let by: Awaited<ReturnType<typeof bystanders>>;
  before(async () => {
    // 4 password attempts per address at once; the creator's own password counts as one.
    server = await startServer({ PARLEY_PASSWORD_BURST: '4', PARLEY_PASSWORD_RATE_PER_S: '0.001' });
  });
  beforeEach(async () => {
    by = await bystanders(server);
  });
  afterEach(async () => {
    await by.check();
  });

  it('FORBIDDEN › missing and wrong give one message that names nobody; then RATE_LIMITED before scrypt', async () => {
    const owner = await connectClient(server.wsUrl);
    await owner.hello('owner-zed');
    owner.send({ type: 'room.join', room: 'vault', password: 'correct horse', id: 1 }); // attempt 1
    await owner.next('room.joined');
    const guest = await connectClient(server.wsUrl);
    await guest.hello('guest');
    const missing = await expectError(guest, { type: 'room.join', room: 'vault' }, 'FORBIDDEN');
    const wrong = await expectError(
      guest,
      { type: 'room.join', room: 'vault', password: 'battery' },
      'FORBIDDEN',
    ); // 2
    assert.equal(missing.message, ROOM_PASSWORD_REFUSED);
    assert.equal(wrong.message, missing.message);
    // Programs tell them apart by reason, which says only what the guest itself sent.
    assert.equal(missing.reason, 'password_required');
    assert.equal(wrong.reason, 'password_wrong');
    assert.ok(!wrong.message.includes('owner-zed'));
    guest.send({ type: 'room.join', room: 'vault', password: 'correct horse', id: 2 }); // 3
    assert.deepEqual((await guest.next('room.joined')).peers, ['owner-zed']);
    const third = await connectClient(server.wsUrl);
    await third.hello('third');
    await expectError(third, { type: 'room.join', room: 'vault', password: 'staple' }, 'FORBIDDEN'); // 4
    const limited = await expectError(
      third,
      { type: 'room.join', room: 'vault', password: 'correct horse' },
      'RATE_LIMITED',
    );
    assert.match(limited.message, /password/);
    // A room without a password is not affected by the password limit.
    third.send({ type: 'room.join', room: 'open-room', id: 5 });
    assert.equal((await third.next('room.joined')).room, 'open-room');
    assert.equal(owner.frames.filter((f) => f.type === 'error').length, 0);
  });
});

describe('Origin allow list (PARLEY_ALLOWED_ORIGINS)', () => {
  let server: ParleyServer;
  let by: Awaited<ReturnType<typeof bystanders>>;
  before(async () => {
    server = await startServer({ PARLEY_ALLOWED_ORIGINS: 'https://app.example.com, https://*.example.org' });
  });
  beforeEach(async () => {
    by = await bystanders(server);
  });
  afterEach(async () => {
    await by.check();
  });

  it('HTTP 403 for a foreign page; listed origins, subdomain patterns and no Origin (CLI) connect', async () => {
    await assert.rejects(connectClient(server.wsUrl, { origin: 'https://evil.example.net' }), /HTTP 403/);
    await assert.rejects(connectClient(server.wsUrl, { origin: 'http://app.example.com' }), /HTTP 403/);
    await assert.rejects(connectClient(server.wsUrl, { origin: 'https://example.org' }), /HTTP 403/);
    for (const origin of ['https://app.example.com', 'https://a.example.org', undefined]) {
      const c = await connectClient(server.wsUrl, origin ? { origin } : {});
      await c.hello(`o${seq++}`);
    }
    assert.equal((await server.health()).status, 'ok');
  });
});

const sockets = new Set<WebSocket>();
afterEach(() => {
  for (const ws of sockets) ws.terminate();
  sockets.clear();
});

describe('hello limit per address, and X-Forwarded-For only from trusted proxies', () => {
  let by: Awaited<ReturnType<typeof bystanders>> | undefined;
  afterEach(async () => {
    await by?.check();
    by = undefined;
  });

  it('RATE_LIMITED (non-fatal) after the burst of hellos from one address; others unaffected', async () => {
    const server = await startServer({ PARLEY_HELLO_BURST: '4', PARLEY_HELLO_RATE_PER_S: '0.001' });
    by = await bystanders(server); // hellos 1 and 2 from 127.0.0.1
    const c = await connectClient(server.wsUrl);
    c.send({ type: 'hello', versions: ['1'], name: 'taken-name' });
    await c.next('welcome'); // 3
    const scanner = await connectClient(server.wsUrl);
    await expectError(scanner, { type: 'hello', versions: ['1'], name: 'taken-name' }, 'NAME_TAKEN'); // 4
    const limited = await expectError(scanner, { type: 'hello', versions: ['1'], name: 'x' }, 'RATE_LIMITED');
    assert.match(limited.message, /hello/);
    // Still not logged in, still open: the client may retry later.
    await expectError(scanner, { type: 'ping' }, 'NOT_LOGGED_IN');
  });

  it('behind a trusted proxy (loopback) each forwarded client has its own budget', async () => {
    const server = await startServer({
      PARLEY_TRUST_PROXY: 'loopback',
      PARLEY_HELLO_BURST: '1',
      PARLEY_HELLO_RATE_PER_S: '0.001',
    });
    const a1 = await helloWithHeaders(
      server.wsUrl,
      'a1',
      { 'x-forwarded-for': '203.0.113.5' },
      sockets,
      3000,
    );
    assert.equal(a1.type, 'welcome');
    const a2 = await helloWithHeaders(
      server.wsUrl,
      'a2',
      { 'x-forwarded-for': '203.0.113.5' },
      sockets,
      3000,
    );
    assert.equal(a2.type === 'error' && a2.code, 'RATE_LIMITED');
    // The client cannot pick its own address: the left part of the chain is its own claim,
    // the proxy appended the real one on the right.
    const a3 = await helloWithHeaders(
      server.wsUrl,
      'a3',
      {
        'x-forwarded-for': '198.51.100.77, 203.0.113.5',
      },
      sockets,
      3000,
    );
    assert.equal(a3.type === 'error' && a3.code, 'RATE_LIMITED');
    const b = await helloWithHeaders(server.wsUrl, 'b1', { 'x-forwarded-for': '203.0.113.6' }, sockets, 3000);
    assert.equal(b.type, 'welcome');
  });

  it('from an untrusted peer the header is ignored: every forged address shares the socket address', async () => {
    const server = await startServer({
      PARLEY_TRUST_PROXY: '10.0.0.0/8',
      PARLEY_HELLO_BURST: '3',
      PARLEY_HELLO_RATE_PER_S: '0.001',
    });
    by = await bystanders(server); // 2 of 3 from 127.0.0.1
    const first = await helloWithHeaders(
      server.wsUrl,
      'f1',
      { 'x-forwarded-for': '203.0.113.10' },
      sockets,
      3000,
    );
    assert.equal(first.type, 'welcome');
    const forged = await helloWithHeaders(
      server.wsUrl,
      'f2',
      { 'x-forwarded-for': '203.0.113.11' },
      sockets,
      3000,
    );
    assert.equal(forged.type === 'error' && forged.code, 'RATE_LIMITED');
  });

  it('the per-address connection limit counts forwarded clients separately', async () => {
    const server = await startServer({ PARLEY_TRUST_PROXY: 'loopback', PARLEY_MAX_CONNS_PER_IP: '1' });
    const first = await helloWithHeaders(
      server.wsUrl,
      'c1',
      { 'x-forwarded-for': '203.0.113.20' },
      sockets,
      3000,
    );
    assert.equal(first.type, 'welcome');
    const second = await helloWithHeaders(
      server.wsUrl,
      'c2',
      { 'x-forwarded-for': '203.0.113.20' },
      sockets,
      3000,
    );
    assert.equal(second.type === 'error' && second.code, 'TOO_MANY_CONNECTIONS');
    const other = await helloWithHeaders(
      server.wsUrl,
      'c3',
      { 'x-forwarded-for': '203.0.113.21' },
      sockets,
      3000,
    );
    assert.equal(other.type, 'welcome');
  });
});
