// @needs chromium, redis-server
/**
 * Redis Sentinel failover under a live Chromium call: two pages in a call across two Parley
 * nodes on `redis+sentinel://…` (a primary, a replica, three sentinels; test/helpers/redis-sentinel.ts),
 * then the primary is SIGKILLed. Media is peer to peer, so it must not notice: frames decoded
 * keep rising on both sides before, during and after the failover. Signaling must resume on the
 * promoted replica: a probe signal from one page reaches the other (the measured failover time),
 * the hangup reaches the peer, and a fresh call across the nodes decodes video again. No name is
 * lost or duplicated in the directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sentinelOptions } from '../../../packages/server/src/directory/redis-connection.ts';
import { launchChromium, newMediaContext, pollPage, removeDir } from '../../helpers/browser.ts';
import { startSentinel, type TestSentinel } from '../../helpers/redis-sentinel.ts';
import { until } from '../../helpers/wait.ts';
import { type ParleyNode, startNode, stopAllNodes } from '../../integration/server/redis/parley-node.ts';
import { buildSdkPages, openPage } from '../sdk/harness.ts';

/** Sentinel's down-after-milliseconds in the helper, plus the election and the reconnect. */
const FAILOVER_BOUND_MS = 1000 + 6000;

declare global {
  interface Window {
    /** Arrival times of probe signals on this page (test-only). */
    probes?: number[];
    /** The probe pump's timer on this page (test-only). */
    pump?: ReturnType<typeof setInterval>;
  }
}

/** Total inbound video frames decoded and audio bytes received on the page's current call. */
function inbound(p: Page): Promise<{ videoFrames: number; audioBytes: number }> {
  return p.evaluate(() => window.T.inbound());
}

