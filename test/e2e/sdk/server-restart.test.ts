// @needs chromium
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newMediaContext, removeDir } from '../../helpers/browser.ts';
import { buildSdkPages, freePort, openPage, type SpawnedServer, spawnServer } from './harness.ts';

// The signaling server is a separate process here, killed with SIGKILL mid-call (a crash: no
// draining, no close frames) and started again on the same port. Peer-to-peer media must not
// notice; the clients log in again (a fresh session: the new process knows no tokens), rejoin
// their rooms, and can renegotiate through the new server.
describe('SDK › signaling server killed and restarted (Chromium)', () => {
  let dir: string;
  let port: number;
  let server: SpawnedServer | null = null;
  let browser: Browser;
  let context: BrowserContext;
  const env = () => ({ PARLEY_WEB_DIR: dir, PARLEY_HEARTBEAT_MS: '1000', PARLEY_GRACE_S: '5' });

  before(async () => {
    dir = await buildSdkPages();
    port = await freePort();
    server = await spawnServer(port, env());
    browser = await launchChromium();
    context = await newMediaContext(browser, server.url);
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await server?.kill();
    removeDir(dir);
  });

  const page = (label: string) => openPage(context, `http://127.0.0.1:${port}/sdk.html`, label);
  const waitState = (p: Page, state: string, timeout = 20_000) =>
    p.waitForFunction((s) => window.T.client?.state === s, state, { timeout, polling: 50 });

  async function restart(): Promise<{ downMs: number }> {
    await server?.kill();
    const killedAt = Date.now();
    server = null;
    return { downMs: Date.now() - killedAt };
  }

  it('a call keeps its media while the server is down, and renegotiates after it is back', async () => {
    const [a, b] = await Promise.all([page('alice'), page('bob')]);
    await a.evaluate(() => window.T.connect('alice'));
    await b.evaluate(() => window.T.connect('bob'));
    await a.evaluate(() => window.T.callPeer('bob'));
    for (const p of [a, b])
      await p.waitForFunction(() => window.T.call?.state === 'connected', null, { timeout: 15_000 });

    await restart();
    for (const p of [a, b]) await waitState(p, 'reconnecting', 5_000);
    for (const [p, who] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2 && flow.audioBytes > 0, `${who} still receives media with the server down`);
      assert.equal(await p.evaluate(() => window.T.call?.state), 'connected');
    }

    const startedAt = Date.now();
    server = await spawnServer(port, env());
    for (const p of [a, b]) await waitState(p, 'open');
    console.log(
      `# server restart: clients logged in again ${Date.now() - startedAt} ms after the new server started`,
    );
    for (const p of [a, b]) {
      assert.deepEqual(
        await p.evaluate(() => window.T.events.filter((e) => e.what === 'reconnected').map((e) => e.detail)),
        [false],
        'a fresh session (the new server knows no tokens)',
      );
    }

    // Renegotiate through the new server: alice shares a screen, bob decodes it.
    await a.evaluate(() => window.T.call?.media?.shareScreen(window.T.fakeScreen()));
    // Decoded, not merely announced: two inbound video streams (camera and screen) whose
    // framesDecoded both rise over the same second.
    const rising = await b.evaluate(async () => {
      const deadline = Date.now() + 15_000;
      let before = await window.T.videoByTrack();
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = await window.T.videoByTrack();
        const up = Object.keys(now).filter((k) => (now[k] ?? 0) - (before[k] ?? 0) > 2);
        if (up.length >= 2) return up.length;
        before = now;
      }
      return JSON.stringify(before);
    });
    assert.equal(rising, 2, `bob decodes alice's camera and screen after the restart: ${rising}`);

    // The new server does not know the call: hanging up still reaches bob, peer to peer.
    await a.evaluate(() => window.T.call?.hangup());
    await b.waitForFunction(() => window.T.call?.state === 'ended', null, { timeout: 5_000, polling: 50 });
    assert.equal(await b.evaluate(() => window.T.call?.endReason), 'hangup');
    await Promise.all([a.close(), b.close()]);
  });

  it('a room rejoins after a restart, keeps its sessions, and a newcomer connects to everyone', async () => {
    const [a, b] = await Promise.all([page('ann'), page('ben')]);
    await a.evaluate(() => window.T.connect('ann'));
    await b.evaluate(() => window.T.connect('ben'));
    await a.evaluate(() => window.T.join('hall'));
    await b.evaluate(() => window.T.join('hall'));
    await a.waitForFunction(() => window.T.room?.peers.get('ben')?.state === 'connected', null, {
      timeout: 15_000,
    });

    await restart();
    server = await spawnServer(port, env());
    for (const p of [a, b]) {
      await waitState(p, 'open');
      await p.waitForFunction(() => window.T.room?.state === 'joined', null, { timeout: 10_000 });
    }
    assert.ok((await a.evaluate(() => window.T.flowing('ben'))).frames > 2, 'same session, media flowing');
    assert.equal(await a.evaluate(() => window.T.events.filter((e) => e.what === 'peer-left').length), 0);

    const c = await page('cat');
    await c.evaluate(() => window.T.connect('cat'));
    await c.evaluate(() => window.T.join('hall'));
    await c.waitForFunction(
      () => ['ann', 'ben'].every((n) => window.T.room?.peers.get(n)?.state === 'connected'),
      null,
      { timeout: 15_000 },
    );
    for (const p of [a, b]) {
      assert.ok((await p.evaluate(() => window.T.flowing('cat'))).frames > 2, 'the newcomer’s video decodes');
    }
  });
});
