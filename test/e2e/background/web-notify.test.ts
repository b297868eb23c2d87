// @needs chromium
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../helpers/browser.ts';
import { until } from '../../helpers/wait.ts';
import { startWebServer } from '../../helpers/web.ts';
import { THROTTLING_OFF_FLAGS } from './harness.ts';

// The web app in a background tab (issue 19): bob signs in, another tab is brought to the front
// (his reads `hidden`), alice calls him. His tab raises a system notification naming alice
// (permission granted for the origin) and flashes its title; when alice gives up, the
// notification closes, the title comes back and "Missed calls" on his home screen lists alice.
// An init script wraps window.Notification to record what the page constructs and closes, and
// watches <title>. A second ring, started while bob looks, notifies only once his tab is hidden.
// Bob's page is checked from Node (a hidden page runs no animation frames, which
// puppeteer's waitForFunction polls on).

/** What the init script records in the page. */
interface Recorded {
  notes: { title: string; body: string }[];
  closed: string[];
  titles: string[];
}

/**
 * Installed before the app's scripts run. A string, not a function: tsx would put its `__name`
 * helper into a serialized function, which the page does not have.
 */
const RECORD_ATTENTION = `(() => {
  const rec = { notes: [], closed: [], titles: [] };
  window.rec = rec;
  const Real = window.Notification;
  class Recording extends Real {
    constructor(title, options) {
      rec.notes.push({ title, body: (options && options.body) || '' });
      super(title, options);
      this.recTitle = title;
    }
    close() {
      rec.closed.push(this.recTitle);
      super.close();
    }
  }
  window.Notification = Recording;
  document.addEventListener('DOMContentLoaded', () => {
    const el = document.querySelector('title');
    const watch = () => {
      if (rec.titles[rec.titles.length - 1] !== document.title) rec.titles.push(document.title);
    };
    if (el) new MutationObserver(watch).observe(el, { childList: true, characterData: true, subtree: true });
  });
})();`;

describe('Background › the web app in a hidden tab reaches the person', () => {
  let server: ParleyServer;
  let browser: Browser;
  before(async () => {
    server = await startWebServer();
    // Background throttling as a user has it (puppeteer's defaults switch it off).
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS.filter((a) => !THROTTLING_OFF_FLAGS.includes(a)),
      ignoreDefaultArgs: THROTTLING_OFF_FLAGS,
    });
    await browser.defaultBrowserContext().overridePermissions(server.url, ['notifications']);
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  });

  async function signIn(name: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`# [${name}] pageerror ${String(e)}`));
    await page.evaluateOnNewDocument(RECORD_ATTENTION);
    await page.goto(`${server.url}/`);
    const input = await page.waitForSelector('#display-name');
    await input?.click({ count: 3 });
    await input?.type(name);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const p = (window as unknown as { parley?: { client: { state: string } | null } }).parley;
      return p?.client?.state === 'open' && document.querySelector('#main') !== null;
    });
    return page;
  }

  it('notifies with the caller’s name, flashes the title, then lists the missed call', {
    timeout: 90_000,
  }, async () => {
    const bob = await signIn('bob');
    // Permission granted: the home screen no longer offers to ask.
    assert.equal(
      await bob.evaluate(() => (document.querySelector('.notify-offer') as HTMLElement | null)?.hidden),
      true,
      'no "Ring me in the background" once notifications are allowed',
    );
    const alice = await signIn('alice');
    await alice.bringToFront();
    assert.equal(
      await bob.evaluate(() => document.visibilityState),
      'hidden',
      'bob’s tab is in the background',
    );

    await alice.evaluate(async () => {
      const w = window as unknown as {
        parley: { client: { call(n: string, o: object): Promise<unknown> } };
        outgoing: unknown;
      };
      w.outgoing = await w.parley.client.call('bob', { media: false });
    });
    await until(() => bob.evaluate(() => (window as unknown as { rec: Recorded }).rec.notes.length === 1), {
      what: 'a notification in bob’s hidden tab',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const note = await bob.evaluate(() => (window as unknown as { rec: Recorded }).rec.notes[0]);
    assert.equal(note?.title, 'alice is calling');
    assert.match(note?.body ?? '', /Click to answer/);
    // The title alternates between the alert and the normal title (one flip a second).
    await until(
      () =>
        bob.evaluate(() => {
          const t = (window as unknown as { rec: Recorded }).rec.titles;
          const i = t.indexOf('📞 Call from alice');
          return i >= 0 && t.slice(i + 1).includes('Parley') && t.lastIndexOf('📞 Call from alice') > i;
        }),
      { what: 'bob’s tab title flashing', timeoutMs: 15_000, intervalMs: 100 },
    );

    // Alice gives up: the notification closes, the title is back, the missed call is listed.
    await alice.evaluate(async () => {
      const w = window as unknown as { outgoing: { hangup(): Promise<void> } };
      await w.outgoing.hangup();
    });
    await until(
      () =>
        bob.evaluate(() => {
          const panel = document.querySelector<HTMLElement>('.missed-calls');
          return panel !== null && !panel.hidden && panel.textContent?.includes('alice');
        }),
      { what: 'the missed call on bob’s home screen', timeoutMs: 10_000, intervalMs: 100 },
    );
    const after = await bob.evaluate(() => ({
      closed: (window as unknown as { rec: Recorded }).rec.closed,
      title: document.title,
      callBack: document.querySelector('.missed-calls button[aria-label="Call alice back"]') !== null,
      dismiss:
        document.querySelector('.missed-calls button[aria-label^="Dismiss the missed call from alice"]') !==
        null,
      hidden: document.visibilityState,
    }));
    console.log(`# after the call: ${JSON.stringify(after)}`);
    assert.deepEqual(after.closed, ['alice is calling'], 'the notification closed with the call');
    assert.equal(after.title, 'Parley');
    assert.equal(after.callBack, true, 'Call back');
    assert.equal(after.dismiss, true, 'Dismiss');
    assert.equal(after.hidden, 'hidden');

    // Back in front: dismissing empties the list.
    await bob.bringToFront();
    await bob.click('.missed-calls button[aria-label^="Dismiss the missed call from alice"]');
    await bob.waitForFunction(() => document.querySelector<HTMLElement>('.missed-calls')?.hidden === true);

    // A call that starts while bob looks raises no notification; hiding the tab while it still
    // rings does.
    await alice.evaluate(async () => {
      const w = window as unknown as {
        parley: { client: { call(n: string, o: object): Promise<unknown> } };
        outgoing: unknown;
      };
      w.outgoing = await w.parley.client.call('bob', { media: false });
    });
    await bob.waitForSelector('dialog[aria-label="Incoming call from alice"]');
    assert.equal(await bob.evaluate(() => (window as unknown as { rec: Recorded }).rec.notes.length), 1);
    await alice.bringToFront();
    await until(() => bob.evaluate(() => (window as unknown as { rec: Recorded }).rec.notes.length === 2), {
      what: 'a notification once bob’s ringing tab is hidden',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    await alice.evaluate(async () => {
      const w = window as unknown as { outgoing: { hangup(): Promise<void> } };
      await w.outgoing.hangup();
    });
    await until(() => bob.evaluate(() => (window as unknown as { rec: Recorded }).rec.closed.length === 2), {
      what: 'the second notification closed',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });
});
