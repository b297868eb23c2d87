// @needs chromium
/**
 * Rooms in the web app, end to end: three people meet through a room link (path and hash forms),
 * everyone decodes everyone's video, leaving is shown; a person whose camera is blocked joins
 * receive-only and still sees the others; the call screen works on a phone-sized screen.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { pollPage } from '../../helpers/browser.ts';
import { openPerson, type Person, screenshot, startWebServer, webSuite } from '../../helpers/web.ts';

/** Number of peer connections in the page that decode video. */
function peersWithVideo(page: Page, atLeast: number): Promise<number> {
  return pollPage(
    page,
    async () => {
      const links = (window as unknown as { parley: { links: { peer: { pc: RTCPeerConnection } }[] } }).parley
        .links;
      let n = 0;
      for (const link of links) {
        const stats = await link.peer.pc.getStats();
        for (const s of stats.values()) {
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 5) {
            n++;
            break;
          }
        }
      }
      return n >= (window as unknown as { __want: number }).__want ? n : 0;
    },
    { timeoutMs: 30_000, what: `video from ${atLeast} peers` },
  );
}

async function want(page: Page, n: number): Promise<number> {
  await page.evaluate((v) => {
    (window as unknown as { __want: number }).__want = v;
  }, n);
  return peersWithVideo(page, n);
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

/** Whether `box` lies within the viewport (to a pixel, for rounding). */
function inside(box: Box, viewport: { width: number; height: number }): boolean {
  return (
    box.left >= -1 && box.top >= -1 && box.right <= viewport.width + 1 && box.bottom <= viewport.height + 1
  );
}

/** What {@link phoneLayout} reads. */
interface Layout {
  viewport: { width: number; height: number };
  pageWidth: number;
  bar: Box | null;
  controls: (Box & { label: string })[];
  tiles: (Box & { label: string; self: boolean; videoWidth: number })[];
  side: Box | null;
  message: Box | null;
}

/**
 * Where the call screen's parts are on the page: controls, tiles, side panel, message field. A
 * script in a string: the test transpiler would wrap named functions in a helper the page lacks.
 */
const LAYOUT_SCRIPT = `(() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
  };
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.display !== 'none' && style.visibility !== 'hidden' && el.getClientRects().length > 0;
  };
  const bar = document.querySelector('[role="toolbar"][aria-label="Call controls"]');
  const side = document.querySelector('aside[aria-label="Side panel"]');
  const message = document.querySelector('[aria-label="Message"]');
  return {
    viewport: { width: window.innerWidth, height: window.innerHeight },
    pageWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    bar: bar ? box(bar) : null,
    controls: [...(bar ? bar.querySelectorAll('button') : [])]
      .filter(shown)
      .map((b) => ({ label: b.getAttribute('aria-label') || '', ...box(b) })),
    tiles: [...document.querySelectorAll('.tile')].filter(shown).map((t) => ({
      label: t.querySelector('.tile-name')?.textContent || '',
      self: t.classList.contains('self'),
      videoWidth: t.querySelector('video')?.videoWidth || 0,
      ...box(t),
    })),
    side: side && shown(side) ? box(side) : null,
    message: message && shown(message) ? box(message) : null,
  };
})()`;

function phoneLayout(page: Page): Promise<Layout> {
  return page.evaluate(LAYOUT_SCRIPT) as Promise<Layout>;
}

describe('web app › rooms', () => {
  const suite = webSuite();

  async function join(
    name: string,
    path: string,
    options: Parameters<typeof openPerson>[3] = {},
  ): Promise<Person> {
    const p = await suite.person(name, { path, ...options });
    return p;
  }

  it('three people meet by link; everyone sees everyone; leaving is shown', async () => {
    const alice = await join('alice', '/r/standup');
    await alice.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    const bob = await join('bob', '/#/room/standup');
    const carol = await join('carol', '/#/room/standup');
    for (const p of [alice, bob, carol]) {
      for (const other of ['alice', 'bob', 'carol'].filter((n) => n !== p.name)) {
        await p.page.getByRole('group', { name: other, exact: true }).waitFor();
      }
    }
    assert.equal(await want(alice.page, 2), 2);
    assert.equal(await want(bob.page, 2), 2);
    assert.equal(await want(carol.page, 2), 2);
    assert.equal(
      new URL(alice.page.url()).hash,
      '#/room/standup',
      'the path link was rewritten to the hash form',
    );
    await alice.page.getByRole('log', { name: 'Chat messages' }).getByText('carol joined').waitFor();
    await screenshot(alice.page, 'room');

    await carol.page.getByRole('button', { name: 'Leave room' }).click();
    await carol.page.getByRole('heading', { name: 'Hello, carol' }).waitFor();
    await alice.page.getByRole('log', { name: 'Chat messages' }).getByText('carol left').waitFor();
    await alice.page.getByRole('group', { name: 'carol', exact: true }).waitFor({ state: 'detached' });
  });

  it('a reload signs back in and rejoins the room', async () => {
    const ivy = await join('ivy', '/#/room/reload');
    const jon = await join('jon', '/#/room/reload');
    await want(jon.page, 1);
    await ivy.page.reload();
    await ivy.page.getByRole('group', { name: 'jon', exact: true }).waitFor();
    assert.equal(await want(ivy.page, 1), 1, 'after the reload ivy sees jon again');
    await jon.page.getByRole('group', { name: 'ivy', exact: true }).waitFor();
    assert.equal(await ivy.page.getByLabel('Your name').count(), 0, 'no name screen after a reload');
  });

  it('protects a room with a password: asked again when wrong, in when right', async () => {
    const owner = await openPerson(suite.browser, suite.server.url, 'owner');
    suite.keep(owner);
    await owner.page.getByRole('heading', { name: 'Hello, owner' }).waitFor();
    await owner.page.getByRole('textbox', { name: 'Room name', exact: true }).fill('vault');
    await owner.page.getByText('Protect with a password').click();
    await owner.page.getByLabel('Room password (optional)').fill('open sesame');
    await owner.page.getByRole('button', { name: 'Create or join room' }).click();
    await owner.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();

    const guest = await join('visitor', '/#/room/vault');
    const ask = guest.page.getByRole('dialog', { name: 'Password for vault' });
    await ask.getByLabel('Room password').fill('wrong');
    await ask.getByRole('button', { name: 'Join' }).click();
    await ask.getByText('That password is not right.', { exact: false }).waitFor();
    await ask.getByLabel('Room password').fill('open sesame');
    await ask.getByRole('button', { name: 'Join' }).click();
    await guest.page.getByRole('group', { name: 'owner', exact: true }).waitFor();
    await owner.page.getByRole('group', { name: 'visitor', exact: true }).waitFor();
  });

  it('joins receive-only when the camera is blocked, and still sees the others', async () => {
    const host = await join('host', '/#/room/blocked');
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    const page = await context.newPage();
    suite.keep({ name: 'guest', context, page });
    await page.goto(`${suite.server.url}/#/room/blocked`);
    await page.getByText('Camera and microphone are blocked').waitFor();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await page.getByLabel('Your name').fill('guest');
    await page.getByRole('button', { name: 'Join room' }).click();
    await page.getByText('You joined without camera and microphone').waitFor();
    assert.equal(await want(page, 1), 1, 'the receive-only guest decodes the host’s video');
    // The host sees the guest's tile, with initials and the muted icon.
    await host.page.getByRole('group', { name: 'guest, muted' }).waitFor();
    await screenshot(page, 'receive-only');
  });

  it('says so when the room is full', async () => {
    const tiny = await startWebServer({ PARLEY_MAX_PEERS_PER_ROOM: '1' });
    const first = await openPerson(suite.browser, tiny.url, 'first', { path: '/#/room/tiny' });
    suite.keep(first);
    await first.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    const second = await openPerson(suite.browser, tiny.url, 'second', { path: '/#/room/tiny' });
    suite.keep(second);
    await second.page
      .getByRole('region', { name: 'Notifications' })
      .getByText('“tiny” is full.', { exact: false })
      .waitFor();
    await second.page.getByRole('heading', { name: 'Hello, second' }).waitFor();
    // The server said its figures in `welcome`: one member per room, and no SFU (no `sfuThreshold`);
    // room data's rates (issue 24) come with them, at their defaults.
    const limits = await second.page.evaluate(
      () => (window as unknown as { parley: { client: { roomLimits: unknown } } }).parley.client.roomLimits,
    );
    assert.deepEqual(limits, {
      maxMembers: 1,
      data: { perS: 200, burst: 400, bytesPerS: 1048576, bytesBurst: 2097152 },
    });
    await tiny.close();
  });

  it('works on a phone-sized screen', async () => {
    const desk = await join('desk', '/#/room/mobile');
    const phone = await join('phone', '/#/room/mobile', { viewport: { width: 390, height: 844 } });
    await want(phone.page, 1);
    await desk.page.getByRole('group', { name: 'phone', exact: true }).waitFor();
    const call = await phoneLayout(phone.page);
    assert.ok(call.pageWidth <= call.viewport.width, `no horizontal scrolling (${call.pageWidth}px wide)`);
    assert.ok(call.controls.length >= 7, `the control bar shows its buttons (${call.controls.length})`);
    for (const b of call.controls) {
      assert.ok(inside(b, call.viewport), `${b.label} is on screen: ${JSON.stringify(b)}`);
      assert.ok(b.width >= 44 && b.height >= 44, `${b.label} is at least 44×44 px to touch`);
    }
    const bar = call.bar!;
    for (const tile of call.tiles) {
      assert.ok(inside(tile, call.viewport), `${tile.label}'s tile is on screen: ${JSON.stringify(tile)}`);
      assert.ok(tile.bottom <= bar.top + 1, `${tile.label}'s tile stays above the control bar`);
    }
    const remote = call.tiles.find((t) => t.label === 'desk');
    assert.ok(remote, 'desk has a tile');
    assert.ok(
      remote.width >= 200 && remote.height >= 150,
      `desk's tile is large enough to see: ${JSON.stringify(remote)}`,
    );
    assert.ok(remote.videoWidth > 0, 'desk’s video plays in the tile');
    assert.ok(
      call.tiles.some((t) => t.self),
      'your own tile is on screen too',
    );
    // The side panel opens over the stage and closes again.
    await phone.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await phone.page.getByRole('textbox', { name: 'Message' }).fill('From my phone');
    const chat = await phoneLayout(phone.page);
    assert.ok(
      chat.side && inside(chat.side, chat.viewport),
      `the side panel fits the screen: ${JSON.stringify(chat.side)}`,
    );
    assert.ok(chat.side.width >= chat.viewport.width - 1, 'the side panel takes the whole width');
    assert.ok(chat.message && inside(chat.message, chat.viewport), 'the message field is on screen');
    assert.ok(chat.pageWidth <= chat.viewport.width, 'no horizontal scrolling with the chat open');
    await phone.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await desk.page.getByRole('log', { name: 'Chat messages' }).getByText('From my phone').waitFor();
    await phone.page.getByRole('button', { name: 'Close side panel' }).click();
    await phone.page.getByRole('complementary', { name: 'Side panel' }).waitFor({ state: 'hidden' });
    assert.ok(inside((await phoneLayout(phone.page)).tiles.find((t) => t.label === 'desk')!, chat.viewport));
  });
});
