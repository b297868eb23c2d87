// @needs chromium
/**
 * Hosts and moderation in the web app, end to end in Chromium: the host turns the lobby on, one
 * knocker (who sees that it waits) is admitted and another refused; a member raises a hand that
 * the host sees in line; the host mutes the member (whose microphone goes off) and removes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { screenshot, webSuite } from '../../helpers/web.ts';

/** Opens the People tab of the side panel. */
async function openPeople(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'People' }).click();
}

/** A toast saying `text`. */
function toastOf(page: Page, text: string) {
  return page.getByRole('region', { name: 'Notifications' }).getByText(text);
}

describe('web app › hosts and moderation', () => {
  const suite = webSuite();

  it('lobby: a knock admitted and one refused; a raised hand seen; a member muted and removed', async () => {
    const hana = await suite.person('hana', { path: '/#/room/class' });
    await hana.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    await openPeople(hana.page);
    const hostBar = hana.page.getByRole('group', { name: 'Host controls' });
    await hostBar.waitFor();
    await hostBar.getByRole('button', { name: 'Lobby off' }).click();
    await hostBar.getByRole('button', { name: 'Lobby on' }).waitFor();
    assert.equal(
      await hostBar.getByRole('button', { name: 'Lobby on' }).getAttribute('aria-pressed'),
      'true',
    );

    const kim = await suite.person('kim', { path: '/#/room/class' });
    await kim.page.getByRole('heading', { name: 'Waiting for a host to let you in' }).waitFor();
    await hana.page.getByRole('heading', { name: 'Waiting to join (1)' }).waitFor();
    // Keyboard: the Admit button takes focus and Enter presses it.
    await hana.page.getByRole('button', { name: 'Admit kim' }).focus();
    await hana.page.keyboard.press('Enter');
    await kim.page.getByRole('group', { name: 'hana', exact: true }).waitFor();
    await hana.page.getByRole('group', { name: 'kim', exact: true }).waitFor();

    const rex = await suite.person('rex', { path: '/#/room/class' });
    await rex.page.getByRole('heading', { name: 'Waiting for a host to let you in' }).waitFor();
    await hana.page.getByRole('button', { name: 'Refuse rex' }).click();
    await toastOf(rex.page, 'hana did not let you into “class”.').waitFor();
    await rex.page.getByRole('heading', { name: 'Hello, rex' }).waitFor();

    await openPeople(kim.page);
    await kim.page.getByRole('button', { name: 'Raise hand' }).click();
    await kim.page.getByRole('button', { name: 'Lower hand' }).waitFor();
    await hana.page.getByRole('listitem', { name: /^kim, hand raised, 1st in line/ }).waitFor();
    await screenshot(hana.page, 'moderation-host');

    await hana.page.getByRole('button', { name: 'Mute kim' }).click();
    await hana.page.getByRole('listitem', { name: /^kim, .*muted by hana/ }).waitFor();
    await toastOf(kim.page, 'hana muted your microphone.').waitFor();
    const micOff = await pollPage(
      kim.page,
      () => {
        const track = (
          window as unknown as { parley: { room?: { media: { stream: MediaStream | null } } } }
        ).parley.room?.media.stream?.getAudioTracks()[0];
        return track && !track.enabled ? 'off' : '';
      },
      { timeoutMs: 10_000, what: 'kim’s microphone to be off' },
    );
    assert.equal(micOff, 'off');

    await hana.page.getByRole('button', { name: 'Remove kim' }).click();
    await toastOf(kim.page, 'hana removed you from “class”.').waitFor();
    await screenshot(kim.page, 'moderation-removed');
    await kim.page.getByRole('heading', { name: 'Hello, kim' }).waitFor();
    await hana.page.getByRole('group', { name: 'kim', exact: true }).waitFor({ state: 'detached' });
  });
});
