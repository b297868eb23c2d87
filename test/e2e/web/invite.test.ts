// @needs chromium
/**
 * Invitation links on a server with access tokens on: the token in the link fills in (and locks)
 * the name, signs in and joins the room; without one the app says an invitation is needed.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser } from 'playwright-core';
import { tracePage } from '../../helpers/browser.ts';
import { stopAllServers } from '../../helpers/server.ts';
import { launchForWeb, startWebServer } from '../../helpers/web.ts';

/** An HS256 access token as the server expects (name, exp, optional rooms). */
function mintToken(secret: string, claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('web app › invitation links', () => {
  const secret = randomBytes(32).toString('base64url');
  let server: ParleyServer;
  let browser: Browser;

  before(async () => {
    server = await startWebServer({ PARLEY_AUTH_SECRET: secret });
    browser = await launchForWeb();
  });
  after(async () => {
    await browser?.close();
    await stopAllServers();
  });

  it('signs in with the token from the link and joins the room; without one it asks for an invitation', async () => {
    const token = mintToken(secret, { name: 'quinn', exp: Math.floor(Date.now() / 1000) + 600 });
    const context = await browser.newContext();
    await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
    const page = await context.newPage();
    await page.goto(`${server.url}/#/room/club?token=${token}`);
    const name = page.getByLabel('Your name');
    await page.getByText('Your invitation is for “quinn”.').waitFor();
    assert.equal(await name.inputValue(), 'quinn');
    assert.equal(await name.getAttribute('readonly'), '');
    assert.ok(!page.url().includes('token='), 'the token is removed from the address bar');
    await page.getByRole('button', { name: 'Join room' }).click();
    await page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();

    const other = await browser.newContext();
    const guest = await other.newPage();
    await guest.goto(`${server.url}/#/room/club`);
    await guest.getByLabel('Your name').fill('rex');
    await guest.getByRole('button', { name: 'Join room' }).click();
    await guest
      .getByRole('alert')
      .getByText('This server only lets invited people in.', { exact: false })
      .waitFor();
    await other.close();
    await context.close();
  });

  it('a token in the query string (finding 14) is not used: it leaves the address bar, the name is not filled in, and the app says why', async () => {
    const token = mintToken(secret, { name: 'quinn', exp: Math.floor(Date.now() / 1000) + 600 });
    const context = await browser.newContext();
    const page = await context.newPage();
    tracePage(page, 'query-token');
    await page.goto(`${server.url}/?token=${token}#/room/club`);
    await page.getByText('did not use it', { exact: false }).first().waitFor();
    assert.ok(!page.url().includes('token='), 'the token is removed from the address bar');
    assert.ok(page.url().endsWith('#/room/club'), page.url());
    const name = page.getByLabel('Your name');
    assert.equal(await name.inputValue(), '');
    assert.equal(await name.getAttribute('readonly'), null);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.token')), null);
    await context.close();
  });
});
