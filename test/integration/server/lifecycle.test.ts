import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, it } from 'node:test';
import { turnAddressId } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient } from '../../helpers/ws-client.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('Server lifecycle', () => {
  afterEach(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('heartbeat › a socket that stops answering pings is reaped within two intervals', async () => {
    const server = await startServer({ PARLEY_HEARTBEAT_MS: '150', PARLEY_GRACE_S: '5' });
    const c = await connectClient(server.wsUrl);
    await c.hello('hb-silent');
    const keep = await connectClient(server.wsUrl);
    await keep.hello('hb-alive');
    const started = Date.now();
    c.ws.pause(); // pings pile up unread: no pong
    const deadline = Date.now() + 3000;
    while ((await server.health()).connections > 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal((await server.health()).connections, 1);
    // Two intervals, plus slack for timer scheduling on a loaded machine.
    assert.ok(Date.now() - started <= 2 * 150 + 500, 'reaped within two intervals');
    // The reaped session is in grace, not gone; the live client is untouched.
    assert.equal((await server.health()).sessions, 2);
    c.ws.resume();
    keep.send({ type: 'ping', id: 1 });
    await keep.next('pong');
  });

  it('ice.updated › long sessions get fresh TURN credentials before expiry', async () => {
    const server = await startServer({
      PARLEY_TURN_URLS: 'turn:127.0.0.1:3478',
      PARLEY_TURN_SECRET: 'k',
      PARLEY_TURN_TTL_S: '1',
    });
    const c = await connectClient(server.wsUrl);
    const w = await c.hello('ice-long');
    const first = w.iceServers[0]?.username;
    const updated = await c.next('ice.updated', { timeoutMs: 3000 });
    const fresh = updated.iceServers[0]?.username;
    assert.ok(fresh?.endsWith(`:${turnAddressId('k', '127.0.0.1')}`), fresh);
    assert.ok(Number(fresh?.split(':')[0]) >= Number(first?.split(':')[0]));
  });

  it('main.ts › logs its port, drains clients on SIGTERM (server.draining, 4012) and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PARLEY_PORT: '0',
        PARLEY_STUN_PORT: '0',
        PARLEY_HOST: '127.0.0.1',
        PARLEY_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no listening line')), 20_000);
        lines.on('line', (line) => {
          const m = line.match(/"port":(\d+)/);
          if (m && line.includes('"url"')) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
      });
      const a = await connectClient(`ws://127.0.0.1:${port}/ws`);
      const b = await connectClient(`ws://127.0.0.1:${port}/ws`);
      await a.hello('sig-a');
      await b.hello('sig-b');
      const sentAt = Date.now();
      child.kill('SIGTERM');
      for (const c of [a, b]) {
        assert.equal((await c.next('server.draining')).type, 'server.draining');
        assert.equal((await c.next('error')).code, 'SHUTTING_DOWN');
        assert.deepEqual(await c.closed, { code: 4012, reason: 'SHUTTING_DOWN' });
      }
      assert.equal(await exited, 0);
      assert.ok(Date.now() - sentAt < 5000, 'exits promptly');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
});
