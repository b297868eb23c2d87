/**
 * Parley's built-in STUN server, over real UDP on 127.0.0.1: a STUN client library's Binding
 * request gets the client's own address back; the URL is in `welcome` and `GET /ice` under the
 * host the client used; junk and over-the-rate requests get nothing (a bystander address still
 * gets answers); a taken port leaves the server running without STUN and says so; closing the
 * server frees the port.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { get as httpGet } from 'node:http';
import { after, afterEach, describe, it } from 'node:test';
import * as stun from '@msimerson/stun';
import { startServer, stopAllServers } from '../../../helpers/server.ts';
import { bindUdp } from '../../../helpers/udp-ports.ts';
import { closeAllClients, connectClient } from '../../../helpers/ws-client.ts';

const sockets: Socket[] = [];

async function udpClient(address = '127.0.0.1'): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket;
}

/** Sends each datagram from `socket` to `port`, then collects what comes back within `waitMs`. */
async function exchange(socket: Socket, port: number, datagrams: Buffer[], waitMs = 400): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const onMessage = (msg: Buffer) => got.push(msg);
  socket.on('message', onMessage);
  for (const d of datagrams) socket.send(d, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, waitMs));
  socket.off('message', onMessage);
  return got;
}

/** GET with chosen headers (fetch does not let a test set Host). */
function getJson(base: string, path: string, headers: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
  });
}

const bindingRequest = () => stun.createMessage(stun.constants.STUN_BINDING_REQUEST).toBuffer();

async function stunCount(url: string, result: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^parley_stun_requests_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text);
  return Number(m?.[1] ?? Number.NaN);
}

