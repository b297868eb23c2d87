// @needs chromium, firefox-esr
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type BrowserKind, BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import {
  codecsInSdp,
  glareOverDataOnlyOffer,
  iceConnected,
  initRawPeer,
  mediaPort,
  type RawSite,
  relayUntil,
  startRawSite,
  waitForMedia,
} from './raw-harness.ts';

// Chromium↔Firefox with bare RTCPeerConnections and the test process as the signaling channel:
// proves what the two engines do with each other before any Parley code is involved, so an SDK
// interop failure can be told apart from an engine one. Success is read from getStats().
describe('interop without a server: chromium↔firefox', () => {
  const browsers = new BrowserSet();
  let site: RawSite;

  before(async () => {
    [site] = await Promise.all([startRawSite(), browsers.warmUp(['chromium', 'firefox'])]);
  });
  afterEach(() => browsers.closePages());
  after(async () => {
    await browsers.close();
    await site?.close();
  });

  /** Opens one page per browser, with camera, microphone and (on the offerer) a data channel. */
  async function call(offerer: BrowserKind, answerer: BrowserKind): Promise<[TestPage, TestPage]> {
    const [a, b] = await browsers.pair([offerer, answerer], site.pageUrl);
    await Promise.all([initRawPeer(a), initRawPeer(b)]);
    await Promise.all([
      a.evaluate(() => window.rawPeer.addCamera()),
      b.evaluate(() => window.rawPeer.addCamera()),
    ]);
    await a.evaluate(() => window.rawPeer.createChannel());
    await a.evaluate(() => window.rawPeer.offer());
    await relayUntil(a, b, async () => (await iceConnected(a)) && (await iceConnected(b)), {
      what: 'ICE connected on both sides',
    });
    return [a, b];
  }

  for (const [offerer, answerer] of [
    ['chromium', 'firefox'],
    ['firefox', 'chromium'],
  ] as const) {
    it(`${offerer} offers to ${answerer}: audio and video decoded both ways, VP8 and Opus negotiated`, async (t) => {
      const [a, b] = await call(offerer, answerer);
      const [atA, atB] = await Promise.all([waitForMedia(a), waitForMedia(b)]);
      assert.ok(atA.videoFramesDecoded >= 5 && atA.audioBytes > 0, `${a.label}: ${JSON.stringify(atA)}`);
      assert.ok(atB.videoFramesDecoded >= 5 && atB.audioBytes > 0, `${b.label}: ${JSON.stringify(atB)}`);

      // Firefox ESR here ships VP8, VP9 and AV1 but no H264 (no OpenH264 plugin); both engines
      // put VP8 first, so VP8 is what a Chromium↔Firefox call uses.
      for (const [page, report] of [
        [a, atA],
        [b, atB],
      ] as const) {
        assert.equal(report.videoCodec?.toLowerCase(), 'video/vp8', `${page.label} video codec`);
        assert.equal(report.audioCodec?.toLowerCase(), 'audio/opus', `${page.label} audio codec`);
      }
      const { local: offerSdp } = await a.evaluate(() => window.rawPeer.descriptions());
      const { local: answerSdp } = await b.evaluate(() => window.rawPeer.descriptions());
      t.diagnostic(`${offerer} offered video: ${codecsInSdp(offerSdp ?? '', 'video').join(' ')}`);
      t.diagnostic(`${answerer} answered video: ${codecsInSdp(answerSdp ?? '', 'video').join(' ')}`);
      const firefoxPage = a.kind === 'firefox' ? a : b;
      const { local: firefoxSdp } = await firefoxPage.evaluate(() => window.rawPeer.descriptions());
      assert.ok(!codecsInSdp(firefoxSdp ?? '', 'video').includes('H264'), 'Firefox ESR here has no H264');
    });

    it(`${offerer} opens a data channel to ${answerer}: 256 KiB maxMessageSize, text arrives both ways in order`, async () => {
      const [a, b] = await call(offerer, answerer);
      await a.waitFor(() => window.rawPeer.state().channel === 'open', { what: 'channel open' });
      await b.waitFor(() => window.rawPeer.state().channel === 'open', { what: 'channel open' });
      // Chromium advertises 256 KiB and both ends settle on the smaller value (Firefox alone
      // advertises 1 GiB, so a sender must not size chunks from maxMessageSize unbounded).
      assert.equal(await a.evaluate(() => window.rawPeer.maxMessageSize()), 262_144);
      assert.equal(await b.evaluate(() => window.rawPeer.maxMessageSize()), 262_144);
      const count = 20;
      await a.evaluate((n) => {
        for (let i = 0; i < n; i++) window.rawPeer.send(`a→b ${i}`);
      }, count);
      await b.evaluate((n) => {
        for (let i = 0; i < n; i++) window.rawPeer.send(`b→a ${i}`);
      }, count);
      const atB = await b.waitFor(
        (n) => (window.rawPeer.messages().length >= n ? window.rawPeer.messages() : null),
        {
          arg: count,
          what: `${count} messages`,
        },
      );
      const atA = await a.waitFor(
        (n) => (window.rawPeer.messages().length >= n ? window.rawPeer.messages() : null),
        {
          arg: count,
          what: `${count} messages`,
        },
      );
      assert.deepEqual(
        atB,
        Array.from({ length: count }, (_, i) => `a→b ${i}`),
      );
      assert.deepEqual(
        atA,
        Array.from({ length: count }, (_, i) => `b→a ${i}`),
      );
    });
  }

  it('connects although Firefox hides its host addresses behind mDNS names', async (t) => {
    const [a, b] = await call('chromium', 'firefox');
    const firefoxCandidates = await b.evaluate(() => window.rawPeer.localCandidates());
    const chromiumCandidates = await a.evaluate(() => window.rawPeer.localCandidates());
    t.diagnostic(
      `firefox host candidates: ${firefoxCandidates.filter((c) => / typ host/.test(c)).join(' | ')}`,
    );
    t.diagnostic(
      `chromium host candidates: ${chromiumCandidates.filter((c) => / typ host/.test(c)).join(' | ')}`,
    );
    assert.ok(
      firefoxCandidates.some((c) => /\s[0-9a-f-]{36}\.local\s/.test(c)),
      `Firefox host candidates are mDNS names: ${firefoxCandidates.join(' | ')}`,
    );
    assert.ok(await iceConnected(a));
  });

  // Found through the SDK (see FINDINGS.md): Chromium, when it rolls back an offer that held only
  // a data channel, answers the colliding offer with the data m-section rejected (port 0), so
  // the channel never opens, and a later re-offer fails with "Failed to start SCTP transport".
  // Firefox handles the same sequence. These two tests pin the engine behaviour the SDK must
  // steer around (never let the polite side's first offer be data-only); if Chromium changes,
  // the first one fails and tells us.
  it('chromium as the polite side, rolling back a data-only offer, rejects the data m-section in its answer', async () => {
    const [polite, impolite] = await browsers.pair(['chromium', 'firefox'], site.pageUrl);
    const answer = await glareOverDataOnlyOffer(polite, impolite);
    assert.equal(mediaPort(answer, 'application'), 0, 'm=application port in the answer');
    assert.notEqual(mediaPort(answer, 'audio'), 0);
    assert.notEqual(mediaPort(answer, 'video'), 0);
  });

  it('firefox as the polite side, rolling back a data-only offer, keeps the data channel and it opens', async () => {
    const [polite, impolite] = await browsers.pair(['firefox', 'chromium'], site.pageUrl);
    const answer = await glareOverDataOnlyOffer(polite, impolite);
    assert.notEqual(mediaPort(answer, 'application'), 0, 'm=application port in the answer');
    for (const page of [polite, impolite]) {
      await page.waitFor(() => window.rawPeer.state().channel === 'open', {
        what: 'negotiated channel open',
      });
    }
  });
});
