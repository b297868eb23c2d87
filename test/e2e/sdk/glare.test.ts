// @needs chromium
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { type SdkEnv, startSdkEnv } from './harness.ts';

// Perfect negotiation under glare in a real browser: both sides of a call start a negotiation
// at the same instant (an ICE restart, or a new track), 20 times in a row. Every round must end
// stable and connected, with media still flowing both ways.
describe('SDK › glare in Chromium', () => {
  let env: SdkEnv;
  let a: Page;
  let b: Page;

  before(async () => {
    env = await startSdkEnv();
    [a, b] = await Promise.all([env.page('alice'), env.page('bob')]);
    await a.evaluate(() => window.T.connect('alice'));
    await b.evaluate(() => window.T.connect('bob'));
    await a.evaluate(() => window.T.callPeer('bob'));
    for (const p of [a, b])
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'connected' });
  });
  after(async () => {
    await env?.close();
  });

  /** The ICE username fragment of a page's local description (changes with every ICE restart). */
  const ufrag = (p: Page) =>
    p.evaluate(
      () => /a=ice-ufrag:(\S+)/.exec(window.T.call?.peer?.pc.localDescription?.sdp ?? '')?.[1] ?? '',
    );

  it('both sides negotiate at the same instant, 20 times: always stable, connected, media both ways', async () => {
    let glareRounds = 0;
    const started = Date.now();
    for (let round = 0; round < 20; round++) {
      const ignoredBefore = await b.evaluate(() => window.T.count('remote description ignored'));
      const at = Date.now() + 150;
      if (round < 16) {
        // An ICE restart on both sides at once: two offers cross.
        const before = await Promise.all([ufrag(a), ufrag(b)]);
        await Promise.all(
          [a, b].map((p) => p.evaluate((t) => window.T.at(t, () => window.T.call?.peer?.restartIce()), at)),
        );
        for (const [i, p] of [a, b].entries()) {
          await p.waitForFunction(
            (old) => {
              const pc = window.T.call?.peer?.pc;
              const u = /a=ice-ufrag:(\S+)/.exec(pc?.localDescription?.sdp ?? '')?.[1];
              return u !== old && pc?.signalingState === 'stable' && pc.connectionState === 'connected';
            },
            before[i],
            { timeout: 15_000, polling: 50 },
          );
        }
      } else {
        // A new track on both sides at once (a clone of the camera): two offers cross.
        const tracksBefore = await Promise.all([a, b].map((p) => p.evaluate(() => window.T.inbound())));
        await Promise.all(
          [a, b].map((p) =>
            p.evaluate(
              (t) =>
                window.T.at(t, () => {
                  const stream = window.T.call?.media?.stream as MediaStream;
                  const clone = (stream.getVideoTracks()[0] as MediaStreamTrack).clone();
                  void window.T.call?.peer?.addTrack(clone, new MediaStream([clone]));
                }),
              at,
            ),
          ),
        );
        for (const [i, p] of [a, b].entries()) {
          const want = (tracksBefore[i]?.videoTracks ?? 0) + 1;
          await p.waitForFunction(async (n) => (await window.T.inbound()).videoTracks >= n, want, {
            timeout: 15_000,
            polling: 100,
          });
        }
      }
      for (const p of [a, b]) {
        await p.waitForFunction(
          () => {
            const pc = window.T.call?.peer?.pc;
            return pc?.signalingState === 'stable' && pc.connectionState === 'connected';
          },
          null,
          { timeout: 15_000, polling: 50 },
        );
      }
      const ignored = (await b.evaluate(() => window.T.count('remote description ignored'))) - ignoredBefore;
      if (ignored > 0) glareRounds++;
    }
    for (const [p, who] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2 && flow.audioBytes > 0, `${who} still receives media`);
    }
    // bob is the impolite side ('alice' < 'bob'): every collision it saw, it ignored.
    console.log(
      `# glare: ${glareRounds}/20 rounds had colliding offers; 20 rounds in ${Date.now() - started} ms`,
    );
    assert.ok(glareRounds >= 10, `offers actually collided in most rounds (${glareRounds}/20)`);
    const rollbacks = await a.evaluate(
      () =>
        window.T.logs.filter(
          (l) => l.msg === 'remote description' && (l.ctx as { rollback?: boolean }).rollback,
        ).length,
    );
    assert.ok(rollbacks >= glareRounds, `the polite side rolled back (${rollbacks})`);
  });
});
