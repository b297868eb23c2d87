// @needs chromium
/**
 * A person coming back in a new tab of the same browser gets their name back (issue 20, point 9),
 * in Chromium: the old tab's session keeps the name for the reload grace, so the new tab's first
 * sign-in is refused; the app says "Taking your name back…" and signs in by itself once the name
 * is free. Another browser asking for a live name is refused at once, and a second live tab of the
 * same browser is refused after the bounded wait, with the "open in another tab?" hint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type Person, webSuite } from '../../helpers/web.ts';

const STATUS = 'Taking your name back — its old tab is closing…';

describe('web app › a new tab takes its name back', () => {
  const suite = webSuite({ PARLEY_RELOAD_GRACE_S: '4' });

  async function signedIn(p: Person): Promise<void> {
    await p.page.getByRole('heading', { name: `Hello, ${p.name}` }).waitFor();
  }

  /** Opens a new tab of `p`'s browser and presses Continue on the name screen (name pre-filled). */
  async function newTab(p: Person): Promise<Page> {
    const page = await p.context.newPage();
    await page.goto(suite.server.url);
    const field = page.getByLabel('Your name');
    assert.equal(await field.inputValue(), p.name, 'the name screen remembers the name');
    await page.getByRole('button', { name: 'Continue' }).click();
    return page;
  }

  it('closing the tab and opening a new one within a second signs back in as the same name', async () => {
    const nora = await suite.person('nora');
    await signedIn(nora);
    const t0 = Date.now();
    await nora.page.close({ runBeforeUnload: true });
    const page = await newTab(nora);
    assert.ok(Date.now() - t0 < 2_000, `new tab opened ${Date.now() - t0} ms after the close`);
    await page.getByRole('status').filter({ hasText: STATUS }).waitFor({ timeout: 3_000 });
    assert.equal(await page.getByText('already used', { exact: false }).count(), 0, 'no NAME_TAKEN shown');
    await page.getByRole('heading', { name: 'Hello, nora' }).waitFor({ timeout: 10_000 });
    const tookMs = Date.now() - t0;
    assert.ok(tookMs < 9_000, `signed back in ${tookMs} ms after the close`);

    // Another browser asking for "nora" while she is live is refused at once, without waiting.
    const other = await suite.person('nora');
    const t1 = Date.now();
    await other.page
      .getByRole('alert')
      .filter({ hasText: '“nora” is already used by someone online' })
      .waitFor();
    assert.ok(Date.now() - t1 < 3_000, `refused after ${Date.now() - t1} ms`);
    assert.equal(await other.page.getByText(STATUS).count(), 0, 'a stranger is never told to wait');
  });

  it('a second live tab of the same browser is refused after the bounded wait, with the hint', async () => {
    const nina = await suite.person('nina');
    await signedIn(nina);
    const page = await newTab(nina);
    await page.getByRole('status').filter({ hasText: STATUS }).waitFor({ timeout: 3_000 });
    const t0 = Date.now();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Is Parley open in another tab? Close it, or pick another name' })
      .waitFor({ timeout: 15_000 });
    assert.ok(Date.now() - t0 < 12_000, `gave up after ${Date.now() - t0} ms`);
    assert.equal(await page.getByText(STATUS).count(), 0, 'the waiting status is gone');
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Continue' }).isEnabled(), true);
    // The first tab is untouched.
    await signedIn(nina);
  });
});
