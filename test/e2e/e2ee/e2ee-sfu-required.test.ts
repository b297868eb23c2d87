// @needs chromium, janus
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { JanusClient } from '../../../packages/server/src/sfu/janus-client.ts';
import { roomIdFor } from '../../../packages/server/src/sfu/janus-rooms.ts';
import { BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { until } from '../../helpers/wait.ts';
import type { Decoded } from './e2ee-page.ts';
import { type E2eeSite, serveE2eePages } from './e2ee-site.ts';

// SFU rooms whose creator required E2EE, through a real Janus (issue 22): the Janus room is made
// with `require_e2ee` (Janus then refuses any publisher whose offer is not marked `e2ee`, and the
// server marks every offer of such a room), every member still decodes every other, the SDK says
// `room.e2eeRequired`, and simulcast layer switching keeps working on encrypted frames: Janus
// picks layers from the clear VP8 header bytes the E2EE transform leaves in front of each frame.
describe('E2EE-required SFU rooms through a real Janus: chromium', () => {
  const browsers = new BrowserSet();
  let janus: TestJanus;
  let site: E2eeSite;
  let seq = 0;

  before(async () => {
    janus = await startJanus();
    [site] = await Promise.all([serveE2eePages(janusEnv(janus)), browsers.warmUp(['chromium'])]);
  });
  afterEach(() => browsers.closePages());
  after(async () => {
    await browsers.close();
    await site?.close();
    await janus?.close();
  });

  async function member(name: string): Promise<TestPage> {
    const page = await browsers.openPage('chromium', site.page('e2ee-page'));
    await page.waitFor(() => typeof window.e2ee === 'object', { what: 'page loaded' });
    await page.evaluate(([url, n]) => window.e2ee.connect(url, n), [site.server.wsUrl, name] as const);
    return page;
  }

  /** What `page` decodes of `from` once `pred` holds (through the SFU). */
  function decoded(page: TestPage, from: string, pred: (d: Decoded) => boolean, what: string) {
    return until(() => page.evaluate(() => window.e2ee.decoded()), {
      what: `${page.label}: ${what}`,
      timeoutMs: 40_000,
      intervalMs: 250,
      accept: (d) => d[from] !== undefined && pred(d[from]),
    }).then((d) => d[from]!);
  }

  /** Janus's own listing of the room (`list` with the admin key): its `require_e2ee`. */
  async function janusRequires(room: string): Promise<unknown> {
    const client = await JanusClient.connect(janus.wsUrl, {
      apiSecret: janus.apiSecret,
      requestTimeoutMs: 5000,
    });
    try {
      const h = await (await client.createSession()).attach();
      const list = await h.message({ request: 'list', admin_key: janus.adminKey });
      const rooms = (Array.isArray(list.data.list) ? list.data.list : []) as Record<string, unknown>[];
      return rooms.find((r) => r.room === roomIdFor(room))?.require_e2ee;
    } finally {
      client.close();
    }
  }

  it('the Janus room requires E2EE; both members decode each other; room.e2eeRequired; a plain room does not', async () => {
    const n = ++seq;
    const room = `req-sfu-${n}`;
    const [a, b] = await Promise.all([member(`a${n}`), member(`b${n}`)]);
    await a.evaluate(([r]) => window.e2ee.join(r, 'required secret', 'sfu', { require: true }), [
      room,
    ] as const);
    await b.evaluate(([r]) => window.e2ee.join(r, 'required secret'), [room] as const);
    await Promise.all([
      decoded(a, `b${n}`, (d) => d.framesDecoded > 5, 'decodes b'),
      decoded(b, `a${n}`, (d) => d.framesDecoded > 5, 'decodes a'),
    ]);
    assert.deepEqual(await Promise.all([a, b].map((p) => p.evaluate(() => window.e2ee.required()))), [
      true,
      true,
    ]);
    assert.equal(await janusRequires(room), true, "Janus's room has require_e2ee");
    // An encrypted room nobody required is a plain Janus room (a member without E2EE may publish).
    const plain = `enc-sfu-${n}`;
    const c = await member(`c${n}`);
    await c.evaluate(([r]) => window.e2ee.join(r, 'other secret', 'sfu'), [plain] as const);
    await c.waitFor(() => window.e2ee.mode() === 'sfu', { what: 'c in sfu' });
    await until(() => janusRequires(plain), {
      what: 'plain Janus room listed',
      accept: (v) => v !== undefined,
    });
    assert.equal(await janusRequires(plain), false);
    assert.equal(await c.evaluate(() => window.e2ee.required()), false);
  });

  it('simulcast layers switch through Janus on encrypted frames: frame width follows the view, frames keep decoding', async (t) => {
    const n = ++seq;
    const room = `req-simulcast-${n}`;
    const [hd, viewer] = await Promise.all([member(`hd${n}`), member(`v${n}`)]);
    await hd.evaluate(
      ([r]) =>
        window.e2ee.join(r, 'layer secret', 'sfu', { require: true, camera: { width: 1280, height: 720 } }),
      [room] as const,
    );
    await viewer.evaluate(([r]) => window.e2ee.join(r, 'layer secret'), [room] as const);
    // Three layers out, the top one at full width (the encoder adds layers as its estimate grows).
    const layers = await until(() => hd.evaluate(() => window.e2ee.layersOut()), {
      what: 'three layers out, the top one at full width',
      timeoutMs: 40_000,
      intervalMs: 250,
      accept: (l) =>
        l.length === 3 &&
        l.every((x) => x.framesEncoded > 0) &&
        Math.max(...l.map((x) => x.frameWidth)) >= 1280,
    });
    const top = Math.max(...layers.map((x) => x.frameWidth));
    const from = `hd${n}`;
    await viewer.evaluate(([m]) => window.e2ee.setView(m, { width: 320, height: 180 }), [from] as const);
    const t0 = Date.now();
    const small = await decoded(
      viewer,
      from,
      (d) => d.framesDecoded > 0 && d.frameWidth > 0 && d.frameWidth <= 320,
      'small layer',
    );
    const smallMs = Date.now() - t0;
    await viewer.evaluate(([m]) => window.e2ee.setView(m, { width: 1280, height: 720 }), [from] as const);
    const t1 = Date.now();
    const large = await decoded(
      viewer,
      from,
      (d) => d.frameWidth >= top && d.framesDecoded > small.framesDecoded + 10,
      'top layer',
    );
    const largeMs = Date.now() - t1;
    await viewer.evaluate(([m]) => window.e2ee.setView(m, { width: 320, height: 180 }), [from] as const);
    const t2 = Date.now();
    const back = await decoded(
      viewer,
      from,
      (d) => d.frameWidth <= 320 && d.framesDecoded > large.framesDecoded + 10,
      'small layer again',
    );
    const backMs = Date.now() - t2;
    const keys = await viewer.evaluate(() => window.e2ee.keys());
    assert.equal(keys?.members[from], 'decrypting', 'the viewer decrypts the publisher all along');
    assert.ok(
      !keys?.events.some((e) => e.includes(`${from} failing`)),
      `no failing state: ${keys?.events.join('; ')}`,
    );
    const line = { layers, top, small, smallMs, large, largeMs, back, backMs };
    t.diagnostic(JSON.stringify(line));
    process.stdout.write(`# e2ee simulcast through Janus: ${JSON.stringify(line)}\n`);
  });
});