describe('STUN › built-in server', () => {
  afterEach(async () => {
    closeAllClients();
    for (const s of sockets.splice(0)) {
      try {
        s.close();
      } catch {
        // Already closed (the library's client may close the socket it was given).
      }
    }
    await stopAllServers();
  });
  after(stopAllServers);

  it('answers a STUN client library’s Binding request with the client’s own address and port', async () => {
    const server = await startServer();
    assert.equal(server.stun.status, 'running');
    const port = server.stun.port!;
    assert.notEqual(port, 3478, 'tests never take the default port');
    const socket = createSocket('udp4');
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const ownPort = socket.address().port;
    // The library's own client.
    const response = await stun.request(`127.0.0.1:${port}`, { socket, retries: 2, timeout: 300 });
    assert.deepEqual(response.getXorAddress(), { address: '127.0.0.1', port: ownPort, family: 'IPv4' });
    assert.equal(await stunCount(server.url, 'answered'), 1);
  });

  it('is in welcome and GET /ice as stun:<the host the client used>:<port>, last', async () => {
    const server = await startServer({ PARLEY_STUN_URLS: 'stun:stun.example.org:3478' });
    const own = { urls: [`stun:127.0.0.1:${server.stun.port}`] };
    const a = await connectClient(server.wsUrl);
    a.send({ type: 'hello', versions: ['1'], name: 'stun-alice' });
    const welcome = await a.next('welcome');
    assert.deepEqual(welcome.iceServers, [{ urls: ['stun:stun.example.org:3478'] }, own]);
    const ice = (await (await fetch(`${server.url}/ice`)).json()) as { iceServers: unknown[] };
    assert.deepEqual(ice.iceServers, [{ urls: ['stun:stun.example.org:3478'] }, own]);
    // Reached under another name: that name is advertised.
    const viaName = (await getJson(server.url, '/ice', { host: 'Talk.Example.org:8443' })) as {
      iceServers: unknown[];
    };
    assert.deepEqual(viaName.iceServers.at(-1), { urls: [`stun:talk.example.org:${server.stun.port}`] });
    // A Host header that is not a plain host gets no built-in entry rather than a mangled URL.
    const junk = (await getJson(server.url, '/ice', { host: 'x.example?transport=tcp' })) as {
      iceServers: unknown[];
    };
    assert.deepEqual(junk.iceServers, [{ urls: ['stun:stun.example.org:3478'] }]);
  });

  it('PARLEY_STUN_PUBLIC_URL replaces the derived URL; PARLEY_STUN_PORT=off lists nothing and binds nothing', async () => {
    const pinned = await startServer({ PARLEY_STUN_PUBLIC_URL: 'stun:stun.talk.example:3478' });
    const ice = (await (await fetch(`${pinned.url}/ice`)).json()) as { iceServers: unknown[] };
    assert.deepEqual(ice.iceServers, [{ urls: ['stun:stun.talk.example:3478'] }]);
    const off = await startServer({ PARLEY_STUN_PORT: 'off' });
    assert.equal(off.stun.status, 'off');
    assert.equal(off.stun.port, undefined);
    const offIce = (await (await fetch(`${off.url}/ice`)).json()) as { iceServers: unknown[] };
    assert.deepEqual(offIce.iceServers, []);
    const health = (await (await fetch(`${off.url}/healthz`)).json()) as Record<string, unknown>;
    assert.equal(health.stun, undefined);
  });

  it('gives nothing back to junk, other methods, other classes and oversized datagrams, and counts them', async () => {
    const server = await startServer();
    const client = await udpClient();
    const allocate = Buffer.from(bindingRequest());
    allocate.writeUInt16BE(0x0003, 0);
    const indication = Buffer.from(bindingRequest());
    indication.writeUInt16BE(0x0011, 0);
    const oversized = Buffer.alloc(1200);
    bindingRequest().copy(oversized);
    oversized.writeUInt16BE(1180, 2);
    const replies = await exchange(client, server.stun.port!, [
      Buffer.from('hello'),
      Buffer.alloc(100, 0xff),
      allocate,
      indication,
      oversized,
    ]);
    assert.deepEqual(replies, []);
    assert.equal(await stunCount(server.url, 'malformed'), 2);
    assert.equal(await stunCount(server.url, 'unsupported'), 2);
    assert.equal(await stunCount(server.url, 'oversized'), 1);
    assert.equal(await stunCount(server.url, 'answered'), 0);
  });

  it('rate-limits answers per source address; another address is still answered', async () => {
    const server = await startServer({ PARLEY_STUN_BURST: '5', PARLEY_STUN_RATE_PER_S: '0.1' });
    const flooder = await udpClient('127.0.0.1');
    const replies = await exchange(
      flooder,
      server.stun.port!,
      Array.from({ length: 40 }, () => bindingRequest()),
    );
    assert.equal(replies.length, 5, 'the burst, then nothing');
    for (const r of replies) assert.equal(r.length, 32, 'each answer is 32 bytes for a 20-byte request');
    assert.equal(await stunCount(server.url, 'rate_limited'), 35);
    // A second source port of the same address shares its bucket…
    const sameAddress = await udpClient('127.0.0.1');
    assert.equal((await exchange(sameAddress, server.stun.port!, [bindingRequest()])).length, 0);
    // …another address (a bystander) has its own.
    const bystander = await udpClient('127.0.0.2');
    const answer = await exchange(bystander, server.stun.port!, [bindingRequest()]);
    assert.equal(answer.length, 1);
    assert.equal(stun.decode(answer[0]!).getXorAddress()?.address, '127.0.0.2');
  });

  it('caps all answers together (PARLEY_STUN_GLOBAL_PER_S), whatever the sources', async () => {
    const server = await startServer({ PARLEY_STUN_GLOBAL_PER_S: '3' });
    let answered = 0;
    for (const address of ['127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      const s = await udpClient(address);
      answered += (await exchange(s, server.stun.port!, [bindingRequest(), bindingRequest()], 150)).length;
    }
    assert.equal(answered, 3);
  });

  it('a taken port: the server starts anyway, without STUN, logs why and /healthz says so', async () => {
    const holder = await bindUdp(0, '127.0.0.1');
    assert.ok(holder);
    sockets.push(holder);
    const taken = holder.address().port;
    const lines: string[] = [];
    const { createLogger } = await import('../../../../packages/server/src/log.ts');
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    const server = await startServer({ PARLEY_STUN_PORT: String(taken) }, { logger });
    assert.equal(server.stun.status, 'unavailable');
    const warning = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 40);
    assert.match(warning?.msg ?? '', new RegExp(`STUN disabled: UDP port ${taken} is taken`));
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    assert.equal(health.status, 'ok', 'the rest of the server is fine');
    assert.equal(health.stun, 'unavailable');
    const ice = (await (await fetch(`${server.url}/ice`)).json()) as { iceServers: unknown[] };
    assert.deepEqual(ice.iceServers, [], 'a STUN server that is not there is not advertised');
    const a = await connectClient(server.wsUrl);
    a.send({ type: 'hello', versions: ['1'], name: 'stun-bob' });
    assert.deepEqual((await a.next('welcome')).iceServers, []);
  });

  it('`npm start`’s entry keeps running with the STUN port taken', async () => {
    const holder = await bindUdp(0, '127.0.0.1');
    assert.ok(holder);
    sockets.push(holder);
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
      env: {
        ...process.env,
        PARLEY_HOST: '127.0.0.1',
        PARLEY_PORT: '0',
        PARLEY_STUN_HOST: '127.0.0.1',
        PARLEY_STUN_PORT: String(holder.address().port),
        PARLEY_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const listening = new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
          if (line) resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      const line = await listening;
      assert.match(out, /STUN disabled: UDP port \d+ is taken/);
      const { url } = JSON.parse(line) as { url: string };
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      assert.equal(health.stun, 'unavailable');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('closing the server frees the UDP port', async () => {
    const server = await startServer();
    const port = server.stun.port!;
    assert.equal(await bindUdp(port, '127.0.0.1'), null, 'held while running');
    await server.close();
    const again = await bindUdp(port, '127.0.0.1');
    assert.ok(again, 'free after close');
    sockets.push(again);
  });
});
