// @needs chromium
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'puppeteer-core';
import { type BackgroundEnv, envSeconds, startBackgroundEnv } from './harness.ts';

// A background tab frozen by the browser (what mobile and energy-saving browsers do; driven here
// through CDP Page.setWebLifecycleState) is called while frozen. On resume it must be back
// within 1 s: a call still inside its ring time rings (with the time left), one whose ring time
// ran out shows as a missed call. The long freeze is PARLEY_BG_FREEZE_S (default 30 s here to
// keep CI short; the 60 s: PARLEY_BG_FREEZE_S=60), the ring time 20 s.
const LONG_FREEZE_S = envSeconds('PARLEY_BG_FREEZE_S', 30);
const RING_S = 20;

/** Times the callee's page writes by its own clock (ms since the epoch). */
interface PageTimes {
  resumedAt?: number;
  incomingAt?: number;
  missedAt?: number;
}

describe('Background › a frozen tab called meanwhile', () => {
  let env: BackgroundEnv;
  let caller: Page;
  let n = 0;
  before(async () => {
    env = await startBackgroundEnv({ PARLEY_RING_TIMEOUT_S: String(RING_S) });
    caller = await env.page('caller');
    await caller.evaluate(() => window.T.connect('frz-caller'));
  });
  after(() => env?.close());

  async function frozenCallee(): Promise<{ page: Page; name: string; freeze(on: boolean): Promise<void> }> {
    const name = `frz-callee${++n}`;
    const page = await env.page(name);
    await page.evaluate(async (me) => {
      window.T.onIncoming = 'manual';
      await window.T.connect(me);
      const w = window as unknown as PageTimes & { missed: unknown[] };
      w.missed = [];
      window.T.client?.on('missed-call', (m) => {
        w.missed.push(m);
        w.missedAt ??= Date.now();
      });
      window.T.client?.on('incoming', () => {
        w.incomingAt ??= Date.now();
      });
      document.addEventListener('resume', () => {
        w.resumedAt = Date.now();
      });
    }, name);
    await caller.bringToFront();
    assert.equal(await page.evaluate(() => document.visibilityState), 'hidden');
    const cdp = await page.createCDPSession();
    return {
      page,
      name,
      freeze: async (on) => {
        await cdp.send('Page.setWebLifecycleState', { state: on ? 'frozen' : 'active' });
      },
    };
  }

  /**
   * Waits until `cond` holds on the callee after the resume; returns ms from the page's own
   * `resume` event to the SDK event that made it true (`at`), both read by the page's clock. A
   * poll's own time is left out: a hidden tab runs its timers at most once a second, so polling
   * from the test adds up to a second that is not the app's.
   */
  async function msUntil(
    page: Page,
    resumedAt: number,
    cond: () => boolean,
    at: keyof Omit<PageTimes, 'resumedAt'>,
  ): Promise<number> {
    try {
      await page.waitForFunction(cond, { timeout: 10_000, polling: 20 });
    } catch (error) {
      const seen = await page.evaluate(() => ({
        state: window.T.client?.state,
        events: window.T.events.map((e) => `${e.what}:${JSON.stringify(e.detail)}`),
        logs: window.T.logs.slice(-15).map((l) => `${l.logger} ${l.msg} ${JSON.stringify(l.ctx ?? {})}`),
      }));
      throw new Error(`${String(error)}; callee saw ${JSON.stringify(seen, null, 1)}`);
    }
    const polled = Date.now() - resumedAt;
    const t = await page.evaluate((key) => {
      const w = window as unknown as PageTimes;
      return { resumed: w.resumedAt, done: w[key] };
    }, at);
    if (t.resumed === undefined || t.done === undefined) return polled;
    console.log(`# resume → ${at}: ${t.done - t.resumed} ms by the page's clock (${polled} ms by polling)`);
    return Math.max(0, t.done - t.resumed);
  }

  it('frozen 10 s: on resume it is connected and the call rings with the time left, within 1 s', async (t) => {
    const callee = await frozenCallee();
    // Whatever fails below, the call is hung up and the page closed: the next test's call from
    // the same caller must not meet "already in a call".
    t.after(async () => {
      await caller.evaluate(() => window.T.call?.hangup()).catch(() => {});
      await callee.page.close().catch(() => {});
    });
    await callee.freeze(true);
    await caller.evaluate(async (to) => {
      window.T.call = await window.T.client!.call(to, { media: false });
    }, callee.name);
    await new Promise((r) => setTimeout(r, 10_000));
    const resumedAt = Date.now();
    await callee.freeze(false);
    const ms = await msUntil(
      callee.page,
      resumedAt,
      () => window.T.client?.state === 'open' && window.T.call?.state === 'incoming',
      'incomingAt',
    );
    const left = await callee.page.evaluate(() => (window.T.call?.ringsUntil ?? 0) - Date.now());
    const events = await callee.page.evaluate(() => window.T.events.map((e) => e.what));
    console.log(`# frozen 10 s: ringing ${ms} ms after resume, ${Math.round(left / 1000)} s of ring left`);
    assert.ok(ms <= 1_000, `ringing ${ms} ms after resume`);
    assert.ok(left > 0 && left <= (RING_S - 9) * 1000, `ring time left ${left} ms`);
    assert.ok(!events.includes('client:failed'), `events ${events}`);
    assert.equal(await caller.evaluate(() => window.T.call?.state), 'ringing');
  });

  it(`frozen ${LONG_FREEZE_S} s, past the ring time: on resume a missed call, within 1 s`, {
    timeout: (LONG_FREEZE_S + 60) * 1000,
  }, async (t) => {
    assert.ok(LONG_FREEZE_S > RING_S, 'the freeze outlasts the ring');
    const callee = await frozenCallee();
    t.after(() => callee.page.close().catch(() => {}));
    await callee.freeze(true);
    await caller.evaluate(async (to) => {
      window.T.call = await window.T.client!.call(to, { media: false });
    }, callee.name);
    await new Promise((r) => setTimeout(r, LONG_FREEZE_S * 1000));
    assert.equal(await caller.evaluate(() => window.T.call?.endReason), 'no_answer');
    const resumedAt = Date.now();
    await callee.freeze(false);
    const ms = await msUntil(
      callee.page,
      resumedAt,
      () =>
        window.T.client?.state === 'open' && (window as unknown as { missed: unknown[] }).missed.length === 1,
      'missedAt',
    );
    const missed = await callee.page.evaluate(() => (window as unknown as { missed: unknown[] }).missed);
    const events = await callee.page.evaluate(() => window.T.events.map((e) => `${e.what}:${e.detail}`));
    console.log(`# frozen ${LONG_FREEZE_S} s: missed call shown ${ms} ms after resume; events ${events}`);
    assert.ok(ms <= 1_000, `missed call ${ms} ms after resume`);
    assert.deepEqual(
      (missed as { from: string; reason: string }[]).map((m) => [m.from, m.reason]),
      [['frz-caller', 'no_answer']],
    );
  });
});
