// @needs chromium, nftables
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { tracePage } from '../../helpers/browser.ts';
import { until } from '../../helpers/wait.ts';
import { quantile, summarize } from './latency.ts';
import { createLossyNet, type LossyNet, type LossySite, lossyNetSkipReason } from './lossy-net.ts';
import type { Arrival } from './pages/loss-peer.ts';

// A reliable and a lossy app channel (`maxRetransmits: 0`, unordered) in one Chromium⇄Chromium
// call while 10 % of UDP packets are dropped (lossy-net.ts: nftables in a network namespace, as
// netem's loss would). The sender sends a position update on both channels every 20 ms. The
// lossy channel must lose some updates, deliver the rest quickly, and deliver the newest; the
// reliable one must deliver every update in order, stalling behind retransmissions (a tail far
// above the lossy one's), and catch up once the loss is removed.

const PAGE_SOURCE = fileURLToPath(new URL('./pages/loss-peer.ts', import.meta.url));
const INTERVAL_MS = 20;
const LOSSY_UPDATES = 200; // 4 s at 50 Hz under 10 % loss
const CLEAR_UPDATES = 50; // 1 s after the loss is removed
const LOSSY = { ordered: false, maxRetransmits: 0 } as const;
/** A reliable update this late waited for a retransmission (one update interval or more). */
const STALL_MS = INTERVAL_MS;
/**
 * The latency bound of a delivered lossy update. Nothing delays packets here (no emulated
 * delay), so one takes 1–8 ms (p99 about 5 ms in runs on an idle machine); 100 ms leaves room
 * for a loaded 2-core machine and is still five update intervals.
 */
const BOUND_MS = 100;

const skip = lossyNetSkipReason();

describe('app channels › 10 % packet loss', { skip: skip ?? false }, () => {
  let net: LossyNet;
  let site: LossySite;
  let browser: Browser | undefined;

  before(async () => {
    net = createLossyNet();
    site = await net.startSite({ 'loss-peer': PAGE_SOURCE });
    browser = await net.launchChromium();
  });
  after(async () => {
    await browser?.close();
    await net?.close();
  });

  it('the lossy channel drops some updates and delivers the newest fast; the reliable one stalls, delivers all in order and recovers', {
    timeout: 30_000,
  }, async () => {
    const open = async (name: string): Promise<Page> => {
      const page = await browser!.newPage();
      tracePage(page, name);
      await page.goto(site.page('loss-peer'));
      await page.waitForFunction(() => typeof window.lossPeer === 'object');
      await page.evaluate(([u, n]) => window.lossPeer.connect(u, n), [site.wsUrl, name] as const);
      return page;
    };
    const sender = await open('sender');
    const receiver = await open('receiver');
    await sender.evaluate(() => window.lossPeer.call('receiver'));
    await until(async () => (await receiver.evaluate(() => window.lossPeer.transport())) !== null, {
      timeoutMs: 10_000,
      what: 'the receiver in the call',
    });
    for (const page of [sender, receiver]) {
      await page.evaluate((lossy) => {
        window.lossPeer.open('state', {});
        window.lossPeer.open('pos', lossy);
      }, LOSSY);
    }
    for (const [page, peer] of [
      [sender, 'receiver'],
      [receiver, 'sender'],
    ] as const) {
      await page.waitForFunction(
        (p) => ['state', 'pos'].every((l) => window.lossPeer.peers(l).includes(p)),
        peer,
        { timeout: 10_000 },
      );
    }
    // The peers' traffic must be UDP (the loss applies to UDP only; a TCP candidate would hide it).
    assert.equal(await sender.evaluate(() => window.lossPeer.transport()), 'udp');

    net.setLoss(10);
    await sender.evaluate(([n, ms]) => window.lossPeer.sendUpdates(['state', 'pos'], 'loss', n, ms), [
      LOSSY_UPDATES,
      INTERVAL_MS,
    ] as const);
    // Updates in flight land within a few hundred ms; retransmissions may take longer.
    await new Promise((r) => setTimeout(r, 300));
    const lossy = await receiver.evaluate(() => window.lossPeer.arrivals('pos'));
    const udp = net.udpCounts();
    const reliableUnderLoss = await receiver.evaluate(() => window.lossPeer.arrivals('state'));

    net.setLoss(0);
    await sender.evaluate(([n, ms]) => window.lossPeer.sendUpdates(['state', 'pos'], 'clear', n, ms), [
      CLEAR_UPDATES,
      INTERVAL_MS,
    ] as const);
    const reliable = await until(
      async () => {
        const a = await receiver.evaluate(() => window.lossPeer.arrivals('state'));
        return a.length === LOSSY_UPDATES + CLEAR_UPDATES ? a : null;
      },
      { timeoutMs: 15_000, what: 'every reliable update' },
    );
    const lossyAll = await receiver.evaluate(() => window.lossPeer.arrivals('pos'));
    const latency = (a: Arrival[], phase: string) => a.filter((x) => x.phase === phase).map((x) => x.ms);
    const lossyMs = latency(lossy, 'loss');
    const reliableMs = latency(reliable, 'loss');
    const figures = {
      udp,
      lossy: { ...summarize(lossyMs), delivered: lossy.length },
      reliable: { ...summarize(reliableMs), stalled: reliableMs.filter((ms) => ms >= STALL_MS).length },
      reliableAtLossEnd: reliableUnderLoss.length,
      clear: {
        reliable: summarize(latency(reliable, 'clear')),
        lossy: summarize(latency(lossyAll, 'clear')),
      },
    };
    const why = JSON.stringify(figures);
    if (process.env.PARLEY_TEST_VERBOSE) console.log(why);

    // The loss really happened (7–13 % of the UDP packets while it was on).
    assert.ok(udp.dropped > 0.05 * udp.sent && udp.dropped < 0.15 * udp.sent, why);
    // Lossy: some updates lost, most delivered, each one fast, and the newest among them.
    assert.ok(lossy.length < LOSSY_UPDATES, `no update lost: ${why}`);
    assert.ok(lossy.length >= 0.75 * LOSSY_UPDATES, why);
    assert.ok(quantile(lossyMs, 0.99) < BOUND_MS, `lossy p99 over ${BOUND_MS} ms: ${why}`);
    assert.ok(Math.max(...lossy.map((a) => a.seq)) >= LOSSY_UPDATES - 5, `the newest lost: ${why}`);
    // Reliable: everything, in order, but the updates behind a lost packet wait for its
    // retransmission (at least one more update interval), so its tail is far above the lossy one's.
    assert.deepEqual(
      reliable.map((a) => `${a.phase}${a.seq}`),
      [...Array(LOSSY_UPDATES + CLEAR_UPDATES).keys()].map((i) =>
        i < LOSSY_UPDATES ? `loss${i}` : `clear${i - LOSSY_UPDATES}`,
      ),
    );
    assert.ok(figures.reliable.stalled >= 3, `no stall: ${why}`);
    assert.ok(quantile(reliableMs, 0.99) > quantile(lossyMs, 0.99), why);
    // Recovered: with the loss removed, both deliver every update fast again.
    assert.ok(latency(lossyAll, 'clear').length === CLEAR_UPDATES, why);
    assert.ok(figures.clear.reliable.p99 < BOUND_MS, why);
    assert.deepEqual(await receiver.evaluate(() => window.lossPeer.errors()), []);
  });
});
