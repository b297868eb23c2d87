// @needs chromium
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
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

// The example page (examples/call.html + call.js), loading the SDK's script-tag build from
// /sdk/parley.js (scripts/sdk-bundle.mjs, as `npm run build` writes it) and served by a real Parley server, driven like a user would: type names, click Call, click Answer.
describe('SDK › examples/call.html in Chromium', () => {
  let dir: string;
  let server: ParleyServer;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-example-'));
    await buildSdkScript(dir);
    for (const file of ['call.html', 'call.js', 'call.css'])
      copyFileSync(join(ROOT, 'examples', file), join(dir, file));
    server = await startServer({ PARLEY_WEB_DIR: dir });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    removeDir(dir);
  });

  /** Frames the remote <video> has rendered so far (decoded and presented). */
  const remoteFrames = (p: Page) =>
    p.evaluate(
      () =>
        (document.getElementById('remote') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames,
    );

  it('calls, answers, shows remote video on both sides, and hangs up', async () => {
    const context = await newMediaContext(browser, server.url);
    const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
    for (const [p, name] of [
      [a, 'ada'],
      [b, 'bob'],
    ] as const) {
      tracePage(p, name);
      await p.goto(`${server.url}/call.html`);
      await p.fill('#name', name);
      await p.click('#login button');
      await p.waitForSelector('#dial', { state: 'visible' });
    }
    await a.fill('#peer', 'bob');
    await a.click('#dial button');
    await b.waitForSelector('#answer', { state: 'visible' });
    assert.equal(await b.textContent('#status'), 'ada is calling');
    await b.click('#answer');

    for (const p of [a, b]) {
      await p.waitForFunction(() => document.getElementById('status')?.textContent?.endsWith(': connected'));
      const first = await remoteFrames(p);
      await p.waitForFunction(
        (n) =>
          (document.getElementById('remote') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames >
          n + 5,
        first,
        { timeout: 10_000 },
      );
    }

    await a.click('#hangup');
    await b.waitForFunction(() => document.getElementById('status')?.textContent === 'call ended: hangup');
    assert.equal(await b.isHidden('#hangup'), true);
    await context.close();
  });
});
