// @needs chromium
/**
 * Accessibility of the web app, scanned with axe-core (test/helpers/axe.ts: WCAG 2.0/2.1 A and
 * AA rules and axe's best practices): zero serious or critical violations on the home screen,
 * the incoming-call dialog, a call (with the chat, a file offer and a toast, then the connection
 * panel), a room (alone, then with someone), and the self-test. Each screen is scanned with the
 * browser asking for a dark and for a light color scheme (`prefers-color-scheme`): the app has
 * one dark palette, and the scans prove it stays right whichever the system asks for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axeViolations, describeViolations } from '../../helpers/axe.ts';
import { type Person, webSuite } from '../../helpers/web.ts';

/** Scans `page` in both color schemes; fails with every serious or critical violation found. */
async function assertAccessible(page: Page, where: string): Promise<void> {
  for (const colorScheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await axeViolations(page);
    assert.deepEqual(
      violations.map((v) => v.id),
      [],
      `${where} (${colorScheme}):\n${describeViolations(violations)}`,
    );
  }
}

describe('web app › accessibility (axe-core)', () => {
  const suite = webSuite();

  async function person(name: string, path = '/'): Promise<Person> {
    const p = await suite.person(name, { path });
    return p;
  }

  it('home, incoming call, call with chat, file offer, toast and connection panel: no serious or critical violation', async () => {
    const ada = await person('ada');
    await ada.page.getByRole('heading', { name: 'Hello, ada' }).waitFor();
    const ben = await person('ben');
    await ben.page.getByRole('heading', { name: 'Hello, ben' }).waitFor();
    await ada.page.getByRole('button', { name: 'Call ben' }).waitFor();
    await assertAccessible(ada.page, 'home');

    await ada.page.getByRole('button', { name: 'Call ben' }).click();
    const ring = ben.page.getByRole('dialog', { name: 'Incoming call from ada' });
    await ring.waitFor();
    await assertAccessible(ben.page, 'incoming call');
    await ring.getByRole('button', { name: 'Accept' }).click();
    await ada.page.getByRole('group', { name: 'ben' }).waitFor();
    await ada.page.getByRole('button', { name: 'Show whole picture: ben' }).waitFor();

    // The chat with a message each way and a file offered (a card with Accept / Decline, a toast).
    await ada.page.getByRole('textbox', { name: 'Message' }).fill('Hello Ben');
    await ada.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await ben.page.getByRole('log', { name: 'Chat messages' }).getByText('Hello Ben').waitFor();
    await ada.page
      .getByLabel('Choose files to send')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') });
    await ben.page.getByRole('button', { name: 'Accept notes.txt' }).waitFor();
    await ben.page.locator('.toast').waitFor();
    const chatOpen = async (p: Page) => {
      if (!(await p.getByRole('textbox', { name: 'Message' }).isVisible()))
        await p.getByRole('button', { name: 'Chat', exact: true }).click();
    };
    await chatOpen(ben.page);
    await assertAccessible(ben.page, 'call with chat, file offer and toast');
    await assertAccessible(ada.page, 'call, caller side');

    // The connection panel (route, figures and their labels).
    await ada.page.getByRole('button', { name: 'Connection details' }).click();
    const card = ada.page.getByRole('region', { name: 'Connection to ben' });
    await card.getByText('Direct', { exact: true }).waitFor();
    await card.locator('[data-metric="rtt"]').filter({ hasText: /ms$/ }).waitFor();
    await assertAccessible(ada.page, 'call with the connection panel');
  });

  it('a room alone and with someone: no serious or critical violation', async () => {
    const cy = await person('cy', '/r/a11y');
    await cy.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    await assertAccessible(cy.page, 'room, alone');
    await person('di', '/r/a11y');
    await cy.page.getByRole('group', { name: 'di', exact: true }).waitFor();
    await assertAccessible(cy.page, 'room with a member');
  });

  it('the self-test, once its checks ran: no serious or critical violation', async () => {
    const context = await suite.browser.newContext();
    await context.grantPermissions(['camera', 'microphone'], { origin: suite.server.url });
    const page = await context.newPage();
    try {
      await page.goto(`${suite.server.url}/test`);
      await page
        .getByRole('button', { name: 'Run again' })
        .and(page.locator(':enabled'))
        .waitFor({ timeout: 60_000 });
      await assertAccessible(page, 'self-test');
    } finally {
      await context.close();
    }
  });
});
