// @needs chromium, firefox-esr, janus
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type BrowserKind, BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { type E2eeSite, serveE2eePages } from './e2ee-site.ts';

// End-to-end encrypted SFU rooms: Chromium and Firefox publish through a real Janus with their
// frames encrypted in the E2EE worker; every member with the secret decodes every other, while a
// member without it receives what Janus forwards and decodes none of it — what the media server
// handles is ciphertext. The same member decodes everyone in a room without E2EE.
describe('E2EE SFU rooms through a real Janus: chromium and firefox', () => {
  const browsers = new BrowserSet();
  let janus: TestJanus;
  let site: E2eeSite;
  let seq = 0;

  before(async () => {
    janus = await startJanus();
    [site] = await Promise.all([serveE2eePages(janusEnv(janus)), browsers.warmUp(['chromium', 'firefox'])]);
  });
  afterEach(() => browsers.closePages());
  after(async () => {
    await browsers.close();
    await site?.close();
    await janus?.close();
  });

  async function member(kind: BrowserKind, name: string): Promise<TestPage> {
    const page = await browsers.openPage(kind, site.page('e2ee-page'));
    await page.waitFor(() => typeof window.e2ee === 'object', { what: 'page loaded' });
    await page.evaluate(([url, n]) => window.e2ee.connect(url, n), [site.server.wsUrl, name] as const);
    return page;
  }

  function decodes(page: TestPage, from: string[]): Promise<unknown> {
    return page.waitFor(
      async (names) => {
        const d = await window.e2ee.decoded();
        return window.e2ee.mode() === 'sfu' && names.every((n) => (d[n]?.framesDecoded ?? 0) > 5) && d;
      },
      { arg: from, what: `${page.label} decodes ${from.join(',')} through the SFU`, timeoutMs: 30_000 },
    );
  }

  it('chromium and firefox with the secret decode each other through Janus; a member without it decodes nothing Janus forwards', async (t) => {
    const n = ++seq;
    const room = `e2ee-sfu-${n}`;
    const [a, b, p] = await Promise.all([
      member('chromium', `a${n}`),
      member('firefox', `b${n}`),
      member('chromium', `p${n}`),
    ]);
    await a.evaluate(([r]) => window.e2ee.join(r, 'sfu secret', 'sfu'), [room] as const);
    await b.evaluate(([r]) => window.e2ee.join(r, 'sfu secret'), [room] as const);
    await Promise.all([decodes(a, [`b${n}`]), decodes(b, [`a${n}`])]);
    await p.evaluate(([r]) => window.e2ee.join(r, null), [room] as const);
    // p's own (clear) video reaches a through Janus: a reports it cannot decrypt p.
    await a.waitFor((x) => window.e2ee.keys()?.members[x] === 'failing', {
      arg: `p${n}`,
      what: 'a: p failing',
      timeoutMs: 30_000,
    });
    // Meanwhile a and b still decode each other, and p has subscribed to both of them.
    const [atA, atB] = await Promise.all([decodes(a, [`b${n}`]), decodes(b, [`a${n}`])]);
    t.diagnostic(`a: ${JSON.stringify(atA)} b: ${JSON.stringify(atB)}`);
    const atP = await p.evaluate(() => window.e2ee.decoded());
    t.diagnostic(`p (no key): ${JSON.stringify(atP)}`);
    assert.ok((atP[`a${n}`]?.audioBytes ?? 0) > 0, 'p receives what Janus forwards from a');
    assert.equal(atP[`a${n}`]?.framesDecoded ?? 0, 0, 'no frame of a decoded without the key');
    assert.equal(atP[`b${n}`]?.framesDecoded ?? 0, 0, 'no frame of b decoded without the key');
    const [ka, kb] = await Promise.all([a, b].map((x) => x.evaluate(() => window.e2ee.keys())));
    assert.equal(ka?.code, kb?.code, 'one safety code');
  });

  it('the same member decodes everyone in an SFU room without E2EE (the contrast)', async () => {
    const n = ++seq;
    const room = `plain-sfu-${n}`;
    const [a, p] = await Promise.all([member('chromium', `a${n}`), member('chromium', `p${n}`)]);
    await a.evaluate(([r]) => window.e2ee.join(r, null, 'sfu'), [room] as const);
    await p.evaluate(([r]) => window.e2ee.join(r, null), [room] as const);
    await decodes(p, [`a${n}`]);
  });
});
