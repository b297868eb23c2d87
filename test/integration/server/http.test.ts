import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type ParleyServer, turnAddressId } from '@parley/server';
import { WebSocket } from 'ws';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

/** A raw GET that does not normalise the path (fetch would resolve `..`). */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', (err) => {
      if (!String(err.message).includes('Unexpected server response')) reject(err);
    });
  });
}

describe('HTTP endpoints', () => {
  let server: ParleyServer;
  let webDir: string;
  before(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'parley-web-'));
    await mkdir(join(webDir, 'assets'));
    await writeFile(join(webDir, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(join(webDir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    await writeFile(join(webDir, 'style.css'), 'body{}');
    await writeFile(join(webDir, '.env'), 'SECRET=1');
    server = await startServer({
      PARLEY_WEB_DIR: webDir,
      PARLEY_STUN_URLS: 'stun:stun.example.org:3478',
      PARLEY_TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
      PARLEY_TURN_SECRET: 's3cret',
      PARLEY_TURN_TTL_S: '600',
    });
  });
  afterEach(closeAllClients);
  after(async () => {
    await stopAllServers();
    await rm(webDir, { recursive: true, force: true });
  });

  it('GET /healthz › reports ok with uptime, sessions and connections', async () => {
    const c = await connectClient(server.wsUrl);
    await c.hello('health-a');
    const r = await get(server.url, '/healthz');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const body = JSON.parse(r.body);
    assert.equal(body.status, 'ok');
    assert.equal(body.sessions, 1);
    assert.equal(body.connections, 1);
    assert.equal(typeof body.uptimeS, 'number');
  });

  it('GET /metrics › exposes every parley metric in Prometheus text format', async () => {
    const c = await connectClient(server.wsUrl);
    await c.hello('metrics-a');
    c.send({ type: 'signal', to: 'metrics-a', data: 1 });
    await c.next('signal');
    const r = await get(server.url, '/metrics');
    assert.equal(r.status, 200);
    for (const name of [
      'parley_connections',
      'parley_sessions',
      'parley_rooms',
      'parley_frames_in_total',
      'parley_frames_out_total',
      'parley_errors_total',
      'parley_relay_latency_seconds',
      'parley_queued_messages',
      'parley_queue_dropped_total',
      'parley_resumes_total',
    ]) {
      assert.match(r.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.match(r.body, /parley_frames_in_total\{type="signal"\} [1-9]/);
    assert.match(r.body, /parley_relay_latency_seconds_count [1-9]/);
  });

  it('GET /ice › STUN urls plus TURN urls with fresh REST credentials', async () => {
    const r = await get(server.url, '/ice');
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    assert.deepEqual(body.iceServers[0], { urls: ['stun:stun.example.org:3478'] });
    const turn = body.iceServers[1];
    assert.deepEqual(turn.urls, ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']);
    const [expiry] = turn.username.split(':');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Number(expiry) >= now + 590 && Number(expiry) <= now + 610);
    assert.equal(turn.credential, createHmac('sha1', 's3cret').update(turn.username).digest('base64'));
    assert.equal(body.ttlS, 600);
  });

  // Without access tokens the TURN username carries the client address's opaque id (so coturn's
  // user-quota holds per address), never the name or the address itself.
  it('welcome › carries the same ICE configuration, credentials minted for the address id', async () => {
    const c = await connectClient(server.wsUrl);
    const w = await c.hello('ice-user');
    const turn = w.iceServers[1];
    assert.ok(turn?.username?.endsWith(`:${turnAddressId('s3cret', '127.0.0.1')}`), turn?.username);
    assert.doesNotMatch(turn?.username ?? '', /ice-user|127\.0\.0\.1/);
    assert.equal(
      turn?.credential,
      createHmac('sha1', 's3cret')
        .update(turn?.username ?? '')
        .digest('base64'),
    );
  });

  it('static › serves files with MIME types and cache headers, 304 on a matching ETag', async () => {
    const index = await get(server.url, '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /text\/html/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const js = await get(server.url, '/assets/app-1a2b.js');
    assert.match(String(js.headers['content-type']), /text\/javascript/);
    assert.match(String(js.headers['cache-control']), /immutable/);
    const css = await get(server.url, '/style.css');
    assert.match(String(css.headers['content-type']), /text\/css/);
    const again = await get(server.url, '/style.css', { 'if-none-match': String(css.headers.etag) });
    assert.equal(again.status, 304);
  });

  it('static › SPA fallback for extension-less paths, 404 for missing files', async () => {
    const route = await get(server.url, '/room/lobby');
    assert.equal(route.status, 200);
    assert.match(route.body, /<title>app<\/title>/);
    assert.equal((await get(server.url, '/missing.js')).status, 404);
  });

  it('static › refuses path traversal, encoded traversal and dot-files', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/.env',
      '/a%00b',
    ]) {
      const r = await get(server.url, path);
      assert.notEqual(r.status, 200, path);
      assert.doesNotMatch(r.body, /SECRET|"name"/, path);
    }
  });

  it('upgrade › only /ws upgrades; other paths get 404', async () => {
    assert.equal(await upgradeStatus(server.wsUrl), 101);
    assert.equal(await upgradeStatus(server.wsUrl.replace('/ws', '/other')), 404);
  });
});

describe('HTTP without a built app', () => {
  after(stopAllServers);

  it('static › / explains how to build the app when the folder has no index.html', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'parley-empty-'));
    try {
      const server = await startServer({ PARLEY_WEB_DIR: empty });
      const r = await get(server.url, '/');
      assert.equal(r.status, 200);
      assert.match(r.body, /npm start/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('draining › healthz says draining and upgrades get 503 while closing', async () => {
    const server = await startServer({ PARLEY_DRAIN_MS: '2000' });
    // A client that ignores the close handshake keeps the drain open long enough to observe it.
    const c = await connectClient(server.wsUrl);
    await c.hello('drain-holder');
    c.ws.pause();
    const closing = server.close();
    const health = await get(server.url, '/healthz');
    assert.equal(health.status, 503);
    assert.equal(JSON.parse(health.body).status, 'draining');
    assert.equal(await upgradeStatus(server.wsUrl), 503);
    c.ws.resume();
    await closing;
  });
});
