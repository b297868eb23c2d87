// @needs chromium, firefox-esr
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type BrowserKind, BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import {
  connectSdkPeer,
  framesByTrack,
  type SdkSite,
  sdkCall,
  startSdkSite,
  waitForVideo,
} from './sdk-harness.ts';

// Chromium↔Firefox through the real Parley server and the client SDK (bundled from source):
// calls either way, screen-share renegotiation, glare, chat and file transfer. Success is read
// from getStats() (frames decoded per remote track) and from what the other page received.
describe('interop through Parley (SDK): chromium↔firefox', () => {
  const browsers = new BrowserSet();
  let site: SdkSite;
  let seq = 0;

  before(async () => {
    [site] = await Promise.all([startSdkSite(), browsers.warmUp(['chromium', 'firefox'])]);
  });
  afterEach(() => browsers.closePages());
  after(async () => {
    await browsers.close();
    await site?.close();
  });

  /**
   * Opens a page per browser, connects both, and has the first call the second. Names are
   * fresh per test (the server keeps a dropped name for its resume grace) and chosen so that
   * `polite` is the polite side of perfect negotiation. The SDK has the polite side wait for the
   * impolite side's first offer, so `polite` also picks which engine offers first; Chromium as
   * the polite side is the case that used to fail (FINDINGS.md, "Call setup through the SDK").
   */
  async function callBetween(
    caller: BrowserKind,
    callee: BrowserKind,
    polite: BrowserKind,
  ): Promise<[TestPage, TestPage]> {
    const n = ++seq;
    // isPolite(local, remote) is `local < remote`: the polite page's name sorts first.
    const callerName = `${caller === polite ? 'a' : 'b'}${n}-${caller}`;
    const calleeName = `${caller === polite ? 'b' : 'a'}${n}-${callee}`;
    const [a, b] = await browsers.pair([caller, callee], site.pageUrl);
    await Promise.all([connectSdkPeer(a, site.wsUrl, callerName), connectSdkPeer(b, site.wsUrl, calleeName)]);
    await sdkCall(a, b, calleeName);
    return [a, b];
  }

  /** The first `offer sent` in a page's peer log, with its time, to tell who offered first. */
  async function firstOfferAt(page: TestPage): Promise<number> {
    const log = await page.evaluate(() => window.sdkPeer.peerLog());
    return log.find((r) => r.msg === 'offer sent')?.at ?? Number.POSITIVE_INFINITY;
  }

  for (const [caller, callee, polite] of [
    ['chromium', 'firefox', 'chromium'],
    ['firefox', 'chromium', 'firefox'],
  ] as const) {
    const offerer = polite === caller ? callee : caller;
    it(`${caller} calls ${callee}, ${offerer} offers first: audio and video decoded both ways, VP8, SDK stats on both`, async (t) => {
      const [a, b] = await callBetween(caller, callee, polite);
      const [atA, atB] = await Promise.all([waitForVideo(a), waitForVideo(b)]);
      for (const [page, report] of [
        [a, atA],
        [b, atB],
      ] as const) {
        assert.equal(report.video[0]?.codec?.toLowerCase(), 'video/vp8', `${page.label} video codec`);
        assert.equal(report.audioCodec?.toLowerCase(), 'audio/opus', `${page.label} audio codec`);
      }
      const [offerA, offerB] = [await firstOfferAt(a), await firstOfferAt(b)];
      const first = offerA <= offerB ? a : b;
      t.diagnostic(`first offer from ${first.label}`);
      assert.equal(first.kind, offerer, 'the impolite side makes the first offer');

      // The SDK's stats summary must work on both engines' getStats() (their fields differ).
      for (const page of [a, b]) {
        const s = await page.evaluate(() => window.sdkPeer.statsSummary(1_000));
        t.diagnostic(`${page.label} stats: ${JSON.stringify(s)}`);
        assert.ok(s.rttMs !== null, `${page.label}: rttMs`);
        assert.ok(
          s.candidateType !== null && s.remoteCandidateType !== null,
          `${page.label}: candidate types`,
        );
        assert.ok((s.bitrateInKbps ?? 0) > 0 && (s.bitrateOutKbps ?? 0) > 0, `${page.label}: media bitrates`);
        assert.ok(s.framesPerSecond !== null && s.resolution !== null, `${page.label}: received video`);
      }
    });
  }

  it('screen share renegotiates either way: the second video stream is decoded, then removed', async () => {
    const [a, b] = await callBetween('chromium', 'firefox', 'chromium');
    await Promise.all([waitForVideo(a), waitForVideo(b)]);
    for (const [sharer, viewer] of [
      [b, a],
      [a, b],
    ] as const) {
      const before = await framesByTrack(viewer);
      const removedBefore = (await viewer.evaluate(() => window.sdkPeer.remote())).removedTracks;
      await sharer.evaluate(() => window.sdkPeer.shareScreen());
      await waitForVideo(viewer, { streams: 2, baseline: before });
      assert.equal((await viewer.evaluate(() => window.sdkPeer.remote())).liveVideoTracks, 2);

      await sharer.evaluate(() => window.sdkPeer.stopScreen());
      await viewer.waitFor((n) => window.sdkPeer.remote().removedTracks > n, {
        arg: removedBefore,
        what: `track-removed on ${viewer.label}`,
      });
      // The camera keeps flowing after the renegotiation that removed the screen.
      await waitForVideo(viewer, { streams: 1, baseline: await framesByTrack(viewer) });
    }
  });

  for (const polite of ['firefox', 'chromium'] as const) {
    it(`glare, ${polite} polite: both add or remove a screen at the same instant; offers cross, negotiation settles, media follows`, async (t) => {
      const [a, b] = await callBetween('firefox', 'chromium', polite);
      await Promise.all([waitForVideo(a), waitForVideo(b)]);
      const pages = [a, b] as const;
      const logFrom = await Promise.all(
        pages.map(async (p) => (await p.evaluate(() => window.sdkPeer.peerLog())).length),
      );
      /** Offer collisions perfect negotiation resolved since the test began: ignored or rolled back. */
      const collisions = async (): Promise<string[]> => {
        const out: string[] = [];
        for (const [i, page] of pages.entries()) {
          for (const r of (await page.evaluate(() => window.sdkPeer.peerLog())).slice(logFrom[i])) {
            if (r.msg === 'remote description ignored') out.push(`${page.label} ignored the other's offer`);
            if (r.msg === 'remote description' && r.ctx?.rollback === true)
              out.push(`${page.label} rolled back its offer`);
          }
        }
        return out;
      };
      const settled = () =>
        Promise.all(
          pages.map((p) => p.waitFor(() => window.sdkPeer.signalingState() === 'stable', { what: 'stable' })),
        );

      // Both pages change their tracks at the same wall-clock instant, so both fire
      // negotiationneeded and their offers cross on the server. Timing decides whether they truly
      // cross; a few rounds make it all but certain, and each round must end with media flowing.
      let seen: string[] = [];
      for (let round = 1; round <= 3 && seen.length === 0; round++) {
        const before = await Promise.all(pages.map((p) => framesByTrack(p)));
        const removed = await Promise.all(
          pages.map(async (p) => (await p.evaluate(() => window.sdkPeer.remote())).removedTracks),
        );
        let at = Date.now() + 300;
        await Promise.all(pages.map((p) => p.evaluate((x) => window.sdkPeer.shareScreenAt(x), at)));
        await Promise.all(pages.map((p, i) => waitForVideo(p, { streams: 2, baseline: before[i]! })));
        await settled();

        at = Date.now() + 300;
        await Promise.all(pages.map((p) => p.evaluate((x) => window.sdkPeer.stopScreenAt(x), at)));
        await Promise.all(
          pages.map((p, i) =>
            p.waitFor((n) => window.sdkPeer.remote().removedTracks > n, {
              arg: removed[i]!,
              what: 'track-removed',
            }),
          ),
        );
        await settled();
        const after = await Promise.all(pages.map((p) => framesByTrack(p)));
        await Promise.all(pages.map((p, i) => waitForVideo(p, { streams: 1, baseline: after[i]! })));
        seen = await collisions();
        t.diagnostic(`round ${round}: ${seen.join('; ') || 'the offers did not cross'}`);
      }
      assert.ok(seen.length > 0, 'no offer collision happened in 3 rounds');
    });
  }

  it('chat and a 3 MiB file cross both ways; the SHA-256 matches on both ends', async () => {
    const [a, b] = await callBetween('chromium', 'firefox', 'chromium');
    for (const page of [a, b]) {
      await page.waitFor(() => window.sdkPeer.chatState() === 'open', { what: 'chat channel open' });
    }
    await a.evaluate(() => window.sdkPeer.sendChat('hello from chromium ✓'));
    await b.evaluate(() => window.sdkPeer.sendChat('hello from firefox ✓'));
    assert.deepEqual(
      await b.waitFor(() => window.sdkPeer.chats().length > 0 && window.sdkPeer.chats(), { what: 'chat' }),
      ['hello from chromium ✓'],
    );
    assert.deepEqual(
      await a.waitFor(() => window.sdkPeer.chats().length > 0 && window.sdkPeer.chats(), { what: 'chat' }),
      ['hello from firefox ✓'],
    );

    const size = 3 * 1024 * 1024;
    const [sentByA, sentByB] = await Promise.all([
      a.evaluate((n) => window.sdkPeer.sendFile(n, 1), size),
      b.evaluate((n) => window.sdkPeer.sendFile(n, 2), size),
    ]);
    const [gotByB] = await b.waitFor(
      () => window.sdkPeer.receivedFiles().length > 0 && window.sdkPeer.receivedFiles(),
      { what: 'file received' },
    );
    const [gotByA] = await a.waitFor(
      () => window.sdkPeer.receivedFiles().length > 0 && window.sdkPeer.receivedFiles(),
      { what: 'file received' },
    );
    for (const [sent, got, dir] of [
      [sentByA, gotByB, 'chromium→firefox'],
      [sentByB, gotByA, 'firefox→chromium'],
    ] as const) {
      assert.equal(sent.state, 'completed', `${dir} sender`);
      assert.equal(got?.state, 'completed', `${dir} receiver`);
      assert.equal(got?.bytes, size, `${dir} size`);
      assert.equal(got?.pageSha256, sent.pageSha256, `${dir}: bytes received hash to what was sent`);
      assert.equal(got?.sdkSha256, sent.pageSha256, `${dir}: receiver's SDK hash`);
      assert.equal(sent.sdkSha256, sent.pageSha256, `${dir}: sender's SDK hash`);
    }
  });
});
