// @needs chromium
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  connect,
  type DataChannelRig,
  openPair,
  type PagePair,
  pollWith,
  startRig,
} from './file-transfer-pages.ts';

describe('chat channel between two Chromium pages', () => {
  let rig: DataChannelRig;
  let pair: PagePair | undefined;

  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig?.close();
  });
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('delivers 1,000 messages in order, including ones sent before the channel opened', async () => {
    pair = await openPair(rig);
    const p = pair;
    await connect(p, {
      beforeOffer: async () => {
        await p.a.evaluate(() => {
          window.h.chat!.sendText('early-0');
          window.h.chat!.sendText('early-1');
        });
      },
    });
    await p.a.evaluate(() => {
      for (let i = 0; i < 1000; i++) window.h.chat!.sendText(`m${i}`);
    });
    const texts = await pollWith(p.b, (n) => window.h.chatTexts.length >= n && window.h.chatTexts, 1002, {
      timeoutMs: 20_000,
      what: '1,002 chat messages',
    });
    assert.deepEqual(texts, ['early-0', 'early-1', ...Array.from({ length: 1000 }, (_, i) => `m${i}`)]);
    assert.deepEqual(await p.b.evaluate(() => window.h.chatErrors), []);
  });

  it('carries media-state both ways', async () => {
    pair = await openPair(rig);
    await connect(pair);
    await pair.a.evaluate(() => window.h.chat!.sendMediaState({ audio: false, video: true }));
    await pair.b.evaluate(() => window.h.chat!.sendMediaState({ audio: true, video: false }));
    const atB = await pollWith(pair.b, () => window.h.mediaStates.length > 0 && window.h.mediaStates, null);
    const atA = await pollWith(pair.a, () => window.h.mediaStates.length > 0 && window.h.mediaStates, null);
    assert.deepEqual(atB, [{ audio: false, video: true }]);
    assert.deepEqual(atA, [{ audio: true, video: false }]);
    assert.deepEqual(await pair.b.evaluate(() => window.h.chat!.remoteMediaState), {
      type: 'media-state',
      audio: false,
      video: true,
    });
  });

  it('turns hostile input into error events and keeps the channel working', async () => {
    pair = await openPair(rig);
    await connect(pair, { rawChatOnA: true });
    await pair.a.evaluate(() => {
      const ch = window.h.rawChat!;
      ch.send('not json');
      ch.send(JSON.stringify({ type: 'exec', cmd: 'rm -rf /' }));
      ch.send(JSON.stringify({ type: 'chat', id: 'x', text: 'forged', ts: 1, from: 'admin' }));
      ch.send(JSON.stringify({ type: 'chat', id: 'x', text: 'x'.repeat(70_000), ts: 1 }));
      ch.send(new Uint8Array([0xff, 0x00, 0x7b]));
      ch.send(JSON.stringify({ type: 'chat', id: 'ok', text: 'still here', ts: Date.now() }));
    });
    const texts = await pollWith(pair.b, () => window.h.chatTexts.length > 0 && window.h.chatTexts, null);
    assert.deepEqual(texts, ['still here']);
    assert.deepEqual(await pair.b.evaluate(() => window.h.chatErrors), [
      'BAD_JSON',
      'UNKNOWN_TYPE',
      'BAD_MESSAGE',
      'TOO_LARGE',
      'BAD_JSON',
    ]);
    assert.equal(await pair.b.evaluate(() => window.h.chat!.state), 'open');
  });
});
