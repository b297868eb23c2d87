// @needs chromium
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BackgroundEnv, startBackgroundEnv } from './harness.ts';

// Offline for 5 s during a call (CDP network emulation on one side), then back online: the
// page's `online` event restarts ICE and checks signaling; media flows again on both sides and
// both still show the call.
describe('Background › offline for 5 s during a call', () => {
  let env: BackgroundEnv;
  before(async () => {
    env = await startBackgroundEnv();
  });
  after(() => env?.close());

  it('media resumes (framesDecoded rising) and both sides keep the call', { timeout: 90_000 }, async () => {
    const a = await env.page('off-alice');
    const b = await env.page('off-bob');
    await a.evaluate(() => window.T.connect('off-alice'));
    await b.evaluate(() => window.T.connect('off-bob'));
    await a.evaluate(() => window.T.callPeer('off-bob'));
    for (const p of [a, b])
      await p.waitForFunction(() => window.T.call?.state === 'connected', { timeout: 15_000, polling: 50 });
    const cdp = await b.createCDPSession();
    await cdp.send('Network.enable');
    const conditions = { latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
    await cdp.send('Network.emulateNetworkConditions', { offline: true, ...conditions });
    // Whether the emulation cut media and signaling here (it is logged, not asserted: CDP's
    // offline mode need not cut an existing WebSocket or ICE path on loopback).
    await new Promise((r) => setTimeout(r, 2_000));
    const during = await a.evaluate(() => window.T.flowing(undefined, { timeoutMs: 2_000, audio: false }));
    const sigDuring = await b.evaluate(() => window.T.client?.state);
    await new Promise((r) => setTimeout(r, 1_000));
    console.log(
      `# while bob is offline: alice decoded ${during.frames} frames/s, bob's signaling ${sigDuring}`,
    );
    const backAt = Date.now();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions });
    for (const [p, who] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing(undefined, { timeoutMs: 15_000 }));
      assert.ok(flow.frames > 2, `${who} decodes video again`);
      assert.equal(await p.evaluate(() => window.T.call?.state), 'connected', `${who} shows the call`);
    }
    await b.waitForFunction(() => window.T.client?.state === 'open', { timeout: 10_000, polling: 50 });
    const restarts = await b.evaluate(() => window.T.logs.filter((l) => l.msg === 'ice restart').length);
    console.log(
      `# offline 5 s: media and signaling back ${Date.now() - backAt} ms after online; ICE restarts on bob: ${restarts}`,
    );
    assert.ok(restarts >= 1, 'bob restarted ICE when back online');
  });
});
