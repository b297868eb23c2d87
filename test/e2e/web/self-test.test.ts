// @needs chromium, coturn
/**
 * The self-test page, end to end: against a server with a local coturn (STUN and TURN REST
 * credentials) every check passes and the summary says "All good"; with only Parley's built-in
 * STUN on this machine (loopback) STUN answers but the summary says "This network only"; with
 * it off, STUN and TURN say "not configured" and the summary still says so; an unreachable STUN
 * server and a wrong TURN secret fail and say what to fix.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type CoturnHandle, startCoturn } from '../../helpers/coturn.ts';
import { stopAllServers } from '../../helpers/server.ts';
import { launchForWeb, screenshot, startWebServer } from '../../helpers/web.ts';

async function runSelfTest(
  browser: Browser,
  url: string,
): Promise<{ page: Page; statuses: Record<string, string>; summary: string }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: url });
  const page = await context.newPage();
  await page.goto(`${url}/test`);
  const list = page.getByRole('list', { name: 'Checks' });
  await page
    .getByRole('button', { name: 'Run again' })
    .and(page.locator(':enabled'))
    .waitFor({ timeout: 60_000 });
  const statuses: Record<string, string> = {};
  for (const title of [
    'Camera and microphone',
    'Video call inside this page',
    'Signaling server',
    'STUN (finding your public address)',
    'TURN relay',
  ]) {
    const item = list.getByRole('listitem').filter({ has: page.getByRole('heading', { name: title }) });
    statuses[title] = (await item.getAttribute('data-status')) ?? '';
  }
  const summary = (await page.getByRole('region', { name: 'Summary' }).locator('.chip').textContent()) ?? '';
  return { page, statuses, summary };
}

describe('web app › self-test page', () => {
  let browser: Browser;
  let coturn: CoturnHandle | undefined;
  const pages: Page[] = [];

  before(async () => {
    browser = await launchForWeb();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.context().close();
    await stopAllServers();
    await coturn?.close();
    coturn = undefined;
  });
  after(async () => {
    await browser?.close();
  });

  it('passes every check against a server with STUN and a TURN relay', async () => {
    coturn = await startCoturn();
    const server = await startWebServer({
      PARLEY_STUN_URLS: `stun:127.0.0.1:${coturn.port}`,
      PARLEY_TURN_URLS: `${coturn.urls.udp},${coturn.urls.tcp}`,
      PARLEY_TURN_SECRET: coturn.secret,
    });
    const { page, statuses, summary } = await runSelfTest(browser, server.url);
    pages.push(page);
    await screenshot(page, 'self-test');
    assert.equal(summary, 'All good', 'a relay path works');
    assert.deepEqual(statuses, {
      'Camera and microphone': 'pass',
      'Video call inside this page': 'pass',
      'Signaling server': 'pass',
      'STUN (finding your public address)': 'pass',
      'TURN relay': 'pass',
    });
    await page.getByText('Data went through the relay').waitFor();
    await page.getByText('(candidate: relay)', { exact: false }).waitFor();
  });

  it('with only the built-in STUN inside this network: STUN answers, the summary says "this network only"', async () => {
    // The test server's built-in STUN listens on 127.0.0.1 (a free port): it answers, but from
    // inside the network, which proves nothing about calls to other networks.
    const server = await startWebServer();
    const { page, statuses, summary } = await runSelfTest(browser, server.url);
    pages.push(page);
    assert.equal(statuses['Signaling server'], 'pass');
    assert.equal(statuses['STUN (finding your public address)'], 'pass');
    await page.getByText(`stun:127.0.0.1:${server.stun.port} answered`, { exact: false }).waitFor();
    await page.getByText('That server is inside your network', { exact: false }).waitFor();
    assert.equal(statuses['TURN relay'], 'skip');
    await page.getByText('Not configured: this server hands out no TURN relay.').waitFor();
    assert.equal(summary, 'This network only');
    await page
      .getByRole('region', { name: 'Summary' })
      .getByText('Direct calls within this network only', { exact: false })
      .waitFor();
  });

  it('says "not configured" for STUN and TURN when the server has none, and "this network only"', async () => {
    const server = await startWebServer({ PARLEY_STUN_PORT: 'off' });
    const { page, statuses, summary } = await runSelfTest(browser, server.url);
    pages.push(page);
    assert.equal(statuses['Signaling server'], 'pass');
    assert.equal(statuses['STUN (finding your public address)'], 'skip');
    assert.equal(statuses['TURN relay'], 'skip');
    await page.getByText('Not configured: this server hands out no TURN relay.').waitFor();
    assert.equal(summary, 'This network only', 'not "All good" (issue 20)');
  });

  it('fails STUN and TURN checks that cannot work and says how to fix them', async () => {
    coturn = await startCoturn();
    const server = await startWebServer({
      // Nothing answers STUN on the discard port (and the built-in STUN, which would, is off).
      PARLEY_STUN_URLS: 'stun:127.0.0.1:9',
      PARLEY_STUN_PORT: 'off',
      PARLEY_TURN_URLS: coturn.urls.udp,
      PARLEY_TURN_SECRET: 'not-the-secret',
    });
    const { page, statuses } = await runSelfTest(browser, server.url);
    pages.push(page);
    assert.equal(statuses['STUN (finding your public address)'], 'fail');
    await page.getByText('No answer from stun:127.0.0.1:9 within 10 seconds.').waitFor();
    assert.equal(statuses['TURN relay'], 'fail');
    await page.getByText('refused the credentials (401)', { exact: false }).waitFor();
    await page
      .getByText('PARLEY_TURN_SECRET on the Parley server must equal static-auth-secret', { exact: false })
      .waitFor();
  });
});
