// @needs chromium
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error: a plain .mjs build script, no types
import { buildSdkScript } from '../../../scripts/sdk-bundle.mjs';
import { launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const FILES = ['index.html', 'whiteboard.js', 'whiteboard.css'];

// The whiteboard example (examples/whiteboard/), served by a real Parley server at
// /examples/whiteboard/ beside the script-tag SDK (/sdk/parley.js), as `npm run build` lays them
// out, and driven in Chromium like people would: join, draw with the mouse, move it, Clear.
describe('examples › whiteboard in Chromium', () => {
  let dir: string;
  let server: ParleyServer;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-whiteboard-'));
    await buildSdkScript(dir);
    mkdirSync(join(dir, 'examples/whiteboard'), { recursive: true });
    for (const file of FILES)
      copyFileSync(join(ROOT, 'examples/whiteboard', file), join(dir, 'examples/whiteboard', file));
    server = await startServer({ PARLEY_WEB_DIR: dir });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    removeDir(dir);
  });

  async function joinBoard(p: Page, name: string): Promise<void> {
    tracePage(p, name);
    await p.goto(`${server.url}/examples/whiteboard/`);
    await p.getByLabel('Your name').fill(name);
    await p.getByLabel('Room').fill('sketch');
    await p.getByRole('button', { name: 'Join' }).click();
    await p.waitForSelector('#board', { state: 'visible' });
  }
  const strokes = (p: Page) => p.evaluate(() => Number(document.getElementById('canvas')?.dataset.strokes));
  const waitStrokes = (p: Page, n: number) =>
    p.waitForFunction((k) => document.getElementById('canvas')?.dataset.strokes === String(k), n, {
      timeout: 15_000,
    });
  /** Alpha of the canvas pixel at (fx, fy), fractions of its size: 0 where nothing was drawn. */
  const alphaAt = (p: Page, fx: number, fy: number) =>
    p.evaluate(
      ([x, y]) => {
        const c = document.getElementById('canvas') as HTMLCanvasElement;
        const ctx = c.getContext('2d') as CanvasRenderingContext2D;
        return ctx.getImageData(Math.round(x * c.width), Math.round(y * c.height), 1, 1).data[3] ?? 0;
      },
      [fx, fy] as const,
    );
  /** Draws a horizontal line across the middle of the canvas, from 20 % to 80 % of its width. */
  async function drawLine(p: Page): Promise<void> {
    await p.bringToFront(); // pointer input waits for frames, which a background tab barely renders
    const box = await p.locator('#canvas').boundingBox();
    assert.ok(box);
    const y = box.y + box.height / 2;
    await p.mouse.move(box.x + box.width * 0.2, y);
    await p.mouse.down();
    await p.mouse.move(box.x + box.width * 0.8, y, { steps: 20 });
    await p.mouse.up();
  }

  it('a stroke reaches everyone (and a late joiner), cursors are labelled, Clear clears all', async () => {
    const context = await newMediaContext(browser, server.url);
    const [ada, bob, cy] = await Promise.all([context.newPage(), context.newPage(), context.newPage()]);
    await joinBoard(ada, 'ada');
    await joinBoard(bob, 'bob');
    await bob.waitForFunction(() => document.getElementById('people')?.textContent === 'With ada');

    // A stroke on ada's page appears on bob's: counted once finished, and painted.
    await drawLine(ada);
    assert.equal(await strokes(ada), 1);
    await waitStrokes(bob, 1);
    assert.ok((await alphaAt(bob, 0.5, 0.5)) > 0, 'the line is painted on bob’s canvas');
    assert.equal(await alphaAt(bob, 0.5, 0.1), 0, 'nothing where nobody drew');

    // cy joins after the stroke: the first name in the room (ada) replays it.
    await joinBoard(cy, 'cy');
    await waitStrokes(cy, 1);
    assert.ok((await alphaAt(cy, 0.5, 0.5)) > 0, 'the replayed line is painted on cy’s canvas');

    // bob's pointer, labelled with his name, shows on ada's and cy's boards near where it is.
    await bob.bringToFront();
    const box = await bob.locator('#canvas').boundingBox();
    assert.ok(box);
    await bob.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.25, { steps: 5 });
    for (const p of [ada, cy]) {
      const cursor = p.locator('.cursor[data-name="bob"]');
      await cursor.waitFor({ state: 'attached', timeout: 15_000 });
      assert.equal(await cursor.textContent(), 'bob');
      assert.equal(await cursor.getAttribute('aria-label'), "bob's pointer");
      await p.waitForFunction(
        () =>
          (document.querySelector('.cursor[data-name="bob"]') as HTMLElement | null)?.style.left === '30%',
      );
    }
    assert.equal(await bob.locator('.cursor[data-name="bob"]').count(), 0, 'nobody sees their own pointer');

    // bob moves off the board: his cursor goes away for the others.
    await bob.mouse.move(box.x + box.width / 2, box.y + box.height + 40);
    await ada.locator('.cursor[data-name="bob"]').waitFor({ state: 'detached', timeout: 15_000 });

    // cy clears: every board is empty again.
    await cy.bringToFront();
    await cy.getByRole('button', { name: 'Clear for everyone' }).click();
    for (const p of [ada, bob, cy]) {
      await waitStrokes(p, 0);
      assert.equal(await alphaAt(p, 0.5, 0.5), 0);
    }
    await context.close();
  });
});