describe('Redis Sentinel › a Chromium call through a primary failover', () => {
  let sentinel: TestSentinel | undefined;
  let dir: string;
  let n1: ParleyNode;
  let n2: ParleyNode;
  let browser: Browser;
  let context: BrowserContext;
  let admin: Redis | undefined;
  const pages: Page[] = [];

  before(async () => {
    dir = await buildSdkPages();
    sentinel = await startSentinel();
    const env = { PARLEY_WEB_DIR: dir, PARLEY_HEARTBEAT_MS: '1000', PARLEY_GRACE_S: '30' };
    [n1, n2] = await Promise.all([
      startNode('sc-1', sentinel.url, env),
      startNode('sc-2', sentinel.url, env),
    ]);
    admin = new Redis({ ...sentinelOptions(sentinel.url), maxRetriesPerRequest: 1 });
    admin.on('error', () => {}); // it follows the failover too; its connection errors are expected
    browser = await launchChromium();
    context = await newMediaContext(browser, n1.url);
    await context.grantPermissions(['camera', 'microphone'], { origin: n2.url });
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
    await browser?.close().catch(() => {});
    admin?.disconnect();
    await stopAllNodes();
    await sentinel?.stop();
    if (dir) removeDir(dir);
  });

  it('Sentinel › media keeps flowing through the failover, signaling resumes on the promoted replica, names kept once', {
    timeout: 100_000,
  }, async () => {
    const a = await openPage(context, `${n1.url}/sdk.html`, 'alice@node1');
    const b = await openPage(context, `${n2.url}/sdk.html`, 'bob@node2');
    pages.push(a, b);
    const sides = [
      [a, 'alice on node 1'],
      [b, 'bob on node 2'],
    ] as const;
    assert.equal(await a.evaluate(() => window.T.connect('sc-alice')), 'open');
    assert.equal(await b.evaluate(() => window.T.connect('sc-bob')), 'open');
    assert.equal(await a.evaluate(() => window.T.callPeer('sc-bob')), 'ringing');
    for (const [p] of sides)
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'call connected' });
    for (const [p, who] of sides) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2, `${who} decodes video before the failover (${flow.frames} frames/s)`);
      assert.ok(flow.audioBytes > 0, `${who} receives audio before the failover`);
    }
    assert.equal((await n1.health()).sessions, 1);
    assert.equal((await n2.health()).sessions, 1);
    // Bob records probe signals: plain strings, which the SDK's call routing ignores.
    await b.evaluate(() => {
      window.probes = [];
      window.T.client!.signaling.on('message', (m) => {
        if (m.type === 'signal' && typeof m.data === 'string' && m.data.startsWith('probe-'))
          window.probes!.push(Date.now());
      });
    });
    // Everything written so far has reached the replica (replication is ordered).
    await admin!.set('parley-test:fence', '1');
    assert.equal(await admin!.call('WAIT', '1', '5000'), 1);

    const before = await Promise.all(sides.map(([p]) => inbound(p)));
    const oldPort = await sentinel!.killPrimary();
    const killedAt = Date.now();
    // Alice probes Bob every 100 ms; the first arrival is the first signal relayed after the kill.
    await a.evaluate(() => {
      let n = 0;
      window.pump = setInterval(() => {
        window.T.client!.signaling.send({ type: 'signal', to: 'sc-bob', data: `probe-${n++}` });
      }, 100);
    });
    // During the outage (Redis is down for at least down-after-milliseconds): media still flows.
    const during = await Promise.all(
      sides.map(([p]) =>
        p.evaluate(async () => ({
          ...(await window.T.flowing(undefined, { windowMs: 700 })),
          at: Date.now(),
        })),
      ),
    );
    let firstAt: number;
    try {
      firstAt = await pollPage(b, () => window.probes?.[0] ?? 0, {
        what: 'a probe signal after the failover',
        timeoutMs: FAILOVER_BOUND_MS + 8000,
        intervalMs: 50,
      });
    } finally {
      await a.evaluate(() => clearInterval(window.pump)).catch(() => {});
    }
    const failoverMs = firstAt - killedAt;
    const newPort = await sentinel!.primaryPort();
    assert.notEqual(newPort, oldPort, 'a replica was promoted');
    console.log(
      `# sentinel failover under a Chromium call: first relayed signal ${failoverMs} ms after SIGKILL; ` +
        `media sampled during it: ${during.map((d) => `${d.frames} frames/700 ms by ${d.at - killedAt} ms`).join(', ')}`,
    );
    for (const [i, [, who]] of sides.entries()) {
      const d = during[i]!;
      const at = d.at - killedAt;
      assert.ok(d.frames > 2, `${who} decodes video during the failover (${d.frames} frames in 700 ms)`);
      assert.ok(d.audioBytes > 0, `${who} receives audio during the failover`);
      // The sample window closed while signaling was still down: it really is "during".
      assert.ok(d.at < firstAt, `${who}'s sample ended ${at} ms after the kill, before signaling resumed`);
    }
    assert.ok(failoverMs <= FAILOVER_BOUND_MS, `signaling resumed after ${failoverMs} ms`);
    // After: media still flows, and the totals rose over the whole failover on both sides.
    for (const [i, [p, who]] of sides.entries()) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2, `${who} decodes video after the failover (${flow.frames} frames/s)`);
      assert.ok(flow.audioBytes > 0, `${who} receives audio after the failover`);
      const now = await inbound(p);
      assert.ok(now.videoFrames > before[i]!.videoFrames, `${who}: frames decoded rose through the failover`);
      assert.ok(now.audioBytes > before[i]!.audioBytes, `${who}: audio bytes rose through the failover`);
      // The call itself never left `connected` (no ICE restart, no end).
      const states = await p.evaluate(() =>
        window.T.events.filter((e) => e.what.startsWith('call:')).map((e) => e.what),
      );
      assert.deepEqual(
        states.filter((s) => s !== 'call:connecting' && s !== 'call:connected' && s !== 'call:ringing'),
        [],
        `${who}: call states ${states.join(' → ')}`,
      );
    }
    // No name lost or duplicated in the directory on the new primary.
    await until(async () => (await admin!.smembers('parley:names')).sort().join() === 'sc-alice,sc-bob', {
      what: 'both names registered once',
    });

    // Signaling on the promoted replica: the hangup reaches the peer across the nodes...
    await a.evaluate(() => window.T.call!.hangup());
    await pollPage(b, () => window.T.call?.state === 'ended' && window.T.call.endReason === 'hangup', {
      what: 'the hangup reached bob',
    });
    // ...and a fresh call (the other way round) rings, connects and decodes video both ways.
    const t0 = Date.now();
    assert.equal(await b.evaluate(() => window.T.callPeer('sc-alice')), 'ringing');
    for (const [p] of sides)
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'the fresh call connected' });
    const reconnectMs = Date.now() - t0;
    for (const [p, who] of sides) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2, `${who} decodes video in the fresh call (${flow.frames} frames/s)`);
      assert.ok(flow.audioBytes > 0, `${who} receives audio in the fresh call`);
    }
    console.log(`# fresh call after the failover: invite to both connected in ${reconnectMs} ms`);
    // The pages' signaling sockets never dropped: the nodes hid the failover from them.
    for (const [p, who] of sides) {
      const states = await p.evaluate(() =>
        window.T.events
          .filter((e) => e.what.startsWith('client:') && e.what !== 'client:open')
          .map((e) => e.what),
      );
      assert.deepEqual(states, [], `${who}'s client stayed open`);
    }
    for (const n of [n1, n2])
      await until(async () => (await n.health()).status === 'ok', { what: `${n.id} healthy` });
  });
});
