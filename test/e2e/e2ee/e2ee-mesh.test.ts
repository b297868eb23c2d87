// @needs chromium, firefox-esr
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { type PageSite, servePages } from '../../helpers/browser.ts';
import { type BrowserKind, BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import { startServer } from '../../helpers/server.ts';
import type { Decoded } from './e2ee-page.ts';

// End-to-end encrypted mesh rooms between Chromium and Firefox through the real Parley server
// and the SDK from source; the E2EE worker is a separate script served by the server under its
// Content-Security-Policy. Success is read from getStats() (frames decoded per member) and from
// the SDK's key state; every raw frame the server receives and every log line it writes are kept
// to show the secret never reaches it.
describe('E2EE mesh rooms: chromium and firefox', () => {
  const browsers = new BrowserSet();
  let site: PageSite<Awaited<ReturnType<typeof startServer>>>;
  const received: string[] = [];
  const logs: string[] = [];
  const originalEmit = WebSocket.prototype.emit;
  let seq = 0;

  before(async () => {
    // Tap every frame the (in-process) server's sockets receive.
    WebSocket.prototype.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
      if (event === 'message') received.push(String(args[0]));
      return originalEmit.call(this, event, ...args);
    } as typeof WebSocket.prototype.emit;
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    );
    [site] = await Promise.all([
      servePages(
        {
          'e2ee-page': fileURLToPath(new URL('./e2ee-page.ts', import.meta.url)),
          'e2ee-worker': fileURLToPath(
            new URL('../../../packages/client/src/features/e2ee/frame-worker.ts', import.meta.url),
          ),
        },
        (dir) => startServer({ PARLEY_WEB_DIR: dir, PARLEY_LOG_LEVEL: 'trace' }, { logger }),
      ),
      browsers.warmUp(['chromium', 'firefox']),
    ]);
  });
  afterEach(() => browsers.closePages());
  after(async () => {
    WebSocket.prototype.emit = originalEmit;
    await browsers.close();
    await site?.close();
  });

  async function member(kind: BrowserKind, name: string): Promise<TestPage> {
    const page = await browsers.openPage(kind, site.page('e2ee-page'));
    await page.waitFor(() => typeof window.e2ee === 'object', { what: 'page loaded' });
    await page.evaluate(([url, n]) => window.e2ee.connect(url, n), [site.server.wsUrl, name] as const);
    return page;
  }

  async function join(page: TestPage, room: string, secret: string | null): Promise<void> {
    await page.evaluate(([r, s]) => window.e2ee.join(r, s), [room, secret] as const);
  }

  /** Waits until `page` has decoded video frames and audio from every member in `from`. */
  async function decodesFrom(page: TestPage, from: string[], what = 'decoding'): Promise<unknown> {
    try {
      return await waitDecodes(page, from, what);
    } catch (error) {
      const state = await page.evaluate(async () => ({
        keys: window.e2ee.keys(),
        decoded: await window.e2ee.decoded(),
      }));
      throw new Error(`${(error as Error).message}; ${page.label}: ${JSON.stringify(state)}`, {
        cause: error,
      });
    }
  }
  function waitDecodes(page: TestPage, from: string[], what: string): Promise<unknown> {
    return page.waitFor(
      async (names) => {
        const d = await window.e2ee.decoded();
        return names.every((n) => (d[n]?.framesDecoded ?? 0) > 5 && (d[n]?.audioBytes ?? 0) > 0) && d;
      },
      { arg: from, what: `${page.label} ${what} ${from.join(',')}`, timeoutMs: 20_000 },
    );
  }

  const decoded = (page: TestPage): Promise<Record<string, Decoded>> =>
    page.evaluate(() => window.e2ee.decoded());

  it('chromium and firefox with the same secret: every stream decodes both ways, one safety code, members decrypting', async (t) => {
    const n = ++seq;
    const secret = `s3cret-${n}-correct-horse`;
    const [a, b] = await Promise.all([member('chromium', `a${n}`), member('firefox', `b${n}`)]);
    await join(a, `e2ee-${n}`, secret);
    await join(b, `e2ee-${n}`, secret);
    await Promise.all([decodesFrom(a, [`b${n}`]), decodesFrom(b, [`a${n}`])]);
    const [ka, kb] = await Promise.all([a, b].map((p) => p.evaluate(() => window.e2ee.keys())));
    t.diagnostic(`keys: ${JSON.stringify(ka)} / ${JSON.stringify(kb)}`);
    assert.ok(ka && kb);
    assert.equal(ka.code, kb.code, 'both see the same safety code');
    assert.match(ka.code, /^[a-z]+ [a-z]+ [a-z]+ [a-z]+$/);
    assert.equal(ka.members[`b${n}`], 'decrypting');
    assert.equal(kb.members[`a${n}`], 'decrypting');
    const first = await a.evaluate(() => window.e2ee.firstDecryptMs());
    t.diagnostic(`chromium: join to first decrypted frame ${first} ms`);
    // The secret never reached the server: not in a frame it received, not in its logs.
    assert.ok(received.length > 0 && logs.length > 0);
    assert.ok(!received.some((f) => f.includes(secret)), 'no frame carries the secret');
    assert.ok(!logs.some((l) => l.includes(secret)), 'no log line carries the secret');
  });

  it('a 1:1 call, chromium calls firefox, both with the secret: video decodes both ways, one safety code; a callee without E2EE decodes nothing and the caller sees cannot decrypt', async () => {
    const n = ++seq;
    const [a, b] = await Promise.all([member('chromium', `a${n}`), member('firefox', `b${n}`)]);
    const [c, d] = await Promise.all([
      browsers.openPage('chromium', site.page('e2ee-page')),
      browsers.openPage('firefox', site.page('e2ee-page')),
    ]);
    for (const [p, name, secret] of [
      [c, `c${n}`, null],
      [d, `d${n}`, 'call secret'],
    ] as const) {
      await p.waitFor(() => typeof window.e2ee === 'object', { what: 'page loaded' });
      await p.evaluate(([url, nm, s]) => window.e2ee.connect(url, nm, s), [
        site.server.wsUrl,
        name,
        secret,
      ] as const);
    }
    await c.evaluate((x) => window.e2ee.call(x, 'call secret'), `d${n}`);
    for (const p of [c, d])
      await p.waitFor(
        async () => {
          const s = await window.e2ee.callState();
          return s.framesDecoded > 5 && s.remote === 'decrypting' && s;
        },
        { what: `${p.label} decodes the encrypted call`, timeoutMs: 20_000 },
      );
    const [sc, sd] = await Promise.all([c, d].map((p) => p.evaluate(() => window.e2ee.callState())));
    assert.ok(sc?.code && sc.code === sd?.code, 'one safety code for the call');
    // a calls b with E2EE, b accepts without it: neither side decodes the other.
    await a.evaluate((x) => window.e2ee.call(x, 'call secret'), `b${n}`);
    await a.waitFor(async () => (await window.e2ee.callState()).remote === 'failing', {
      what: 'a: cannot decrypt b',
      timeoutMs: 20_000,
    });
    // a (with the key) drops every clear frame of b: none reaches its decoder.
    assert.equal(
      (await a.evaluate(() => window.e2ee.callState())).framesDecoded,
      0,
      'a decodes no frame of b',
    );
    // b (Firefox, no key) gets ciphertext behind a valid VP8 header: its decoder shows nothing
    // intelligible; it has been seen to count one garbage keyframe as decoded, never more.
    const atB = (await b.evaluate(() => window.e2ee.callState())).framesDecoded;
    assert.ok(atB <= 1, `b decodes no frame of a (counted ${atB})`);
  });

  it('a member with the wrong secret decodes nothing and sees "cannot decrypt"; the others still decode each other', async () => {
    const n = ++seq;
    const secret = `right-${n}`;
    const [a, b, c] = await Promise.all([
      member('chromium', `a${n}`),
      member('firefox', `b${n}`),
      member('chromium', `c${n}`),
    ]);
    await join(a, `e2ee-${n}`, secret);
    await join(b, `e2ee-${n}`, secret);
    await join(c, `e2ee-${n}`, 'wrong secret');
    await c.waitFor(
      (names) => {
        const k = window.e2ee.keys();
        return k && names.every((x) => k.members[x] === 'failing');
      },
      { arg: [`a${n}`, `b${n}`], what: 'c: cannot decrypt a and b' },
    );
    await Promise.all([decodesFrom(a, [`b${n}`]), decodesFrom(b, [`a${n}`])]);
    await a.waitFor((x) => window.e2ee.keys()?.members[x] === 'failing', {
      arg: `c${n}`,
      what: 'a: c failing',
    });
    const atC = await decoded(c);
    assert.equal(atC[`a${n}`]?.framesDecoded, 0, 'c decodes no frame of a');
    assert.equal(atC[`b${n}`]?.framesDecoded, 0, 'c decodes no frame of b');
    const atA = await decoded(a);
    assert.equal(atA[`c${n}`]?.framesDecoded, 0, 'a decodes no frame of c');
  });

  it('a member joined without E2EE decodes no frame of the encrypted members: what they send is ciphertext', async () => {
    const n = ++seq;
    const [a, b, plain] = await Promise.all([
      member('chromium', `a${n}`),
      member('firefox', `b${n}`),
      member('chromium', `p${n}`),
    ]);
    await join(a, `e2ee-${n}`, 'shared');
    await join(b, `e2ee-${n}`, 'shared');
    await join(plain, `e2ee-${n}`, null);
    await Promise.all([decodesFrom(a, [`b${n}`]), decodesFrom(b, [`a${n}`])]);
    // The plain member receives packets (bytes) but its decoder gets ciphertext.
    // Media flows between them: the encrypted members drop the plain member's clear frames.
    await Promise.all(
      [a, b].map((p) =>
        p.waitFor((x) => window.e2ee.keys()?.members[x] === 'failing', {
          arg: `p${n}`,
          what: `${p.label}: p failing`,
        }),
      ),
    );
    // Ciphertext behind a valid VP8 header: a decoder has been seen to count one garbage keyframe
    // as decoded (CI, session 6, once), never more; a key leak would decode every frame.
    const atPlain = await decoded(plain);
    for (const from of [`a${n}`, `b${n}`]) {
      const count = atPlain[from]?.framesDecoded ?? 0;
      assert.ok(count <= 1, `no frame of ${from} decoded without the key (counted ${count})`);
    }
  });

  it('when a member leaves, the others move to a new key epoch (new safety code, the same for both) and keep decoding', async () => {
    const n = ++seq;
    const [a, b, c] = await Promise.all([
      member('chromium', `a${n}`),
      member('firefox', `b${n}`),
      member('chromium', `c${n}`),
    ]);
    for (const p of [a, b, c]) await join(p, `e2ee-${n}`, 'team secret');
    await Promise.all([decodesFrom(a, [`b${n}`, `c${n}`]), decodesFrom(b, [`a${n}`, `c${n}`])]);
    const before = await a.evaluate(() => window.e2ee.keys());
    const departed = await c.evaluate(() => window.e2ee.keys());
    assert.ok(before && departed);
    assert.ok(before.epoch >= 1, 'joins moved the room past epoch 0');
    await c.evaluate(() => window.e2ee.leave());
    await Promise.all(
      [a, b].map((p) =>
        p.waitFor((e) => (window.e2ee.keys()?.epoch ?? 0) > e, {
          arg: before.epoch,
          what: `${p.label} rekeyed`,
        }),
      ),
    );
    const [ka, kb] = await Promise.all([a, b].map((p) => p.evaluate(() => window.e2ee.keys())));
    assert.equal(ka?.epoch, kb?.epoch);
    assert.equal(ka?.code, kb?.code, 'the same new safety code');
    assert.notEqual(ka?.code, departed.code, 'the departed member no longer has the code');
    const baseline = await decoded(a);
    await a.waitFor(
      async ([who, was]) => ((await window.e2ee.decoded())[who]?.framesDecoded ?? 0) > was + 10,
      { arg: [`b${n}`, baseline[`b${n}`]?.framesDecoded ?? 0] as const, what: 'a decodes b after the rekey' },
    );
  });
});
