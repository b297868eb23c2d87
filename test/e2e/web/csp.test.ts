// @needs chromium
/**
 * The web app under the security headers Parley now sends (issue 15, finding 9): two people meet
 * in a room and see each other's video, and the self-test runs, with the page's
 * Content-Security-Policy in force and not one violation reported (neither a
 * `securitypolicyviolation` event nor a CSP console message). (Finding 14, a token in the
 * query string, is tested with the other invitation links in invite.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../../packages/server/src/http/security-headers.ts';
import { pollPage, tracePage } from '../../helpers/browser.ts';
import { stopAllServers } from '../../helpers/server.ts';
import { launchForWeb, startWebServer } from '../../helpers/web.ts';

interface CspWindow {
  __csp: string[];
}

/** A context whose pages record every CSP violation (event and console), for `violations()`. */
async function watchedContext(browser: Browser, origin: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['camera', 'microphone'], { origin });
  await context.addInitScript(() => {
    const w = window as unknown as CspWindow;
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  const consoleCsp: string[] = [];
  const pages: Page[] = [];
  const open = async (label: string): Promise<Page> => {
    const page = await context.newPage();
    tracePage(page, label);
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) consoleCsp.push(`${label}: ${msg.text()}`);
    });
    pages.push(page);
    return page;
  };
  const violations = async (): Promise<string[]> => {
    const fromEvents: string[] = [];
    for (const p of pages)
      fromEvents.push(...(await p.evaluate(() => (window as unknown as CspWindow).__csp)));
    return [...fromEvents, ...consoleCsp];
  };
  return { context, open, violations };
}

/** Resolves once `page` decodes video from a remote peer. */
function decodesVideo(page: Page): Promise<boolean> {
  return pollPage(
    page,
    async () => {
      const links = (window as unknown as { parley?: { links: { peer: { pc: RTCPeerConnection } }[] } })
        .parley?.links;
      for (const link of links ?? []) {
        for (const s of (await link.peer.pc.getStats()).values()) {
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 5) return true;
        }
      }
      return false;
    },
    { timeoutMs: 30_000, what: 'decoded remote video' },
  );
}

describe('web app › under the Content-Security-Policy', () => {
  let server: ParleyServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    server = await startWebServer();
    browser = await launchForWeb();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stopAllServers();
  });

  it('a room call and the self-test run with no CSP violation', async () => {
    const a = await watchedContext(browser, server.url);
    const b = await watchedContext(browser, server.url);
    contexts.push(a.context, b.context);

    const pageA = await a.open('ann');
    const response = await pageA.goto(`${server.url}/#/room/csp-check`);
    assert.equal(response?.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(response?.headers()['x-frame-options'], 'DENY');
    await pageA.getByLabel('Your name').fill('ann');
    await pageA.getByRole('button', { name: /^(Continue|Join room)/ }).click();
    await pageA.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();

    const pageB = await b.open('ben');
    await pageB.goto(`${server.url}/r/csp-check`);
    await pageB.getByLabel('Your name').fill('ben');
    await pageB.getByRole('button', { name: /^(Continue|Join room)/ }).click();
    assert.equal(await decodesVideo(pageA), true);
    assert.equal(await decodesVideo(pageB), true);

    const test = await a.open('selftest');
    await test.goto(`${server.url}/test`);
    await test
      .getByRole('list', { name: 'Checks' })
      .getByRole('button', { name: 'Run again' })
      .waitFor({ timeout: 60_000 })
      .catch(() => {});
    await test.getByRole('list', { name: 'Checks' }).waitFor();

    assert.deepEqual(await a.violations(), []);
    assert.deepEqual(await b.violations(), []);
  });
});
