// @needs redis-server
/**
 * Redis with a password and over TLS, for real: Debian's redis-server with `--requirepass` and
 * only a TLS port (`--port 0 --tls-port`), its certificate signed by a private CA made with
 * openssl. Two Parley nodes (separate processes, configured by environment as in production)
 * connect with `rediss://:password@127.0.0.1:PORT` and `PARLEY_REDIS_CA_FILE`, and relay frames
 * across nodes. A wrong password or an untrusted certificate stops a node at startup with a
 * readable reason that never shows the password.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { makeTestCa, startRedis, type TestCa, type TestRedis } from '../../../helpers/redis.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';
import { startNode, stopAllNodes } from './parley-node.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PASSWORD = 'Redis-Pw-7f3c9e1d';

/** Runs a node that is expected to fail at startup: its exit code and everything it printed. */
async function startupFailure(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PARLEY_HOST: '127.0.0.1',
      PARLEY_PORT: '0',
      PARLEY_STUN_PORT: '0',
      PARLEY_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

describe('Redis with a password over TLS (rediss://, private CA)', () => {
  let redis: TestRedis;
  let otherCa: TestCa;

  before(async () => {
    redis = await startRedis({ password: PASSWORD, tls: true });
    otherCa = makeTestCa();
  });
  afterEach(async () => {
    await closeAllClients();
    await stopAllNodes();
  });
  after(async () => {
    await redis?.stop();
    otherCa?.remove();
  });

  it('the helper serves TLS only, with the password required', async () => {
    assert.match(redis.url, /^rediss:\/\/:Redis-Pw-7f3c9e1d@127\.0\.0\.1:\d+$/);
    const ca = readFileSync(redis.caFile!);
    const ok = new Redis(redis.url, { tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 0 });
    await ok.connect();
    assert.equal(await ok.ping(), 'PONG');
    ok.disconnect();
    const noAuth = new Redis(redis.url.replace(`:${PASSWORD}@`, ''), {
      tls: { ca },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    noAuth.on('error', () => {});
    await noAuth.connect().catch(() => {});
    await assert.rejects(noAuth.ping(), /NOAUTH|closed/);
    noAuth.disconnect();
  });

  it('two nodes relay a room across nodes through TLS + password Redis', async () => {
    const env = { PARLEY_REDIS_CA_FILE: redis.caFile! };
    const [n1, n2] = await Promise.all([
      startNode('tls-1', redis.url, env),
      startNode('tls-2', redis.url, env),
    ]);
    const a = await connectClient(n1.wsUrl);
    const b = await connectClient(n2.wsUrl);
    await a.hello('tls-alice');
    await b.hello('tls-bob');
    a.send({ type: 'room.join', id: 1, room: 'secure' });
    await a.next('room.joined');
    b.send({ type: 'room.join', id: 2, room: 'secure' });
    assert.deepEqual((await b.next('room.joined')).peers, ['tls-alice']);
    assert.equal((await a.next('peer.joined')).name, 'tls-bob');
    a.send({ type: 'room.message', room: 'secure', data: { hello: 'over tls' } });
    assert.deepEqual(await b.next('room.message'), {
      type: 'room.message',
      room: 'secure',
      from: 'tls-alice',
      data: { hello: 'over tls' },
    });
    b.send({ type: 'room.message', room: 'secure', data: 'back' });
    assert.equal((await a.next('room.message')).data, 'back');
    // Both nodes really are Redis clients (the server has no plaintext port at all).
    const admin = new Redis(redis.url, { tls: { ca: readFileSync(redis.caFile!) }, lazyConnect: true });
    await admin.connect();
    const clients = String(await admin.client('LIST'));
    admin.disconnect();
    assert.equal(clients.match(/name=parley-cmd-/g)?.length, 2, clients);
    assert.equal((await n1.health()).directory, 'ok');
    // No log line of either node carries the password.
    for (const node of [n1, n2]) assert.doesNotMatch(JSON.stringify(node.logs), new RegExp(PASSWORD));
  });

  it('a wrong password stops the node at startup, saying so, without echoing any password', async () => {
    const wrong = 'Not-The-Pw-123';
    const { code, output } = await startupFailure({
      PARLEY_REDIS_URL: redis.url.replace(PASSWORD, wrong),
      PARLEY_REDIS_CA_FILE: redis.caFile!,
    });
    assert.equal(code, 1, output);
    assert.match(output, /cannot start/);
    assert.match(output, /WRONGPASS/);
    assert.match(output, /check the password in PARLEY_REDIS_URL/);
    assert.doesNotMatch(output, new RegExp(`${wrong}|${PASSWORD}`));
  });

  for (const [label, caFile] of [
    ['no private CA (system CAs only)', undefined],
    ['another CA', 'other'],
  ] as const) {
    it(`an untrusted certificate (${label}) stops the node at startup, naming PARLEY_REDIS_CA_FILE`, async () => {
      const env: Record<string, string> = { PARLEY_REDIS_URL: redis.url };
      if (caFile) env.PARLEY_REDIS_CA_FILE = otherCa.caFile;
      const { code, output } = await startupFailure(env);
      assert.equal(code, 1, output);
      assert.match(output, /certificate/);
      assert.match(output, /not trusted: set PARLEY_REDIS_CA_FILE/);
      assert.doesNotMatch(output, new RegExp(PASSWORD));
      assert.doesNotMatch(output, /Unhandled 'error' event/);
    });
  }

  it('a CA file that cannot be read, or a CA file with a plain redis:// URL, is a configuration error', async () => {
    const missing = await startupFailure({
      PARLEY_REDIS_URL: redis.url,
      PARLEY_REDIS_CA_FILE: '/nonexistent/parley-ca.pem',
    });
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /PARLEY_REDIS_CA_FILE: cannot read \/nonexistent\/parley-ca.pem/);
    assert.doesNotMatch(missing.output, new RegExp(PASSWORD));
    const plain = await startupFailure({
      PARLEY_REDIS_URL: redis.url.replace('rediss://', 'redis://'),
      PARLEY_REDIS_CA_FILE: redis.caFile!,
    });
    assert.equal(plain.code, 2, plain.output);
    assert.match(plain.output, /PARLEY_REDIS_CA_FILE: needs a rediss:\/\/ \(TLS\) PARLEY_REDIS_URL/);
    assert.doesNotMatch(plain.output, new RegExp(PASSWORD));
  });
});
