// @needs chromium
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type SdkEnv, startSdkEnv } from './harness.ts';

// A 3-party mesh room in one Chromium: each page holds two peer sessions, so six video streams
// must be decoding at once. Then one member leaves and the others see it.
describe('SDK › mesh room in Chromium', () => {
  let env: SdkEnv;
  const names = ['ann', 'ben', 'cat'];
  let pages: Page[] = [];

  before(async () => {
    env = await startSdkEnv();
    pages = await Promise.all(names.map((n) => env.page(n)));
    for (const [i, p] of pages.entries()) await p.evaluate((n) => window.T.connect(n), names[i] as string);
  });
  after(async () => {
    await env?.close();
  });

  it('three members join and all six streams decode video and audio', async () => {
    const started = Date.now();
    for (const p of pages) await p.evaluate(() => window.T.join('mesh'));
    for (const [i, p] of pages.entries()) {
      const others = names.filter((_, j) => j !== i);
      await p.waitForFunction(
        (want) => want.every((n) => window.T.room?.peers.get(n)?.state === 'connected'),
        others,
        { timeout: 20_000, polling: 100 },
      );
    }
    const joinedMs = Date.now() - started;
    let streams = 0;
    for (const [i, p] of pages.entries()) {
      for (const other of names.filter((_, j) => j !== i)) {
        const flow = await p.evaluate((n) => window.T.flowing(n), other);
        assert.ok(
          flow.frames > 2 && flow.audioBytes > 0,
          `${names[i]} decodes ${other} (${JSON.stringify(flow)})`,
        );
        streams++;
      }
    }
    assert.equal(streams, 6);
    console.log(`# mesh: 3 joins to 6 connected sessions in ${joinedMs} ms`);

    // The video cap follows the mesh size: two peers each → videoBitrateForPeers(2).
    const caps = await pages[0]?.evaluate(() =>
      [...(window.T.room?.peers.values() ?? [])].map(
        (peer) =>
          peer.pc
            .getSenders()
            .find((s) => s.track?.kind === 'video')
            ?.getParameters().encodings[0]?.maxBitrate,
      ),
    );
    const expected = await pages[0]?.evaluate(() => window.Parley.videoBitrateForPeers(2));
    assert.deepEqual(caps, [expected, expected]);
  });

  it('room chat reaches every member over the peer-to-peer channels', async () => {
    for (const p of pages) {
      await p.evaluate(() =>
        window.T.room?.chat.on('chat', (from, m) => window.T.note('chat', { from, text: m.text })),
      );
    }
    await pages[0]?.evaluate(() => window.T.room?.chat.sendText('hi all'));
    for (const p of pages.slice(1)) {
      await p.waitForFunction(() => window.T.events.some((e) => e.what === 'chat'), null, {
        timeout: 10_000,
      });
      assert.deepEqual(await p.evaluate(() => window.T.events.find((e) => e.what === 'chat')?.detail), {
        from: 'ann',
        text: 'hi all',
      });
    }
  });

  it('a member who leaves is seen leaving by the others, and the room goes on', async () => {
    await pages[2]?.evaluate(() => window.T.room?.leave());
    for (const p of pages.slice(0, 2)) {
      await p.waitForFunction(() => window.T.events.some((e) => e.what === 'peer-left'), null, {
        timeout: 10_000,
      });
      assert.equal(await p.evaluate(() => window.T.room?.peers.has('cat')), false);
    }
    const flow = await pages[0]?.evaluate(() => window.T.flowing('ben'));
    assert.ok((flow?.frames ?? 0) > 2, 'ann still decodes ben');
    // With one peer left, the cap rises again.
    const cap = await pages[0]?.evaluate(
      () =>
        window.T.room?.peers
          .get('ben')
          ?.pc.getSenders()
          .find((s) => s.track?.kind === 'video')
          ?.getParameters().encodings[0]?.maxBitrate,
    );
    assert.equal(cap, await pages[0]?.evaluate(() => window.Parley.videoBitrateForPeers(1)));
  });
});
