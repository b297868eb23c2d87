// @needs openssl
/**
 * The edges a stranger reaches before any session exists (issue 15, REVIEW-SECURITY findings 8,
 * 9, 11, 12 and 14 through a real server): the default Origin check, the per-/64 connection cap,
 * who may read /metrics, the security headers, slow or idle sockets (slowloris), the socket caps,
 * room passwords behind a NAT, and the maximum token age. Where it matters, a bystander pair of
 * sessions keeps relaying untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../../packages/server/src/http/security-headers.ts';
import { makeSelfSignedCertificate } from '../../../packages/server/src/tls/self-signed.ts';
import { shareRoom } from '../../helpers/relate.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, helloWithHeaders } from '../../helpers/ws-client.ts';

const SECRET = 'edge-hardening-secret-of-at-least-32-bytes!';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET on 127.0.0.1 with the given headers (X-Forwarded-For, Authorization, Host). */
async function get(
  server: ParleyServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawReply> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers, redirect: 'manual' });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

const raws = new Set<Socket>();
const wss = new Set<WebSocket>();
afterEach(async () => {
  for (const s of raws) s.destroy();
  raws.clear();
  for (const ws of wss) ws.terminate();
  wss.clear();
  await closeAllClients();
});
after(() => stopAllServers());

/** A raw TCP socket to the server; resolves once connected. Records what it receives. */
async function rawSocket(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  raws.add(socket);
  let data = '';
  const t0 = performance.now();
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    data += d;
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - t0)),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed };
}

/** Resolves with the close time, or with Infinity when the socket is still open after `ms`. */
function closedWithin(closed: Promise<number>, ms: number): Promise<number> {
  return Promise.race([
    closed,
    new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), ms)),
  ]);
}

/** Two sessions relaying signals; `check()` proves they still do. */
async function bystanders(server: ParleyServer, tag: string) {
  const x = await connectClient(server.wsUrl);
  const y = await connectClient(server.wsUrl);
  await x.hello(`${tag}-x`);
  await y.hello(`${tag}-y`);
  // `signal` is relayed only between members of a shared room or the parties of a call.
  await shareRoom(`${tag}-room`, x, y);
  let n = 0;
  return {
    async check() {
      n++;
      x.send({ type: 'signal', to: `${tag}-y`, data: { n } });
      assert.deepEqual((await y.next('signal')).data, { n });
      for (const c of [x, y]) assert.equal(c.ws.readyState, WebSocket.OPEN);
    },
  };
}

describe('Origin by default (finding 8a)', () => {
  it('a foreign page gets HTTP 403; the same host (any port), loopback names and clients without Origin connect', async () => {
    const server = await startServer();
    const by = await bystanders(server, 'org');
    await assert.rejects(connectClient(server.wsUrl, { origin: 'https://evil.example' }), /HTTP 403/);
    await assert.rejects(connectClient(server.wsUrl, { origin: 'http://192.168.1.66:8080' }), /HTTP 403/);
    await assert.rejects(connectClient(server.wsUrl, { origin: 'null' }), /HTTP 403/);
    // A test or example page served from another local port, and the Vite dev server.
    for (const origin of [
      'http://127.0.0.1:41234',
      `http://127.0.0.1:${server.port}`,
      'http://localhost:5173',
    ]) {
      const c = await connectClient(server.wsUrl, { origin });
      await c.hello(`org-${origin.length}-${origin.at(-1)}`);
    }
    const cli = await connectClient(server.wsUrl);
    await cli.hello('org-cli');
    await by.check();
  });

  it('the configured list still replaces the default', async () => {
    const server = await startServer({ PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' });
    await assert.rejects(connectClient(server.wsUrl, { origin: 'http://127.0.0.1:41234' }), /HTTP 403/);
    const c = await connectClient(server.wsUrl, { origin: 'https://app.example.com' });
    await c.hello('org-listed');
  });
});

describe('connection cap per IPv6 /64 (finding 8c)', () => {
  it('150 addresses of one /64 through a trusted proxy: 64 connect, 86 get TOO_MANY_CONNECTIONS; another /64 is free', async () => {
    const server = await startServer({ PARLEY_TRUST_PROXY: 'loopback' });
    const replies = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        helloWithHeaders(
          server.wsUrl,
          `v6-${i}`,
          { 'x-forwarded-for': `2001:db8:aa:bb::${(i + 1).toString(16)}` },
          wss,
        ),
      ),
    );
    const welcomed = replies.filter((r) => r.type === 'welcome').length;
    const capped = replies.filter((r) => r.type === 'error' && r.code === 'TOO_MANY_CONNECTIONS').length;
    assert.equal(welcomed, 64);
    assert.equal(capped, 86);
    const other = await helloWithHeaders(
      server.wsUrl,
      'v6-other',
      { 'x-forwarded-for': '2001:db8:aa:bc::1' },
      wss,
    );
    assert.equal(other.type, 'welcome');
  });
});

