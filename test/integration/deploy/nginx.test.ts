// @needs nginx, openssl
/**
 * Parley behind the shipped deploy/nginx.conf, run for real with Debian's nginx: the HTTPS server
 * block of the file with only ports, paths and the certificate localised (a self-signed one from
 * openssl). Debian packages the `stream` module separately (libnginx-mod-stream), so the
 * TURN-on-443 front is left out, as the file's own comment describes for a setup without it: the
 * site then listens with TLS directly and the real_ip lines go.
 *
 * Checked through the proxy: a WSS `welcome`; the client address Parley sees is the one nginx puts
 * in X-Forwarded-For (per-address limits apply to each real client, a client cannot forge its own,
 * and nginx's own sockets are not capped as one address); `/janus/turn` and `/metrics` are 404
 * even where Parley serves them; every security header is present exactly once, on proxied
 * responses and on nginx's own; the default Origin check works with the Host nginx passes on.
 * The shipped Caddyfile cannot run here (no Caddy package), so only its header values and private
 * paths are compared.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ServerMessage } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { WebSocket } from 'ws';
import {
  CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
} from '../../../packages/server/src/http/security-headers.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';

const NGINX_CONF = new URL('../../../deploy/nginx.conf', import.meta.url);
const CADDYFILE = new URL('../../../deploy/Caddyfile', import.meta.url);
const JANUS_TURN_KEY = 'janus-turn-key-for-the-nginx-test';
/** Debian installs nginx in /usr/sbin, which is not on every user's PATH. */
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The `http {}` part of deploy/nginx.conf with ports, paths and certificate replaced. Every
 * replaced line must exist, so the test notices when the shipped file drifts.
 */
