// @needs chromium
/**
 * The web app, end to end: two people sign in, one calls the other by name, both see and hear
 * each other (proven with getStats), chat both ways, send a file (compared by SHA-256), mute,
 * share a screen and hang up. Also decline and busy. Driven through roles and labels, as a
 * person (or a screen reader) would.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { stopAllServers } from '../../helpers/server.ts';
import {
  fakeScreenCapture,
  launchForWeb,
  openPerson,
  type Person,
  screenshot,
  startWebServer,
} from '../../helpers/web.ts';

/** Frames decoded from the first peer connection the app has (0 if none yet). */
function framesDecoded(page: Page): Promise<number> {
  return pollPage(
    page,
    async () => {
      const links = (window as unknown as { parley: { links: { peer: { pc: RTCPeerConnection } }[] } }).parley
        .links;
      for (const link of links) {
        const stats = await link.peer.pc.getStats();
        for (const s of stats.values())
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 10)
            return s.framesDecoded as number;
      }
      return 0;
    },
    { timeoutMs: 20_000, what: 'decoded video frames' },
  );
}

describe('web app › direct calls', () => {
  let server: ParleyServer;
  let browser: Browser;
  const people: Person[] = [];
  const cleanups: (() => void)[] = [];

  before(async () => {
    server = await startWebServer();
    browser = await launchForWeb();
  });
  afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
    for (const fn of cleanups.splice(0)) fn();
  });
  after(async () => {
    await browser?.close();
    await stopAllServers();
  });

  async function person(name: string): Promise<Person> {
    const p = await openPerson(browser, server.url, name);
    people.push(p);
    await p.page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
    return p;
  }

  it('calls by name: ring, accept, video both ways, chat, file with matching hash, mute, screen share, hang up', async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    await screenshot(alice.page, 'home');

    await alice.page.getByRole('button', { name: 'Call bob' }).click();
    const ring = bob.page.getByRole('dialog', { name: 'Incoming call from alice' });
    await ring.waitFor();
    await screenshot(bob.page, 'incoming-call');
    await ring.getByRole('button', { name: 'Accept' }).click();

    assert.ok((await framesDecoded(alice.page)) > 10, 'alice decodes bob’s video');
    assert.ok((await framesDecoded(bob.page)) > 10, 'bob decodes alice’s video');
    await alice.page.getByRole('group', { name: 'bob' }).waitFor();
    await screenshot(alice.page, 'call');

    // Chat both ways.
    await alice.page.getByRole('textbox', { name: 'Message' }).fill('Hi Bob, can you hear me?');
    await alice.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await bob.page
      .getByRole('log', { name: 'Chat messages' })
      .getByText('Hi Bob, can you hear me?')
      .waitFor();
    await bob.page.getByRole('textbox', { name: 'Message' }).fill('Loud and clear.');
    await alice.page.getByText('bob is typing…').waitFor();
    await bob.page.getByRole('button', { name: 'Send message' }).click();
    await alice.page.getByRole('log', { name: 'Chat messages' }).getByText('Loud and clear.').waitFor();

    // A file: offer, accept, progress, saved, same SHA-256.
    const content = randomBytes(3 * 1024 * 1024 + 123);
    const sha = createHash('sha256').update(content).digest('hex');
    await alice.page
      .getByLabel('Choose files to send')
      .setInputFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: content });
    const accept = bob.page.getByRole('button', { name: 'Accept notes.bin' });
    await accept.waitFor();
    const download = bob.page.waitForEvent('download', { timeout: 30_000 });
    await accept.click();
    const saved = await download;
    assert.equal(saved.suggestedFilename(), 'notes.bin');
    const path = await saved.path();
    assert.equal(
      createHash('sha256').update(readFileSync(path)).digest('hex'),
      sha,
      'received file has the sent SHA-256',
    );
    await alice.page
      .getByRole('article', { name: 'File notes.bin' })
      .getByText('Sent and verified by the receiver.')
      .waitFor();
    await bob.page
      .getByRole('article', { name: 'File notes.bin' })
      .getByText('Received and verified.')
      .waitFor();
    await screenshot(bob.page, 'chat-file');

    // Mute shows on the other side; the shortcut works too.
    await bob.page.getByRole('button', { name: 'Mute microphone' }).click();
    await alice.page.getByRole('group', { name: 'bob, muted' }).waitFor();
    await bob.page.locator('body').press('m');
    await alice.page.getByRole('group', { name: 'bob', exact: true }).waitFor();

    // Camera off releases the camera (its light goes off); on again reopens it and video resumes.
    await bob.page.getByRole('button', { name: 'Stop camera' }).click();
    await alice.page.getByRole('group', { name: 'bob, camera off' }).waitFor();
    assert.equal(
      await bob.page.evaluate(() =>
        (
          window as unknown as { parley: { call: { media: { stream: MediaStream } } } }
        ).parley.call.media.stream
          .getVideoTracks()
          .every((t) => t.readyState === 'ended'),
      ),
      true,
      'the camera track is stopped while the camera is off',
    );
    await bob.page.getByRole('button', { name: 'Stop camera' }).click();
    await alice.page.getByRole('group', { name: 'bob', exact: true }).waitFor();
    // Frames keep increasing after the camera is back (the new track is sent on the same sender).
    const framesBefore = await framesDecoded(alice.page);
    await alice.page.evaluate((n) => {
      (window as unknown as { __min: number }).__min = n + 10;
    }, framesBefore);
    await pollPage(
      alice.page,
      async () => {
        const w = window as unknown as {
          __min: number;
          parley: { links: { peer: { pc: RTCPeerConnection } }[] };
        };
        for (const link of w.parley.links) {
          const stats = await link.peer.pc.getStats();
          for (const s of stats.values())
            if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > w.__min) return true;
        }
        return false;
      },
      { what: 'frames after the camera came back' },
    );

    // Screen share: the other side gets a second tile with decoded frames.
    await fakeScreenCapture(alice.page);
    await alice.page.getByRole('button', { name: 'Share screen' }).click();
    await bob.page.getByRole('group', { name: 'alice’s screen' }).waitFor();
    await pollPage(
      bob.page,
      () =>
        [...document.querySelectorAll('div.tile.screen video')].some(
          (v) => (v as HTMLVideoElement).videoWidth > 0,
        ),
      { what: 'the screen share playing' },
    );
    await screenshot(bob.page, 'screen-share');
    await alice.page.getByRole('button', { name: 'Share screen' }).click();
    await bob.page.getByRole('group', { name: 'alice’s screen' }).waitFor({ state: 'detached' });

    // The connection panel shows the route and live figures.
    await alice.page.getByRole('button', { name: 'Connection details' }).click();
    const card = alice.page.getByRole('region', { name: 'Connection to bob' });
    await card.getByText('Direct', { exact: true }).waitFor();
    await pollPage(
      alice.page,
      () => document.querySelector('[data-metric="rtt"]')?.textContent?.endsWith('ms') ?? false,
      {
        what: 'an RTT figure',
      },
    );
    await screenshot(alice.page, 'stats-panel');

    // Hang up: both sides are back home, the callee is told.
    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await bob.page.getByRole('region', { name: 'Notifications' }).getByText('alice hung up.').waitFor();
    await bob.page.getByRole('heading', { name: 'Hello, bob' }).waitFor();
    await alice.page.getByRole('heading', { name: 'Hello, alice' }).waitFor();
  });

  it('tells the caller when the call is declined, and when the callee is busy', async () => {
    const carol = await person('carol');
    const dave = await person('dave');
    const erin = await person('erin');

    await carol.page.getByLabel('Call someone by name').fill('dave');
    await carol.page.getByRole('button', { name: 'Call', exact: true }).click();
    await dave.page
      .getByRole('dialog', { name: 'Incoming call from carol' })
      .getByRole('button', { name: 'Decline' })
      .click();
    await carol.page
      .getByRole('region', { name: 'Notifications' })
      .getByText('dave declined the call.')
      .waitFor();
    await carol.page.getByRole('heading', { name: 'Hello, carol' }).waitFor();

    // carol and dave talk; erin calls dave and hears he is busy.
    await carol.page.getByRole('button', { name: 'Call dave' }).click();
    await dave.page
      .getByRole('dialog', { name: 'Incoming call from carol' })
      .getByRole('button', { name: 'Accept' })
      .click();
    await framesDecoded(dave.page);
    await erin.page.getByRole('button', { name: 'Call dave' }).click();
    await erin.page
      .getByRole('region', { name: 'Notifications' })
      .getByText('dave is busy in another call. Try again later.')
      .waitFor();
    await dave.page.getByRole('button', { name: 'Hang up' }).click();
    await carol.page.getByRole('region', { name: 'Notifications' }).getByText('dave hung up.').waitFor();
  });

  it('says plainly that a name is taken and lets the person pick another', async () => {
    await person('frank');
    const context = await browser.newContext();
    await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
    const page = await context.newPage();
    people.push({ name: 'frank-2', context, page });
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'What should people call you?' }).waitFor();
    await screenshot(page, 'start');
    await page.getByLabel('Your name').fill('frank');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page
      .getByRole('alert')
      .getByText('“frank” is already used by someone online.', { exact: false })
      .waitFor();
    await page.getByLabel('Your name').fill('frank-2');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Hello, frank-2' }).waitFor();
    // Signing out frees the name at once: frank sees frank-2 go offline.
    const frank = people.find((p) => p.name === 'frank')!;
    await frank.page.getByRole('button', { name: 'Call frank-2' }).waitFor();
    await page.getByRole('button', { name: 'Sign out frank-2' }).click();
    await page.getByRole('heading', { name: 'What should people call you?' }).waitFor();
    await frank.page.getByRole('button', { name: 'Call frank-2' }).waitFor({ state: 'detached' });
  });

  it('keeps the call going and says so when the signaling server goes away', async () => {
    const own = await startWebServer();
    const gina = await openPerson(browser, own.url, 'gina');
    const hank = await openPerson(browser, own.url, 'hank');
    people.push(gina, hank);
    await gina.page.getByRole('button', { name: 'Call hank' }).click();
    await hank.page
      .getByRole('dialog', { name: 'Incoming call from gina' })
      .getByRole('button', { name: 'Accept' })
      .click();
    const before = await framesDecoded(hank.page);
    await own.close();
    await hank.page.getByText('Lost the connection to the server; reconnecting…', { exact: false }).waitFor();
    await hank.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).first().waitFor();
    // Media flows peer to peer: frames keep arriving without the server (poll until the count
    // grows: the first reading may come before the next frame is decoded).
    let after = before;
    const deadline = Date.now() + 15_000;
    while (after <= before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = await framesDecoded(hank.page);
    }
    assert.ok(after > before, `frames keep coming (${before} → ${after})`);
    await screenshot(hank.page, 'signaling-lost');
  });

  it('says when nobody answers, and the callee sees a missed call', async () => {
    const own = await startWebServer({ PARLEY_RING_TIMEOUT_S: '2' });
    const kim = await openPerson(browser, own.url, 'kim');
    const lee = await openPerson(browser, own.url, 'lee');
    people.push(kim, lee);
    await kim.page.getByRole('button', { name: 'Call lee' }).click();
    await lee.page.getByRole('dialog', { name: 'Incoming call from kim' }).waitFor();
    await kim.page.getByRole('region', { name: 'Notifications' }).getByText('lee did not answer.').waitFor();
    await lee.page
      .getByRole('region', { name: 'Notifications' })
      .getByText('Missed call from kim.')
      .waitFor();
    await lee.page.getByRole('dialog', { name: 'Incoming call from kim' }).waitFor({ state: 'detached' });
  });

  it('shows progress, speed and time left on both sides, and either side can cancel a file', async () => {
    const mia = await person('mia');
    const ned = await person('ned');
    await mia.page.getByRole('button', { name: 'Call ned' }).click();
    await ned.page
      .getByRole('dialog', { name: 'Incoming call from mia' })
      .getByRole('button', { name: 'Accept' })
      .click();
    await framesDecoded(mia.page);
    // Large enough to still be moving when the receiver cancels.
    // A file on disk (the browser reads it as it sends); removed after the test.
    const dir = mkdtempSync(join(tmpdir(), 'parley-web-file-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'big.bin');
    const block = randomBytes(1024 * 1024);
    writeFileSync(path, Buffer.concat(Array.from({ length: 160 }, () => block)));
    await mia.page.getByLabel('Choose files to send').setInputFiles(path);
    await ned.page.getByRole('button', { name: 'Accept big.bin' }).click();
    const progress = /\d+% · .* of 160 MB · .*\/s/;
    await mia.page.getByRole('article', { name: 'File big.bin' }).getByText(progress).waitFor();
    await ned.page.getByRole('article', { name: 'File big.bin' }).getByText(progress).waitFor();
    await screenshot(ned.page, 'file-progress');
    await ned.page.getByRole('button', { name: 'Cancel big.bin' }).click();
    await ned.page.getByRole('article', { name: 'File big.bin' }).getByText('Cancelled.').waitFor();
    await mia.page
      .getByRole('article', { name: 'File big.bin' })
      .getByText('Cancelled by the other side.')
      .waitFor();
  });

  it('can be used with the keyboard alone, with a visible focus ring', async () => {
    const ola = await person('ola');
    await person('pia');
    // Tab from the top of the page to the "Call pia" button.
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await ola.page.keyboard.press('Tab');
      reached = await ola.page.evaluate(
        () => document.activeElement?.getAttribute('aria-label') === 'Call pia',
      );
    }
    assert.ok(reached, 'Tab reaches the Call button');
    const ring = await ola.page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
    assert.notEqual(ring, 'none', 'the focused control shows a focus ring');
    await ola.page.keyboard.press('Enter');
    const pia = people.find((p) => p.name === 'pia')!;
    const dialog = pia.page.getByRole('dialog', { name: 'Incoming call from ola' });
    await dialog.waitFor();
    assert.equal(
      await pia.page.evaluate(() => document.activeElement?.textContent?.trim()),
      'Accept',
      'Accept has the focus',
    );
    await pia.page.keyboard.press('Enter');
    await framesDecoded(ola.page);
    await ola.page.locator('body').press('Escape');
    await pia.page.getByRole('region', { name: 'Notifications' }).getByText('ola hung up.').waitFor();
  });
});
