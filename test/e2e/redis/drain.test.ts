// @needs chromium, redis-server
/**
 * A call in Chromium survives the signaling node of one side being stopped: that page reaches
 * the nodes through a TCP switch (standing in for a load balancer), the node drains
 * (`server.draining`), the SDK reconnects — now to the other node — and resumes its session
 * there. Media keeps flowing peer to peer throughout (getStats), and signaling reaches the page
 * on its new node (the other side hangs up; the page sees the call end).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newMediaContext, pollPage, removeDir } from '../../helpers/browser.ts';
import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { type ParleyNode, startNode, stopAllNodes } from '../../integration/server/redis/parley-node.ts';
import { buildSdkPages, openPage } from '../sdk/harness.ts';

/** A TCP forwarder on 127.0.0.1 whose target port can be switched for new connections. */
interface Switch {
  readonly port: number;
  target: number;
  close(): Promise<void>;
}

async function startSwitch(target: number): Promise<Switch> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const sw = { port: 0, target, close: async () => {} };
  const server: Server = createServer((client) => {
    const upstream = connect(sw.target, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  sw.port = (server.address() as { port: number }).port;
  sw.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return sw;
}

describe('Redis cluster › a call in Chromium survives a drained signaling node', () => {
  let redis: TestRedis;
  let dir: string;
  let n1: ParleyNode;
  let n2: ParleyNode;
  let sw: Switch;
  let browser: Browser;
  let context: BrowserContext;
  const pages: Page[] = [];

  before(async () => {
    dir = await buildSdkPages();
    redis = await startRedis();
    const env = {
      PARLEY_WEB_DIR: dir,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_HEARTBEAT_MS: '1000',
      PARLEY_DRAIN_MS: '1000',
    };
    [n1, n2] = await Promise.all([startNode('dr-1', redis.url, env), startNode('dr-2', redis.url, env)]);
    sw = await startSwitch(n1.port);
    browser = await launchChromium();
    context = await newMediaContext(browser, `http://127.0.0.1:${sw.port}`);
    await context.grantPermissions(['camera', 'microphone'], { origin: n2.url });
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
    await browser?.close().catch(() => {});
    await sw?.close();
    await stopAllNodes();
    await redis?.stop();
    if (dir) removeDir(dir);
  });

  it('Cluster › the page resumes on the other node; media keeps flowing and signaling follows it', async () => {
    const a = await openPage(context, `http://127.0.0.1:${sw.port}/sdk.html`, 'alice@switch');
    const b = await openPage(context, `${n2.url}/sdk.html`, 'bob@node2');
    pages.push(a, b);
    assert.equal(await a.evaluate(() => window.T.connect('dr-alice')), 'open');
    assert.equal(await b.evaluate(() => window.T.connect('dr-bob')), 'open');
    assert.equal((await n1.health()).sessions, 1);
    assert.equal(await a.evaluate(() => window.T.callPeer('dr-bob')), 'ringing');
    for (const p of [a, b])
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'call connected' });
    assert.ok((await a.evaluate(() => window.T.flowing())).frames > 2, 'alice decodes video before');

    // The load balancer sends new connections to node 2; node 1 stops (SIGTERM: drain).
    sw.target = n2.port;
    assert.equal(await n1.stop(), 0);
    await pollPage(a, () => window.T.events.some((e) => e.what === 'reconnected'), {
      what: 'alice reconnected',
      timeoutMs: 15_000,
    });
    const resumed = await a.evaluate(() => window.T.events.find((e) => e.what === 'reconnected')?.detail);
    assert.equal(resumed, true, 'the session was resumed, not started afresh');
    assert.equal((await n2.health()).sessions, 2);
    assert.equal(await a.evaluate(() => window.T.call?.state), 'connected');
    const after = await a.evaluate(() => window.T.flowing());
    assert.ok(
      after.frames > 2 && after.audioBytes > 0,
      `alice still decodes media (${after.frames} frames/s)`,
    );
    // No peer.left or call end reached bob: the move was invisible to him.
    assert.equal(await b.evaluate(() => window.T.call?.state), 'connected');

    await b.evaluate(() => window.T.call?.hangup());
    await pollPage(a, () => window.T.events.some((e) => e.what === 'call-ended'), {
      what: 'alice sees the hang-up',
    });
    const ended = await a.evaluate(() => window.T.events.find((e) => e.what === 'call-ended')?.detail);
    assert.deepEqual(ended, { reason: 'hangup', by: 'dr-bob' });
  });
});
