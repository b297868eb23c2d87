// @needs chromium
/**
 * The web app on phones and on the stage: at 360, 390 and 430 px wide (portrait) nothing on the
 * home screen, in a room or in a call reaches outside the viewport and a long room name is
 * there in full; the "fit / fill" toggle of each tile (fill for cameras, fit for screen shares,
 * a camera shown whole when filling its tall phone tile would hide most of it, the choice kept
 * for the tile for the rest of the call); toasts that collapse to one with a count, sit below
 * the tiles instead of over them, and a file offer's toast that goes once it is answered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { outsideViewport, scrollsSideways } from '../../helpers/viewport-overflow.ts';
import { fakeScreenCapture, type openPerson, type Person, screenshot, webSuite } from '../../helpers/web.ts';

/** The `object-fit` of a tile's video, and its toggle's `aria-pressed`. */
async function fitOf(tile: Locator): Promise<{ objectFit: string; pressed: string | null }> {
  const objectFit = await tile.locator('video').evaluate((v) => getComputedStyle(v).objectFit);
  const pressed = await tile.locator('.tile-fit').getAttribute('aria-pressed');
  return { objectFit, pressed };
}

/** Waits until `tile`'s video shows whole (`contain`, pressed) or cropped (`cover`, not pressed). */
async function waitForFit(tile: Locator, fit: boolean): Promise<void> {
  const want = fit ? 'contain' : 'cover';
  await tile
    .locator(`video`)
    .and(tile.page().locator(`.tile${fit ? '.fit' : ':not(.fit)'} video`))
    .waitFor();
  assert.deepEqual(await fitOf(tile), { objectFit: want, pressed: String(fit) });
}

/** Resolves once `tile`'s video has a picture (the call is connected and media flows). */
function videoShown(tile: Locator): Promise<void> {
  return tile.locator('video').evaluate(
    (v: HTMLVideoElement) =>
      new Promise<void>((resolve) => {
        if (v.videoWidth > 0) resolve();
        else v.addEventListener('resize', () => resolve(), { once: true });
      }),
  );
}

interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const rect = (l: Locator): Promise<Rect> =>
  l.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  });
const overlaps = (a: Rect, b: Rect) =>
  a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;

