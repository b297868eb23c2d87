// @needs chromium
/**
 * A link that really dies (issue 19): CDP's offline emulation does not cut an open WebSocket on
 * loopback (offline-call.test.ts only logs what it did), so here one page reaches the server
 * through a TCP proxy in the test, and the test cuts it: bytes stop in both directions and no
 * FIN or RST arrives, as when Wi-Fi drops or a NAT forgets the connection (a half-open socket that
 * looks open for minutes). New connections meanwhile are refused, as with no route. The SDK's
 * liveness check must find the silence, the client must reconnect and resume once the path is
 * back, and a call must then ring and connect.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'puppeteer-core';
import { type BackgroundEnv, startBackgroundEnv } from './harness.ts';

/** A TCP proxy to `port` on 127.0.0.1 that can be cut (silent, never closing) and restored. */
class CuttableProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #cut = false;
  port = 0;

  constructor(readonly target: number) {
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy(); // no route: a new connection fails at once
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      const relay = (from: Socket, to: Socket) => {
        from.on('data', (chunk) => {
          if (!this.#cut) to.write(chunk);
        });
        // A close on one side reaches the other only while the path is up: a cut link says nothing.
        from.on('end', () => {
          if (!this.#cut) to.end();
        });
        from.on('close', () => {
          if (!this.#cut) to.destroy();
          this.#pairs.delete(pair);
        });
        from.on('error', () => {});
      };
      relay(client, upstream);
      relay(upstream, client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  /** Open connections through the proxy. */
  get connections(): number {
    return this.#pairs.size;
  }

  cut(): void {
    this.#cut = true;
  }

  /** The path is back; connections that lived through the cut are dead (reset), as after a real one. */
  restore(): void {
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
    this.#cut = false;
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.restore();
    return closed;
  }
}

describe('Background › the network really cut under an open page', () => {
  let env: BackgroundEnv;
  let proxy: CuttableProxy;
  before(async () => {
    // Heartbeat 1 s: the SDK probes after 4 s of silence and waits 1 s for an answer.
    env = await startBackgroundEnv({ PARLEY_HEARTBEAT_MS: '1000', PARLEY_GRACE_S: '60' });
    proxy = new CuttableProxy(Number(new URL(env.server.url).port));
    await proxy.listen();
  });
  after(async () => {
    await env?.close();
    await proxy?.close();
  });

  it('liveness finds the dead link, the client resumes once the path is back, and a call rings and connects', {
    timeout: 120_000,
  }, async () => {
    const bob = await env.page('cut-bob');
    await bob.evaluate(() => window.T.connect('cut-bob'));
    // Alice's page, and so its WebSocket, goes through the proxy; opened last, it is the visible tab.
    const alice: Page = await env.browser.newPage();
    alice.on('pageerror', (e) => console.log(`# [cut-alice] pageerror ${String(e)}`));
    await alice.goto(`http://127.0.0.1:${proxy.port}/sdk.html`);
    await alice.waitForFunction(() => typeof window.T === 'object');
    await alice.evaluate(() => window.T.connect('cut-alice'));
    assert.ok(proxy.connections >= 1, 'alice is connected through the proxy');

    const cutAt = Date.now();
    proxy.cut();
    await alice.waitForFunction(() => window.T.client?.state === 'reconnecting', {
      timeout: 20_000,
      polling: 100,
    });
    const detectedMs = Date.now() - cutAt;
    const dead = await alice.evaluate(
      () => window.T.logs.find((l) => l.msg === 'link dead: no answer to a probe')?.ctx,
    );
    assert.ok(dead, 'the liveness check declared the link dead (not a close event)');
    const reason = await alice.evaluate(
      () => window.T.events.findLast((e) => e.what === 'client:reconnecting')?.detail,
    );
    assert.equal(reason, 'timeout');

    // Down a few seconds more: redials fail at once (no route) and back off.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(await alice.evaluate(() => window.T.client?.state), 'reconnecting');
    const backAt = Date.now();
    proxy.restore();
    await alice.waitForFunction(() => window.T.client?.state === 'open', { timeout: 20_000, polling: 100 });
    const reopenMs = Date.now() - backAt;
    const resumed = await alice.evaluate(
      () => window.T.events.findLast((e) => e.what === 'reconnected')?.detail,
    );
    assert.equal(resumed, true, 'the session resumed (within the grace)');

    // A call from bob rings at alice (through the new connection) and connects, media both ways.
    await bob.evaluate(() => window.T.callPeer('cut-alice'));
    for (const p of [alice, bob])
      await p.waitForFunction(() => window.T.call?.state === 'connected', { timeout: 20_000, polling: 100 });
    for (const [p, who] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing(undefined, { timeoutMs: 15_000 }));
      assert.ok(flow.frames > 2, `${who} decodes video`);
    }
    console.log(
      `# link cut: dead link found after ${detectedMs} ms (${JSON.stringify(dead)}); open again ${reopenMs} ms after the path came back`,
    );
  });
});
