// @needs chromium, janus
/**
 * Recording in the web app (issue 23), end to end with a real Janus: in a large room one person
 * presses Record; everyone — and someone who joins afterwards — sees the Recording chip and a
 * banner naming who started it; another member stops it and everyone sees it stopped. (The files
 * themselves are checked in test/e2e/recording/sfu-recording.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser } from 'playwright-core';
import { removeDir } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { stopAllServers } from '../../helpers/server.ts';
import { launchForWeb, openPerson, type Person, screenshot, startWebServer } from '../../helpers/web.ts';

describe('web app › recording a large room', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  const people: Person[] = [];
  const recordings = mkdtempSync(join(tmpdir(), 'parley-rec-web-'));

  before(async () => {
    janus = await startJanus();
    server = await startWebServer({
      ...janusEnv(janus),
      PARLEY_RECORDING: 'anyone',
      PARLEY_RECORDINGS_DIR: recordings,
      PARLEY_RECORDING_MIN_FREE_MB: '1',
    });
    browser = await launchForWeb();
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await stopAllServers();
    await janus?.close();
    removeDir(recordings);
  });

  const open = async (name: string, path: string) => {
    const p = await openPerson(browser, server.url, name, { path });
    people.push(p);
    return p;
  };

  it('Record shows everyone (newcomers too) who records; Stop clears it for everyone', async () => {
    const room = 'rec-ui';
    const ann = await open('ann', `/#/room/${room}?large`);
    await ann.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor({ timeout: 20_000 });
    const bob = await open('bob', `/#/room/${room}`);
    await ann.page.getByRole('group', { name: 'bob', exact: true }).waitFor({ timeout: 20_000 });

    await ann.page.getByRole('button', { name: 'Record this room' }).click();
    await ann.page.getByText('This room is being recorded (started by you).').waitFor();
    await bob.page.getByText('This room is being recorded (started by ann).').waitFor();
    for (const p of [ann, bob]) await p.page.locator('.recording-chip').waitFor({ state: 'visible' });
    await bob.page.getByRole('button', { name: 'Stop the room recording' }).waitFor();

    const cy = await open('cy', `/#/room/${room}`);
    await cy.page.getByText('This room is being recorded (started by ann).').waitFor({ timeout: 20_000 });
    await cy.page.locator('.recording-chip').waitFor({ state: 'visible' });
    await screenshot(cy.page, 'recording-banner');

    await bob.page.getByRole('button', { name: 'Stop the room recording' }).click();
    // The toast lasts a few seconds: read it first.
    await ann.page.getByText('Recording stopped by bob.').first().waitFor();
    for (const p of [ann, bob, cy]) {
      await p.page.getByText(/This room is being recorded/).waitFor({ state: 'detached' });
      await p.page.locator('.recording-chip').waitFor({ state: 'hidden' });
      await p.page.getByRole('button', { name: 'Record this room' }).waitFor();
    }
  });
});