describe('web app › phones, tiles and toasts', () => {
  const suite = webSuite();

  async function person(name: string, options: Parameters<typeof openPerson>[3] = {}): Promise<Person> {
    const p = await suite.person(name, options);
    return p;
  }

  async function call(caller: Person, callee: Person): Promise<void> {
    await caller.page.getByRole('button', { name: `Call ${callee.name}` }).click();
    const ring = callee.page.getByRole('dialog', { name: `Incoming call from ${caller.name}` });
    await ring.getByRole('button', { name: 'Accept' }).click();
    await videoShown(caller.page.getByRole('group', { name: callee.name, exact: true }));
    await videoShown(callee.page.getByRole('group', { name: caller.name, exact: true }));
  }

  async function assertInside(page: Page, where: string): Promise<void> {
    assert.equal(await scrollsSideways(page), false, `${where}: the page scrolls sideways`);
    assert.deepEqual(await outsideViewport(page), [], `${where}: elements outside the viewport`);
  }

  for (const width of [360, 390, 430]) {
    it(`at ${width} px: home, room and call keep everything on screen; the room name is there in full`, async () => {
      const viewport = { width, height: width === 360 ? 740 : 844 };
      const home = await person(`ann${width}`, { viewport });
      await home.page.getByRole('heading', { name: `Hello, ann${width}` }).waitFor();
      await assertInside(home.page, 'home');

      const room = `the-weekly-planning-meeting-${width}`;
      const roomer = await person(`rob${width}`, { viewport, path: `/r/${room}` });
      await roomer.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
      await assertInside(roomer.page, 'room');
      const title = roomer.page.getByRole('heading', { level: 1, name: room });
      assert.equal(await title.getAttribute('title'), room, 'the full room name is the heading’s title');
      assert.ok(await roomer.page.getByRole('button', { name: 'Copy link to this room' }).isVisible());

      const other = await person(`cat${width}`, { viewport });
      await other.page.getByRole('heading', { name: `Hello, cat${width}` }).waitFor();
      await home.page.getByRole('button', { name: `Call cat${width}` }).waitFor();
      await call(home, other);
      const remote = home.page.getByRole('group', { name: `cat${width}`, exact: true });
      await videoShown(remote);
      await assertInside(home.page, 'call');
      // The fake camera is landscape (4:3), the tile tall: filling it would hide most of the picture.
      await waitForFit(remote, true);
      await screenshot(home.page, `phone-call-${width}`);
    });
  }

  it('fit / fill: cameras fill, screens fit, a toggle per tile, remembered for the tile during the call', async () => {
    const eve = await person('eve');
    const fay = await person('fay');
    await eve.page.getByRole('button', { name: 'Call fay' }).waitFor();
    await call(eve, fay);
    const camera = eve.page.getByRole('group', { name: 'fay', exact: true });
    await waitForFit(camera, false);
    const toggle = camera.getByRole('button', { name: 'Show whole picture: fay' });
    await toggle.click();
    await waitForFit(camera, true);
    await toggle.click();
    await waitForFit(camera, false);

    await fakeScreenCapture(fay.page);
    await fay.page.getByRole('button', { name: 'Share screen' }).click();
    const screen = eve.page.getByRole('group', { name: 'fay’s screen' });
    await waitForFit(screen, true);
    await screen.getByRole('button', { name: 'Show whole picture: fay’s screen' }).click();
    await waitForFit(screen, false);
    // Sharing again makes a new tile: it keeps the choice made for fay's screen.
    await fay.page.getByRole('button', { name: 'Share screen' }).click();
    await screen.waitFor({ state: 'detached' });
    await fay.page.getByRole('button', { name: 'Share screen' }).click();
    await waitForFit(screen, false);
    await waitForFit(camera, false);
  });

  it('toasts: one at a time with a count, below the tiles, and a file offer’s toast goes once answered', async () => {
    const gil = await person('gil');
    const hal = await person('hal');
    await gil.page.getByRole('button', { name: 'Call hal' }).waitFor();
    await call(gil, hal);
    // Three offers in a row: three toasts on hal's side, collapsed to the newest with "+2".
    for (const name of ['one.txt', 'two.txt', 'three.txt']) {
      await gil.page
        .getByLabel('Choose files to send')
        .setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(name) });
      await hal.page.getByRole('button', { name: `Accept ${name}` }).waitFor();
    }
    const toasts = hal.page.getByRole('region', { name: 'Notifications' }).locator('.toast');
    await toasts.filter({ hasText: 'three.txt' }).waitFor();
    assert.equal(await toasts.count(), 1, 'one toast shows at a time');
    const more = toasts.getByRole('button', { name: '2 more notifications: show the next' });
    assert.equal(await more.textContent(), '+2');

    // It sits in the stage's layout, below the tiles: no tile is covered.
    const box = await rect(toasts);
    assert.ok(
      await hal.page.locator('.stage').locator('.toast').isVisible(),
      'the toast is docked in the stage',
    );
    for (const tile of await hal.page.locator('.tile').all()) {
      assert.ok(
        !overlaps(box, await rect(tile)),
        `the toast covers ${await tile.getAttribute('aria-label')}`,
      );
    }
    await screenshot(hal.page, 'toast-docked');

    // Answering an offer takes its toast away; the next one shows with the count down by one.
    await hal.page.getByRole('button', { name: 'Accept three.txt' }).click();
    await toasts.filter({ hasText: 'two.txt' }).waitFor();
    assert.equal(
      await toasts.getByRole('button', { name: '1 more notification: show the next' }).textContent(),
      '+1',
    );
    await hal.page.getByRole('button', { name: 'Decline two.txt' }).click();
    await toasts.filter({ hasText: 'one.txt' }).waitFor();
    assert.equal(await toasts.locator('.toast-more').isVisible(), false);
    await hal.page.getByRole('button', { name: 'Accept one.txt' }).click();
    await toasts.waitFor({ state: 'detached' });
  });
});
