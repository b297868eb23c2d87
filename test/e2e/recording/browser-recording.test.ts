// @needs chromium, ffmpeg
/**
 * Recording a mesh room in the browser (issue 23): the web app's recorder composes what one
 * member sees and hears into a WebM with MediaRecorder, in chunks; the file must be playable:
 * ffprobe finds one video and one audio stream, and ffmpeg decodes it to the end without error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { bundlePages, launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import type {} from './browser-record-page.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

describe('browser recording of a mesh room (Chromium)', () => {
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let web: string;
  const out = mkdtempSync(join(tmpdir(), 'parley-brec-'));

  before(async () => {
    web = await bundlePages({ brec: join(ROOT, 'test/e2e/recording/browser-record-page.ts') });
    server = await startServer({ PARLEY_WEB_DIR: web });
    browser = await launchChromium();
    page = await (await newMediaContext(browser, server.url)).newPage();
    tracePage(page, 'brec');
    await page.goto(`${server.url}/brec.html`);
    await page.waitForFunction(() => typeof window.BREC === 'object');
  });
  after(async () => {
    await page?.evaluate(() => window.BREC.closeAll()).catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    if (web) removeDir(web);
    removeDir(out);
  });

  it('browser recording › a mesh room recorded in the browser is a playable WebM with video and audio', async () => {
    assert.equal(await page.evaluate(() => window.BREC.join('ba', 'mesh-rec', true)), 'mesh');
    await page.evaluate(() => window.BREC.join('bb', 'mesh-rec', false));
    await until(() => page.evaluate(() => window.BREC.playing() > 0), {
      timeoutMs: 20_000,
      what: 'the remote video plays',
    });
    assert.equal(await page.evaluate(() => window.BREC.start()), 'download');
    // Chunks arrive every second while recording (nothing waits for the end).
    await until(() => page.evaluate(() => window.BREC.bytes() > 0), {
      timeoutMs: 5000,
      what: 'a first chunk',
    });
    await new Promise((r) => setTimeout(r, 3000));
    const file = join(out, 'mesh.webm');
    writeFileSync(file, Buffer.from(await page.evaluate(() => window.BREC.stop()), 'base64'));
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], {
      encoding: 'utf8',
    });
    assert.equal(probe.status, 0, probe.stderr);
    const streams = (JSON.parse(probe.stdout) as { streams: { codec_type: string; codec_name: string }[] })
      .streams;
    assert.deepEqual(streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), [
      'audio:opus',
      'video:vp8',
    ]);
    const decode = spawnSync(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(decode.status, 0, decode.stderr);
    const frames = spawnSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        file,
      ],
      { encoding: 'utf8' },
    );
    // Frames, not a rate: the encoder drops frames when the shared machine is loaded.
    assert.ok(Number(frames.stdout.trim()) >= 5, `video frames: ${frames.stdout}`);
  });
});
