// @needs chromium, firefox-esr
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BrowserSet } from '../../helpers/browsers.ts';
import { until } from '../../helpers/wait.ts';
import { sendTraffic } from './channel-traffic.ts';
import { type ChannelSite, connectPage, NodeChannelPeer, startChannelSite } from './harness.ts';

// App data channels between Chromium, Firefox and the Node peer in one mesh room through the
// real Parley server: the room channel reaches every member, each sender's 10,000 mixed
// messages (JSON, binary, strings) arrive complete and in order at both others.
describe('app channels › chromium, firefox and the Node peer', () => {
  const browsers = new BrowserSet();
  const nodes: NodeChannelPeer[] = [];
  let site: ChannelSite;
  let seq = 0;

  before(async () => {
    [site] = await Promise.all([startChannelSite(), browsers.warmUp(['chromium', 'firefox'])]);
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) n.close();
    await browsers.closePages();
  });
  after(async () => {
    await browsers.close();
    await site?.close();
  });

  it('room channel: 10,000 mixed messages from each of three members arrive in order at the other two', async () => {
    const n = ++seq;
    const room = `chan-${n}`;
    const names = { chromium: `c${n}`, firefox: `f${n}`, node: `n${n}` };
    const chromium = await browsers.openPage('chromium', site.pageUrl);
    const firefox = await browsers.openPage('firefox', site.pageUrl);
    await connectPage(chromium, site.wsUrl, names.chromium);
    await connectPage(firefox, site.wsUrl, names.firefox);
    // Chromium opens the channel before anyone else is there: later members get it on join.
    await chromium.evaluate((r) => window.channelPeer.join(r), room);
    const { id } = await chromium.evaluate(() => window.channelPeer.open('game', {}));
    await firefox.evaluate((r) => window.channelPeer.join(r), room);
    await firefox.evaluate(() => window.channelPeer.open('game', {}));
    const node = await NodeChannelPeer.connect(site.wsUrl, names.node);
    nodes.push(node);
    await node.join(room);
    const nodeChannel = node.open('game');
    assert.equal(nodeChannel.id, id, 'the same stream id on every peer');
    assert.ok(id >= 512 && id <= 1023);

    for (const [page, others] of [
      [chromium, [names.firefox, names.node]],
      [firefox, [names.chromium, names.node]],
    ] as const) {
      await page.waitFor((o) => o.every((x) => window.channelPeer.peers('game').includes(x)), {
        arg: [...others],
        timeoutMs: 20_000,
        what: `game open with ${others.join(', ')}`,
      });
    }
    await until(() => nodeChannel.peers.length === 2, {
      timeoutMs: 20_000,
      what: 'node channel open with both',
    });

    const COUNT = 10_000;
    const sent = await Promise.all([
      chromium.evaluate((c) => window.channelPeer.sendTraffic('game', c), COUNT),
      firefox.evaluate((c) => window.channelPeer.sendTraffic('game', c), COUNT),
      sendTraffic(nodeChannel, COUNT),
    ]);
    for (const s of sent) assert.ok(s.maxBuffered <= nodeChannel.maxBufferedBytes);

    const complete = (r: Record<string, { received: number; problem: string | null }>, from: string[]) =>
      from.every((f) => r[f]?.received === COUNT || r[f]?.problem);
    const reports = {
      chromium: await chromium.waitFor(
        (o) => {
          const r = window.channelPeer.report('game');
          return o.every((f) => r[f]?.received === 10_000 || r[f]?.problem) ? r : null;
        },
        { arg: [names.firefox, names.node], timeoutMs: 60_000, what: 'chromium got all' },
      ),
      firefox: await firefox.waitFor(
        (o) => {
          const r = window.channelPeer.report('game');
          return o.every((f) => r[f]?.received === 10_000 || r[f]?.problem) ? r : null;
        },
        { arg: [names.chromium, names.node], timeoutMs: 60_000, what: 'firefox got all' },
      ),
      node: await until(
        () => {
          const r = node.checkers.get('game')?.report() ?? {};
          return complete(r, [names.chromium, names.firefox]) ? r : null;
        },
        { timeoutMs: 60_000, what: 'node got all' },
      ),
    };
    for (const [who, report] of Object.entries(reports)) {
      for (const [from, s] of Object.entries(report)) {
        assert.equal(s.problem, null, `${who} from ${from}: ${s.problem}`);
        assert.equal(s.received, COUNT, `${who} from ${from}`);
      }
      assert.equal(Object.keys(report).length, 2, `${who} heard from both others`);
    }
    assert.deepEqual(await chromium.evaluate(() => window.channelPeer.errors('game')), []);
    assert.deepEqual(node.errors, []);
  });

  /** A Chromium⇄Firefox call with channels `cursors` (lossy), `state` and `odd` (mismatched). */
  async function callWithChannels() {
    const n = ++seq;
    const names = { chromium: `cc${n}`, firefox: `cf${n}` };
    const chromium = await browsers.openPage('chromium', site.pageUrl);
    const firefox = await browsers.openPage('firefox', site.pageUrl);
    await connectPage(chromium, site.wsUrl, names.chromium);
    await connectPage(firefox, site.wsUrl, names.firefox);
    // Opened on the caller before the call connects, on the callee once it is answered.
    await chromium.evaluate((to) => window.channelPeer.call(to), names.firefox);
    for (const page of [chromium, firefox]) {
      await page.waitFor(() => window.channelPeer.hasCall(), { what: 'call object' });
      await page.evaluate(() => {
        window.channelPeer.open('cursors', { reliable: false });
        window.channelPeer.open('state', {});
      });
    }
    // Options that do not match: chromium says ordered, firefox unordered.
    await chromium.evaluate(() => window.channelPeer.open('odd', { ordered: true }));
    await firefox.evaluate(() => window.channelPeer.open('odd', { ordered: false }));
    for (const [page, other] of [
      [chromium, names.firefox],
      [firefox, names.chromium],
    ] as const) {
      await page.waitFor(
        (o) => ['cursors', 'state', 'odd'].every((l) => window.channelPeer.peers(l).includes(o)),
        { arg: other, timeoutMs: 20_000, what: 'three channels open' },
      );
      const lossy = await page.evaluate((o) => window.channelPeer.dcInfo('cursors', o), other);
      assert.deepEqual(lossy && { ordered: lossy.ordered, maxRetransmits: lossy.maxRetransmits }, {
        ordered: false,
        maxRetransmits: 0,
      });
      // What the peer announced for its side (its hello/ack), as this side read it.
      assert.deepEqual(await page.evaluate((o) => window.channelPeer.remoteOptions('cursors', o), other), {
        ordered: false,
        maxRetransmits: 0,
      });
      const errs = await page.evaluate(() => window.channelPeer.errors('odd'));
      assert.equal(errs.length > 0 && errs[0]?.startsWith('BAD_MESSAGE'), true, `mismatch reported: ${errs}`);
      assert.deepEqual(await page.evaluate(() => window.channelPeer.errors('state')), []);
    }

    return { chromium, firefox, names };
  }

  it('call channel chromium⇄firefox: lossy options seen on both sides, a mismatch reported, 3,000 reliable messages arrive', async () => {
    const { chromium, firefox, names } = await callWithChannels();
    const COUNT = 3000;
    await chromium.evaluate((c) => window.channelPeer.sendTraffic('state', c), COUNT);
    const report = await firefox.waitFor(
      ([from, c]) => {
        const r = window.channelPeer.report('state')[from];
        return r && (r.received === c || r.problem) ? r : null;
      },
      { arg: [names.chromium, COUNT] as const, timeoutMs: 30_000, what: 'firefox got the reliable stream' },
    );
    assert.deepEqual(report, { received: COUNT, problem: null });
  });

  // Was intermittent (2 of 5 runs in session 6, 3 of 3 early in session 7): whenever Firefox
  // made the call's first offer, it answered Chromium's ICE-restart offer with `a=setup:active`
  // again, asking to swap DTLS roles; Chromium refused the answer ("Failed to set SSL role for
  // the transport") and the call ended `failed`. The SDK now keeps the roles (keepDtlsRole in
  // packages/client/src/peer/negotiation.ts): 6 of 6 runs since (4 by the fix's author, 2 on main
  // after the merge), one with the swap seen. A once-seen failure before the fix (call still up,
  // no lossy message after the restart within 15 s) has not come back; a plain test again, so it
  // would show.
  it('call channel chromium⇄firefox: traffic survives an ICE restart', async () => {
    const { chromium, firefox, names } = await callWithChannels();
    const COUNT = 3000;
    const first = chromium.evaluate((c) => window.channelPeer.sendTraffic('state', c), COUNT);
    await chromium.evaluate(() => window.channelPeer.restartIce());
    await first;
    const report = await firefox
      .waitFor(
        ([from, c]) => {
          const r = window.channelPeer.report('state')[from];
          return r && (r.received === c || r.problem) ? r : null;
        },
        { arg: [names.chromium, COUNT] as const, timeoutMs: 30_000, what: 'firefox got the reliable stream' },
      )
      .catch(async (e) => {
        const dbg = await Promise.all(
          [chromium, firefox].map((p) => p.evaluate(() => window.channelPeer.debug())),
        );
        throw new Error(`${e.message} ${JSON.stringify(dbg)}`);
      });
    assert.deepEqual(report, { received: COUNT, problem: null });
    assert.ok((await chromium.evaluate(() => window.channelPeer.iceRestarts())) >= 1, 'an ICE restart ran');
    // Both sides' call is still up after the restart.
    const dbg = await Promise.all(
      [chromium, firefox].map((p) => p.evaluate(() => window.channelPeer.debug())),
    );
    assert.deepEqual(
      dbg.map((d) => (d as { call: { state: string } | null }).call?.state),
      ['connected', 'connected'],
      JSON.stringify(dbg),
    );
    // The lossy channel still carries messages after the restart.
    await firefox
      .evaluate(() => window.channelPeer.sendTraffic('cursors', 50))
      .catch(async (e) => {
        const dbg = await Promise.all(
          [chromium, firefox].map((p) => p.evaluate(() => window.channelPeer.debug())),
        );
        throw new Error(`${e.message} ${JSON.stringify(dbg)}`);
      });
    await chromium
      .waitFor((from) => (window.channelPeer.report('cursors')[from]?.received ?? 0) > 0, {
        arg: names.firefox,
        what: 'lossy messages after the restart',
      })
      .catch(async (e) => {
        const dbg = await Promise.all(
          [chromium, firefox].map((p) => p.evaluate(() => window.channelPeer.debug())),
        );
        throw new Error(`${e.message} ${JSON.stringify(dbg)}`);
      });
  });
});