function localised(text: string, o: { dir: string; https: number; http: number; parley: number }): string {
  const start = text.indexOf('# ---- inside http {}');
  assert.ok(start > 0, 'deploy/nginx.conf has no "inside http {}" part');
  const replacements: [RegExp, string][] = [
    [/^\tlisten 80;$/m, `\tlisten 127.0.0.1:${o.http};`],
    [/^\tlisten \[::\]:80;\n/m, ''],
    [/^\tlisten 127\.0\.0\.1:8443 ssl http2 proxy_protocol;$/m, `\tlisten 127.0.0.1:${o.https} ssl http2;`],
    [/^\tset_real_ip_from 127\.0\.0\.1;\n/m, ''],
    [/^\treal_ip_header proxy_protocol;\n/m, ''],
    [/^\tssl_certificate .*$/m, `\tssl_certificate ${join(o.dir, 'cert.pem')};`],
    [/^\tssl_certificate_key .*$/m, `\tssl_certificate_key ${join(o.dir, 'key.pem')};`],
    [/root \/var\/www\/html;/, `root ${o.dir};`],
    [/http:\/\/127\.0\.0\.1:8080;/g, `http://127.0.0.1:${o.parley};`],
  ];
  let out = text.slice(start);
  for (const [pattern, line] of replacements) {
    assert.match(out, pattern, `deploy/nginx.conf has no line matching ${pattern}`);
    out = out.replace(pattern, line);
  }
  assert.doesNotMatch(out.replace(/#.*$/gm, ''), /:8080\b/, 'an upstream was left unlocalised');
  return [
    'worker_processes 1;',
    `pid ${join(o.dir, 'nginx.pid')};`,
    `error_log ${join(o.dir, 'error.log')} warn;`,
    'events { worker_connections 512; }',
    'http {',
    `  access_log ${join(o.dir, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(o.dir, t)};`),
    out,
    '}',
  ].join('\n');
}

interface Reply {
  status: number;
  /** Raw header lines, so duplicates show. */
  raw: string[];
  headers: Record<string, string | string[] | undefined>;
}

describe('deploy/nginx.conf in front of Parley (Debian nginx)', () => {
  let dir: string;
  let nginx: ChildProcess | undefined;
  let parley: ParleyServer;
  let httpsPort: number;
  let httpPort: number;
  let cert: string;
  const sockets = new Set<WebSocket>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=parley.test',
        '-addext',
        'subjectAltName=DNS:parley.test,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // Parley as DEPLOY.md runs it behind a proxy on this host: trusting the proxy's address (a
    // loopback one) for X-Forwarded-For. TURN and the Janus TURN endpoint are on so that
    // /janus/turn is really served by Parley: the proxy must still hide it.
    parley = await startServer({
      PARLEY_TRUST_PROXY: '127.0.0.1',
      PARLEY_MAX_CONNS_PER_IP: '2',
      PARLEY_MAX_SOCKETS_PER_IP: '2',
      PARLEY_TURN_SECRET: 'turn-secret-for-the-nginx-test',
      PARLEY_TURN_URLS: 'turn:127.0.0.1:3478',
      PARLEY_JANUS_TURN_KEY: JANUS_TURN_KEY,
    });
    [httpsPort, httpPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      localised(readFileSync(NGINX_CONF, 'utf8'), {
        dir,
        https: httpsPort,
        http: httpPort,
        parley: parley.port,
      }),
    );
    execFileSync(NGINX, ['-t', '-q', '-e', join(dir, 'error.log'), '-p', dir, '-c', conf], {
      stdio: 'pipe',
    });
    nginx = spawn(NGINX, ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf, '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await get('/healthz').then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline)
        throw new Error(`nginx did not come up: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterEach(() => {
    for (const ws of sockets) ws.terminate();
    sockets.clear();
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await stopAllServers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** An HTTPS request to nginx (certificate checked against ours), from `localAddress`. */
  function get(
    path: string,
    {
      method = 'GET',
      headers = {},
      localAddress = '127.0.0.1',
    }: { method?: string; headers?: Record<string, string>; localAddress?: string } = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: httpsPort,
          path,
          method,
          headers,
          ca: cert,
          servername: 'parley.test',
          localAddress,
          agent: false,
        },
        (res) => {
          res.resume();
          const raw: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) raw.push(res.rawHeaders[i]!.toLowerCase());
          res.on('end', () => resolve({ status: res.statusCode ?? 0, raw, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** WSS through nginx from `localAddress`; resolves with the first frame after `hello`. */
  function helloThrough(
    name: string,
    {
      localAddress = '127.0.0.1',
      headers = {},
    }: { localAddress?: string; headers?: Record<string, string> } = {},
  ): Promise<ServerMessage> {
    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws`, {
      ca: cert,
      localAddress,
      headers,
      perMessageDeflate: false,
    });
    sockets.add(ws);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply to hello ${name}`)), 5000);
      ws.on('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
      ws.once('message', (d) => {
        clearTimeout(t);
        resolve(JSON.parse(d.toString()) as ServerMessage);
      });
      ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', versions: ['1'], name })));
    });
  }

  it('WSS through the proxy gets welcome; plain HTTP redirects to HTTPS', async () => {
    const reply = await helloThrough('through-nginx');
    assert.equal(reply.type, 'welcome');
    const redirect = await fetch(`http://127.0.0.1:${httpPort}/r/x`, {
      redirect: 'manual',
    });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), 'https://127.0.0.1/r/x');
  });

  it('Parley sees the client address nginx forwards: per-address limits hit each real client, not the proxy', async () => {
    // PARLEY_MAX_CONNS_PER_IP=2: a third socket from 127.0.0.2 is refused, 127.0.0.3 is another client.
    assert.equal((await helloThrough('addr-a1', { localAddress: '127.0.0.2' })).type, 'welcome');
    assert.equal((await helloThrough('addr-a2', { localAddress: '127.0.0.2' })).type, 'welcome');
    const third = await helloThrough('addr-a3', { localAddress: '127.0.0.2' });
    assert.equal(third.type === 'error' && third.code, 'TOO_MANY_CONNECTIONS');
    assert.equal((await helloThrough('addr-b1', { localAddress: '127.0.0.3' })).type, 'welcome');
    // A forged X-Forwarded-For does not buy a fresh address: nginx appends the real one, and
    // Parley trusts only the proxy's hop.
    const forged = await helloThrough('addr-a4', {
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '198.51.100.9' },
    });
    assert.equal(forged.type === 'error' && forged.code, 'TOO_MANY_CONNECTIONS');
    // PARLEY_MAX_SOCKETS_PER_IP=2 does not count nginx's own sockets as one address (4 open now).
    assert.equal((await get('/healthz')).status, 200);
  });

  it('/janus/turn and /metrics are 404 through the proxy, though Parley serves them locally', async () => {
    const key = `service=turn&api=${JANUS_TURN_KEY}`;
    const direct = await fetch(`http://127.0.0.1:${parley.port}/janus/turn?${key}&username=j`, {
      method: 'POST',
    });
    assert.equal(direct.status, 200, 'Parley itself serves /janus/turn with the key');
    assert.equal((await fetch(`http://127.0.0.1:${parley.port}/metrics`)).status, 200);
    for (const method of ['GET', 'POST']) {
      assert.equal((await get(`/janus/turn?${key}&username=j`, { method })).status, 404, method);
    }
    assert.equal((await get('/metrics')).status, 404);
    assert.equal((await get('/metrics?x=1')).status, 404);
  });

  it("every security header is present once, on proxied responses and on nginx's own", async () => {
    for (const path of ['/', '/healthz', '/ice', '/janus/turn', '/metrics']) {
      const r = await get(path);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        const lower = name.toLowerCase();
        assert.equal(r.raw.filter((h) => h === lower).length, 1, `${path}: ${name} once`);
        assert.equal(r.headers[lower], value, `${path}: ${name}`);
      }
      assert.match(String(r.headers['strict-transport-security']), /max-age=31536000/, path);
    }
  });

  it('the default Origin check sees the Host nginx passes: the site itself connects, a foreign page gets 403', async () => {
    const site = await helloThrough('origin-ok', {
      headers: { host: 'parley.test', origin: 'https://parley.test' },
    });
    assert.equal(site.type, 'welcome');
    await assert.rejects(
      helloThrough('origin-evil', { headers: { host: 'parley.test', origin: 'https://evil.example' } }),
      /403/,
    );
  });
});

describe('deploy/Caddyfile (static: no Caddy on this machine)', () => {
  it('sends the same security headers as Parley and hides /janus/turn and /metrics', () => {
    const text = readFileSync(CADDYFILE, 'utf8');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      const line = new RegExp(`^\\s*${name} (.+)$`, 'm').exec(text);
      assert.ok(line, `Caddyfile sets ${name}`);
      assert.equal(line[1]!.replace(/^"|"$/g, ''), value, name);
    }
    assert.equal(CONTENT_SECURITY_POLICY, SECURITY_HEADERS['Content-Security-Policy']);
    assert.match(text, /handle \/janus\/turn \{\s*respond 404\s*\}/);
    assert.match(text, /handle \/metrics \{\s*respond 404\s*\}/);
    assert.match(
      text,
      /^\s*-Server$/m,
      'a deleted header keeps the block deferred (replacing upstream copies)',
    );
  });
});
