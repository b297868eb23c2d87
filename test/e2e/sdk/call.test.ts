// @needs chromium
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { type SdkEnv, startSdkEnv } from './harness.ts';

// 1:1 calls through the SDK in headless Chromium, signaling through a real Parley server.
// Media is proven with getStats() on both sides, never by a promise resolving.
describe('SDK › 1:1 calls in Chromium', () => {
  let env: SdkEnv;
  let pages: Page[] = [];

  before(async () => {
    env = await startSdkEnv({ PARLEY_GRACE_S: '3', PARLEY_HEARTBEAT_MS: '1000' });
  });
  after(async () => {
    await env?.close();
  });
  afterEach(async () => {
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
    pages = [];
  });

  let round = 0;
  let callee = 'bob';
  /** Two connected pages; names are fresh per test (a closed tab keeps its name for the grace). */
  async function twoPeers(): Promise<[Page, Page]> {
    round++;
    const names = [`alice${round}`, `bob${round}`];
    callee = names[1] as string;
    const [a, b] = await Promise.all(names.map((n) => env.page(n)));
    pages.push(a as Page, b as Page);
    for (const [p, n] of [
      [a, names[0]],
      [b, names[1]],
    ] as [Page, string][]) {
      assert.equal(await p.evaluate((name) => window.T.connect(name), n), 'open');
    }
    return [a as Page, b as Page];
  }

  async function connectedCall(a: Page, b: Page) {
    assert.equal(await a.evaluate((n) => window.T.callPeer(n), callee), 'ringing');
    for (const p of [a, b]) {
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'call connected' });
    }
  }

  it('connects a call by name with video and audio decoded both ways', async () => {
    const [a, b] = await twoPeers();
    const t0 = Date.now();
    await connectedCall(a, b);
    const connectMs = Date.now() - t0;
    for (const [p, who] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2, `${who} decodes video (${flow.frames} frames/s)`);
      assert.ok(flow.audioBytes > 0, `${who} receives audio`);
    }
    const events = await b.evaluate(() => window.T.events.map((e) => e.what));
    assert.ok(events.includes('track'));
    console.log(`# call: invite to both connected in ${connectMs} ms`);
  });

  it('mutes the camera and the other side is told (media-state), then unmutes', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    await a.evaluate(() => window.T.call?.media?.setMuted('video', true));
    await pollPage(b, () => window.T.call?.peer?.remoteMediaState?.video === false, {
      what: 'remote video muted',
    });
    assert.equal(await b.evaluate(() => window.T.call?.peer?.remoteMediaState?.audio), true);
    await a.evaluate(() => window.T.call?.media?.setMuted('video', false));
    await pollPage(b, () => window.T.call?.peer?.remoteMediaState?.video === true, {
      what: 'remote video unmuted',
    });
  });

  it('switches the camera with replaceTrack: no renegotiation, frames keep flowing', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    const before = await a.evaluate(() => ({
      sdp: window.T.call?.peer?.pc.localDescription?.sdp,
      track: window.T.call?.peer?.pc.getSenders().find((s) => s.track?.kind === 'video')?.track?.id,
    }));
    const newId = await a.evaluate(async () => {
      const s = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      const t = s.getVideoTracks()[0] as MediaStreamTrack;
      await window.T.call?.media?.replaceTrack(t);
      return t.id;
    });
    const after = await a.evaluate(() => ({
      sdp: window.T.call?.peer?.pc.localDescription?.sdp,
      track: window.T.call?.peer?.pc.getSenders().find((s) => s.track?.kind === 'video')?.track?.id,
    }));
    assert.notEqual(before.track, after.track);
    assert.equal(after.track, newId);
    assert.equal(after.sdp, before.sdp, 'no renegotiation');
    const flow = await b.evaluate(() => window.T.flowing(undefined, { audio: false }));
    assert.ok(flow.frames > 2, `bob still decodes video after the switch (${flow.frames})`);
  });

  it('adds a screen share mid-call (renegotiates), then removes it', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    // A canvas capture stands in for the screen (getDisplayMedia needs a user gesture).
    await a.evaluate(() => window.T.call?.media?.shareScreen(window.T.fakeScreen()));
    await pollPage(b, () => window.T.call?.peer?.remoteMediaState?.screen === true, {
      what: 'screen announced',
    });
    const twoVideos = await pollPage(
      b,
      async () => {
        const per = await window.T.videoByTrack();
        const decoding = Object.values(per).filter((f) => f > 5).length;
        return decoding >= 2 ? per : null;
      },
      { what: 'two video streams decoding (camera + screen)' },
    );
    assert.ok(Object.keys(twoVideos ?? {}).length >= 2);
    assert.equal(await b.evaluate(() => window.T.call?.remoteStreams.length), 2);

    await a.evaluate(() => window.T.call?.media?.stopScreenShare());
    await pollPage(b, () => window.T.events.some((e) => e.what === 'track-removed'), {
      what: 'screen track removed',
    });
    await pollPage(b, () => window.T.call?.peer?.remoteMediaState?.screen === false, {
      what: 'screen off announced',
    });
    const flow = await b.evaluate(() => window.T.flowing(undefined, { audio: false }));
    assert.ok(flow.frames > 2, 'camera still flowing after the screen share ended');
  });

  it('a peer without a camera (permission denied) still receives', async () => {
    const [a, b] = await twoPeers();
    // Bob's getUserMedia is denied, as when the user refuses the permission prompt.
    await b.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('denied', 'NotAllowedError'));
    });
    await connectedCall(a, b);
    assert.equal(await b.evaluate(() => window.T.call?.media?.receiveOnly), true);
    const flow = await b.evaluate(() => window.T.flowing());
    assert.ok(
      flow.frames > 2 && flow.audioBytes > 0,
      `bob receives video and audio (${JSON.stringify(flow)})`,
    );
    await pollPage(a, () => window.T.call?.peer?.remoteMediaState?.video === false, {
      what: 'alice told bob has no camera',
    });
  });

  it('a hang-up is seen by the other side at once', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    const t0 = Date.now();
    await a.evaluate(() => window.T.call?.hangup());
    await pollPage(b, () => window.T.call?.state === 'ended', {
      what: 'bob sees the hang-up',
      intervalMs: 20,
    });
    const ms = Date.now() - t0;
    const ended = await b.evaluate(() => ({ reason: window.T.call?.endReason, by: window.T.call?.endedBy }));
    assert.deepEqual(ended, { reason: 'hangup', by: `alice${round}` });
    assert.equal(await b.evaluate(() => window.T.call?.peer?.state), 'closed');
    console.log(`# hang-up seen by the peer in ${ms} ms`);
    assert.ok(ms < 2000);
  });

  it('a closed tab ends the call on the other side', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    const t0 = Date.now();
    await a.close();
    await pollPage(b, () => window.T.call?.state === 'ended', {
      what: 'bob sees alice gone',
      intervalMs: 50,
      timeoutMs: 15_000,
    });
    const ms = Date.now() - t0;
    const reason = await b.evaluate(() => window.T.call?.endReason);
    console.log(`# closed tab seen by the peer in ${ms} ms (reason ${reason})`);
    assert.ok(['hangup', 'peer_gone', 'failed'].includes(String(reason)));
  });

  it('a crashed tab (no pagehide) ends the call with peer_gone after the server’s grace', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    const cdp = await env.context.newCDPSession(a);
    const t0 = Date.now();
    void cdp.send('Page.crash').catch(() => {}); // the renderer dies (the reply never comes): no pagehide, no bye
    await pollPage(b, () => window.T.call?.state === 'ended', {
      what: 'bob sees alice gone',
      intervalMs: 50,
      timeoutMs: 20_000,
    });
    const ms = Date.now() - t0;
    assert.equal(await b.evaluate(() => window.T.call?.endReason), 'peer_gone');
    console.log(`# crashed tab seen by the peer in ${ms} ms (PARLEY_GRACE_S=3)`);
    assert.ok(ms >= 2_500, 'not before the grace');
  });

  it('chats and sends a file over the call’s data channels', async () => {
    const [a, b] = await twoPeers();
    await connectedCall(a, b);
    await b.evaluate(() => {
      window.T.call?.chat?.on('chat', (m) => window.T.note('chat', m.text));
      window.T.call?.files?.on('offer', (incoming) => {
        incoming.accept();
        void incoming.finished.then(async (r) =>
          window.T.note('file', { state: r.state, sha256: r.sha256, text: await incoming.blob?.text() }),
        );
      });
    });
    await a.evaluate(() => window.T.call?.chat?.sendText('hello over the chat channel'));
    await pollPage(b, () => window.T.events.find((e) => e.what === 'chat')?.detail, {
      what: 'chat received',
    });
    const sent = await a.evaluate(async () => {
      const body = 'parley '.repeat(50_000);
      const out = window.T.call?.files?.send(new Blob([body]), { name: 'notes.txt' });
      const r = await out?.finished;
      return { state: r?.state, sha256: r?.sha256, length: body.length };
    });
    assert.equal(sent.state, 'completed');
    const got = (await pollPage(b, () => window.T.events.find((e) => e.what === 'file')?.detail, {
      what: 'file received',
    })) as { state: string; sha256: string; text: string };
    assert.equal(got.state, 'completed');
    assert.equal(got.sha256, sent.sha256);
    assert.equal(got.text.length, sent.length);
  });

  it('a reloaded page resumes its session from sessionStorage and keeps its name', async () => {
    round++;
    const name = `reload${round}`;
    const p = await env.page(name);
    pages.push(p);
    const login = (n: string) =>
      p.evaluate(async (nm) => {
        await window.T.connect(nm, { storage: window.sessionStorage });
        return window.T.client?.signaling.welcome?.resumed;
      }, n);
    assert.equal(await login(name), false, 'first visit: a new session');
    await p.reload();
    await p.waitForFunction(() => typeof window.T === 'object');
    assert.equal(await login(name), true, 'after the reload: the same session, no NAME_TAKEN');
  });

  it('declining ends the caller’s call with reason declined', async () => {
    const [a, b] = await twoPeers();
    await b.evaluate(() => {
      window.T.onIncoming = 'decline';
    });
    await a.evaluate((n) => window.T.callPeer(n), callee);
    await pollPage(a, () => window.T.call?.state === 'ended', { what: 'declined' });
    assert.equal(await a.evaluate(() => window.T.call?.endReason), 'declined');
  });
});
