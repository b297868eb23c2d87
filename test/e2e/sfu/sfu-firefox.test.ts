// @needs chromium, firefox-esr, janus
/**
 * A Firefox publisher in an SFU room, received by Chromium: real Firefox ESR (Puppeteer over
 * WebDriver BiDi), real Chromium, the real server and a real Janus, in a room created with
 * `mode: 'sfu'`. Firefox's 1280x720 camera goes out in three simulcast layers, Janus reads their
 * rids in the same order as Chromium's, and the Chromium subscriber's frame width follows
 * `setVideoView`, read from its getStats().
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { bundlePages, removeDir } from '../../helpers/browser.ts';
import { BrowserSet } from '../../helpers/browsers.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

describe('SFU with a Firefox publisher (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let dir: string;
  const browsers = new BrowserSet();

  before(async () => {
    janus = await startJanus();
    dir = await bundlePages({ rooms: join(ROOT, 'test/e2e/sfu/room-page.ts') });
    server = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
    });
  });
  after(async () => {
    await browsers.close();
    await server?.close().catch(() => {});
    await janus?.close();
    if (dir) removeDir(dir);
  });

  it('SFU › Firefox publishes its 720p camera in three layers, a Chromium subscriber gets the layer its view needs', async () => {
    const url = `${server.url}/rooms.html`;
    const [ff, cr] = await browsers.pair(['firefox', 'chromium'], url);
    for (const p of [ff, cr])
      await p.waitFor(() => typeof (window as { ROOMS?: unknown }).ROOMS === 'object');
    const room = 'firefox-sfu';
    await ff.evaluate(([r]) => window.ROOMS.join('fox', r, { width: 1280, height: 720 }, 'sfu'), [
      room,
    ] as const);
    await cr.evaluate(([r]) => window.ROOMS.join('crow', r, false), [room] as const);
    const size = await ff.evaluate(() => window.ROOMS.cameraSize('fox'));
    // Wait for all three layers to be listed, not just the first to encode: on a loaded machine
    // Firefox's first stats sample lists only two of them (seen in two runs), which said nothing
    // about what it sends a moment later. The rids are still asserted below.
    const layers = await until(() => ff.evaluate(() => window.ROOMS.layersOut('fox')), {
      what: 'three layers listed, one encoding',
      timeoutMs: 30_000,
      intervalMs: 200,
      accept: (l) => l.length >= 3 && l.some((x) => x.framesEncoded > 0),
    });
    const videoIn = (pred: (v: { framesDecoded: number; frameWidth: number }) => boolean, what: string) =>
      until(() => cr.evaluate(() => window.ROOMS.videoIn('crow')), {
        what: 'list.some((v) => v.member === "fox" && pred(v))',
        timeoutMs: 30_000,
        intervalMs: 200,
        accept: (list) => list.some((v) => v.member === 'fox' && pred(v)),
        explain: async () =>
          `${what}; layer ${JSON.stringify(await cr.evaluate(() => window.ROOMS.layerOf('crow', 'fox')))}`,
      }).then((list) => list.find((v) => v.member === 'fox')!);
    const first = await videoIn((v) => v.framesDecoded > 5, 'decoding');
    process.stdout.write(
      `# firefox camera ${JSON.stringify(size)}, layers out ${JSON.stringify(layers)}, first frames at ${first.frameWidth} px\n`,
    );
    // Firefox ESR opens its fake camera at 1280x720 when asked, and sends the three rids.
    assert.deepEqual(size, { width: 1280, height: 720 });
    assert.deepEqual(
      layers.map((x) => x.rid),
      ['h', 'l', 'm'],
    );
    await cr.evaluate(() => window.ROOMS.setView('crow', 'fox', { width: 320, height: 180 }));
    const small = await videoIn((v) => v.frameWidth > 0 && v.frameWidth <= 320, 'small view');
    await cr.evaluate(() => window.ROOMS.setView('crow', 'fox', { width: 1280, height: 720 }));
    const top = Math.max(...layers.map((x) => x.frameWidth));
    const large = await videoIn((v) => v.frameWidth >= top, 'large view');
    process.stdout.write(
      `# firefox simulcast through Janus: small view ${small.frameWidth} px, large ${large.frameWidth} px\n`,
    );
  });
});