describe('/metrics access (finding 8b)', () => {
  it('loopback reads it; a client forwarded by a trusted proxy does not; /healthz stays public', async () => {
    const server = await startServer({ PARLEY_TRUST_PROXY: 'loopback' });
    assert.equal((await get(server, '/metrics')).status, 200);
    const remote = await get(server, '/metrics', { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(remote.status, 403);
    assert.doesNotMatch(remote.body, /parley_/);
    assert.equal((await get(server, '/healthz', { 'x-forwarded-for': '203.0.113.9' })).status, 200);
  });

  it('a proxied request from a proxy that is not trusted never counts as loopback', async () => {
    const server = await startServer();
    assert.equal((await get(server, '/metrics', { 'x-forwarded-for': '127.0.0.1' })).status, 403);
    assert.equal((await get(server, '/metrics', { forwarded: 'for=203.0.113.9' })).status, 403);
    assert.equal((await get(server, '/metrics', { 'x-real-ip': '203.0.113.9' })).status, 403);
    assert.equal((await get(server, '/metrics')).status, 200);
  });

  it('PARLEY_METRICS_TOKEN lets any address in with the bearer token; PARLEY_METRICS_FROM=any opens it', async () => {
    const token = 'metrics-token-0123456789';
    const server = await startServer({ PARLEY_TRUST_PROXY: 'loopback', PARLEY_METRICS_TOKEN: token });
    const xff = { 'x-forwarded-for': '198.51.100.3' };
    assert.equal((await get(server, '/metrics', xff)).status, 403);
    assert.equal(
      (await get(server, '/metrics', { ...xff, authorization: 'Bearer wrong-token-0123456789' })).status,
      403,
    );
    const ok = await get(server, '/metrics', { ...xff, authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /parley_connections/);
    const open = await startServer({ PARLEY_TRUST_PROXY: 'loopback', PARLEY_METRICS_FROM: 'any' });
    assert.equal((await get(open, '/metrics', xff)).status, 200);
  });
});

describe('security headers (finding 9)', () => {
  const expectHeaders = (r: RawReply, where: string) => {
    assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY, where);
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(r.headers['x-frame-options'], 'DENY', where);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', where);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', where);
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin', where);
  };

  it('every response carries CSP, X-Frame-Options, Referrer-Policy, COOP and nosniff; no HSTS over plain HTTP', async () => {
    const server = await startServer({ PARLEY_TRUST_PROXY: 'loopback' });
    for (const path of ['/', '/r/standup', '/healthz', '/metrics', '/ice', '/nope.js', '/janus/turn']) {
      const r = await get(server, path);
      expectHeaders(r, path);
      assert.equal(r.headers['strict-transport-security'], undefined, path);
    }
    expectHeaders(await get(server, '/metrics', { 'x-forwarded-for': '203.0.113.1' }), '/metrics 403');
    const post = await fetch(`${server.url}/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('x-frame-options'), 'DENY');
  });

  it('HSTS when Parley serves TLS itself, for a host name (not for localhost or an IP)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-hsts-'));
    try {
      const cert = makeSelfSignedCertificate({ dir, hosts: ['localhost', '127.0.0.1'] });
      const server = await startServer({ PARLEY_TLS_CERT: cert.certFile, PARLEY_TLS_KEY: cert.keyFile });
      const head = (host: string) =>
        new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port: server.port,
              path: '/healthz',
              headers: { host },
              ca: cert.cert,
              servername: 'localhost',
            },
            (res) => {
              res.resume();
              resolve(res.headers);
            },
          );
          req.on('error', reject);
          req.end();
        });
      assert.equal((await head('parley.example.org'))['strict-transport-security'], 'max-age=31536000');
      assert.equal((await head(`127.0.0.1:${server.port}`))['strict-transport-security'], undefined);
      assert.equal((await head(`localhost:${server.port}`))['strict-transport-security'], undefined);
      assert.equal((await head('parley.example.org'))['x-frame-options'], 'DENY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('slowloris (finding 11)', () => {
  let server: ParleyServer;
  before(async () => {
    server = await startServer({ PARLEY_HEADERS_TIMEOUT_MS: '600', PARLEY_REQUEST_TIMEOUT_MS: '1200' });
  });

  it('a request head dripped a byte at a time is cut off with 408 after the headers timeout', async () => {
    const by = await bystanders(server, 'slow');
    const drips = await Promise.all(
      [
        `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: `,
        `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Pad: `,
      ].map(async (head) => {
        const s = await rawSocket(server.port);
        s.socket.write(head);
        const timer = setInterval(() => s.socket.writable && s.socket.write('a'), 100);
        const ms = await closedWithin(s.closed, 4000);
        clearInterval(timer);
        return { ms, received: s.received() };
      }),
    );
    for (const d of drips) {
      assert.ok(d.ms < 2500, `closed after ${d.ms} ms`);
      assert.match(d.received, /^HTTP\/1\.1 408/);
    }
    await by.check();
  });

  it('a socket that sends nothing is closed after the headers timeout', async () => {
    const s = await rawSocket(server.port);
    const ms = await closedWithin(s.closed, 4000);
    assert.ok(ms < 2500, `closed after ${ms} ms`);
  });

  it('a body dripped slowly is cut off after the request timeout', async () => {
    const s = await rawSocket(server.port);
    s.socket.write('POST /janus/turn HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    const timer = setInterval(() => s.socket.writable && s.socket.write('a'), 100);
    const ms = await closedWithin(s.closed, 5000);
    clearInterval(timer);
    assert.ok(ms < 3500, `closed after ${ms} ms`);
  });
});

describe('socket caps before the upgrade (finding 11)', () => {
  it('PARLEY_MAX_SOCKETS_PER_IP: idle sockets past the cap are closed at once; a freed slot is usable again', async () => {
    const server = await startServer({ PARLEY_MAX_SOCKETS_PER_IP: '5' });
    const held = await Promise.all(Array.from({ length: 5 }, () => rawSocket(server.port)));
    const extra = await rawSocket(server.port);
    assert.ok((await closedWithin(extra.closed, 1000)) < 1000, 'the 6th socket stays open');
    for (const h of held) assert.equal(await closedWithin(h.closed, 50), Number.POSITIVE_INFINITY);
    const refused = await get(server, '/metrics').catch(() => undefined);
    assert.equal(refused, undefined, 'an HTTP request past the cap is not served');
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const metrics = await get(server, '/metrics');
    assert.match(metrics.body, /parley_sockets_refused_total\{reason="per_address"\} [1-9]/);
  });

  it('sockets from a trusted proxy are not counted per address (the proxy carries everyone)', async () => {
    const server = await startServer({ PARLEY_MAX_SOCKETS_PER_IP: '2', PARLEY_TRUST_PROXY: 'loopback' });
    const held = await Promise.all(Array.from({ length: 4 }, () => rawSocket(server.port)));
    for (const h of held) assert.equal(await closedWithin(h.closed, 100), Number.POSITIVE_INFINITY);
  });

  it('PARLEY_MAX_CONNECTIONS caps the node as a whole', async () => {
    const server = await startServer({ PARLEY_MAX_CONNECTIONS: '3', PARLEY_TRUST_PROXY: 'loopback' });
    const held = await Promise.all(Array.from({ length: 3 }, () => rawSocket(server.port)));
    const extra = await rawSocket(server.port);
    assert.ok((await closedWithin(extra.closed, 1000)) < 1000, 'the 4th socket stays open');
    for (const h of held) assert.equal(await closedWithin(h.closed, 50), Number.POSITIVE_INFINITY);
  });
});

describe('room passwords (finding 12)', () => {
  it('a guesser behind a NAT does not lock its neighbours out of their own room', async () => {
    const server = await startServer({ PARLEY_PASSWORD_BURST: '3', PARLEY_PASSWORD_RATE_PER_S: '0.001' });
    const owner = await connectClient(server.wsUrl);
    await owner.hello('pw-owner');
    owner.send({ type: 'room.join', room: 'vault', password: 'correct horse' });
    await owner.next('room.joined');
    const guesser = await connectClient(server.wsUrl);
    await guesser.hello('pw-guesser');
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      guesser.send({ type: 'room.join', room: 'vault', password: `guess-${i}-long`, id: `g${i}` });
      codes.push((await guesser.next('error')).code);
    }
    assert.deepEqual(codes, ['FORBIDDEN', 'FORBIDDEN', 'RATE_LIMITED', 'RATE_LIMITED']);
    // Same address (127.0.0.1), another room: creating and joining with a password still works.
    const neighbour = await connectClient(server.wsUrl);
    await neighbour.hello('pw-neighbour');
    neighbour.send({ type: 'room.join', room: 'standup', password: 'team password', id: 'n1' });
    assert.equal((await neighbour.next('room.joined')).room, 'standup');
    const colleague = await connectClient(server.wsUrl);
    await colleague.hello('pw-colleague');
    colleague.send({ type: 'room.join', room: 'standup', password: 'team password', id: 'c1' });
    assert.deepEqual((await colleague.next('room.joined')).peers, ['pw-neighbour']);
  });

  it('a 1-character password cannot protect a new room (BAD_MESSAGE); the room stays free', async () => {
    const server = await startServer();
    const c = await connectClient(server.wsUrl);
    await c.hello('pw-short');
    c.send({ type: 'room.join', room: 'tiny', password: 'x', id: 's1' });
    const err = await c.next('error');
    assert.equal(err.code, 'BAD_MESSAGE');
    assert.equal(err.reason, 'password_too_short');
    assert.match(err.message, /at least 8/);
    c.send({ type: 'room.join', room: 'tiny', password: 'eight-chars', id: 's2' });
    assert.equal((await c.next('room.joined')).room, 'tiny');
  });

  it('a password for a room that is open answers FORBIDDEN with reason room_open; joining without one works', async () => {
    const server = await startServer();
    const owner = await connectClient(server.wsUrl);
    await owner.hello('open-owner');
    owner.send({ type: 'room.join', room: 'lobby', id: 'o1' });
    await owner.next('room.joined');
    const guest = await connectClient(server.wsUrl);
    await guest.hello('open-guest');
    guest.send({ type: 'room.join', room: 'lobby', password: 'eight-chars', id: 'g1' });
    const err = await guest.next('error');
    assert.equal(err.code, 'FORBIDDEN');
    assert.equal(err.reason, 'room_open');
    assert.equal(err.re, 'g1');
    assert.match(err.message, /room is open/);
    guest.send({ type: 'room.join', room: 'lobby', id: 'g2' });
    assert.deepEqual((await guest.next('room.joined')).peers, ['open-owner']);
  });
});

describe('maximum token age (finding 14)', () => {
  it('a 10-year token is UNAUTHORIZED at hello; a 1-hour token logs in', async () => {
    const server = await startServer({ PARLEY_AUTH_SECRET: SECRET });
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const sign = (exp: number) =>
      new SignJWT({ name: 'tok' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(key);
    const long = await connectClient(server.wsUrl);
    long.send({ type: 'hello', versions: ['1'], name: 'tok', token: await sign(now + 10 * 365 * 86_400) });
    const err = await long.next('error');
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.match(err.message, /too long/);
    const ok = await connectClient(server.wsUrl);
    await ok.hello('tok', { token: await sign(now + 3600) });
  });
});
