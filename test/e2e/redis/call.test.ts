// @needs chromium, redis-server
/**
 * A call in Chromium between two pages connected to different Parley nodes (separate processes
 * sharing one redis-server): the invite, the answer and every ICE candidate cross nodes through
 * Redis. Media is proven with getStats() (frames decoded, audio bytes received) on both sides.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newMediaContext, pollPage, removeDir } from '../../helpers/browser.ts';
import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { type ParleyNode, startNode, stopAllNodes } from '../../integration/server/redis/parley-node.ts';
import { buildSdkPages, openPage } from '../sdk/harness.ts';

describe('Redis cluster › a call in Chromium across two nodes', () => {
  let redis: TestRedis;
  let dir: string;
  let n1: ParleyNode;
  let n2: ParleyNode;
  let browser: Browser;
  let context: BrowserContext;
  const pages: Page[] = [];

  before(async () => {
    dir = await buildSdkPages();
    redis = await startRedis();
    const env = { PARLEY_WEB_DIR: dir, PARLEY_LOG_LEVEL: 'info', PARLEY_HEARTBEAT_MS: '1000' };
    [n1, n2] = await Promise.all([startNode('web-1', redis.url, env), startNode('web-2', redis.url, env)]);
    browser = await launchChromium();
    context = await newMediaContext(browser, n1.url);
    await context.grantPermissions(['camera', 'microphone'], { origin: n2.url });
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
    await browser?.close().catch(() => {});
    await stopAllNodes();
    await redis?.stop();
    if (dir) removeDir(dir);
  });

  it('Cluster › pages on different nodes call each other with video and audio decoded both ways', async () => {
    const a = await openPage(context, `${n1.url}/sdk.html`, 'alice@node1');
    const b = await openPage(context, `${n2.url}/sdk.html`, 'bob@node2');
    pages.push(a, b);
    assert.equal(await a.evaluate(() => window.T.connect('xn-alice')), 'open');
    assert.equal(await b.evaluate(() => window.T.connect('xn-bob')), 'open');
    const t0 = Date.now();
    assert.equal(await a.evaluate(() => window.T.callPeer('xn-bob')), 'ringing');
    for (const p of [a, b])
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'call connected' });
    const connectMs = Date.now() - t0;
    for (const [p, who] of [
      [a, 'alice on node 1'],
      [b, 'bob on node 2'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2, `${who} decodes video (${flow.frames} frames/s)`);
      assert.ok(flow.audioBytes > 0, `${who} receives audio`);
    }
    // The signaling really crossed nodes: each node holds exactly one of the two sessions.
    assert.equal((await n1.health()).sessions, 1);
    assert.equal((await n2.health()).sessions, 1);
    console.log(`# cross-node call: invite to both connected in ${connectMs} ms`);
  });
});
