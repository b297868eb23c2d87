// @needs chromium, openssl
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeSelfSignedCertificate } from '../../../packages/server/src/tls/self-signed.ts';
import { launchChromium, newMediaContext, pollPage, removeDir } from '../../helpers/browser.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { buildSdkPages, freePort, openPage } from '../sdk/harness.ts';

// Parley itself serving HTTPS and WSS with a self-signed certificate (what `npm start -- --https`
// and PARLEY_TLS_CERT/KEY do): the SDK page loads from Parley over https, is a secure context,
// signals over wss://, and a call between two pages decodes video and audio (getStats()).
// This browser ignores certificate errors (the user's one "proceed" click): in this file only.
describe('Parley over HTTPS/WSS with a self-signed certificate (Chromium)', () => {
  let certDir: string;
  let pagesDir: string;
  let server: ParleyServer;
  let browser: Browser;
  let context: BrowserContext;
  const pages: Page[] = [];

  before(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'parley-https-'));
    const cert = makeSelfSignedCertificate({ dir: certDir, hosts: ['localhost', '127.0.0.1'] });
    pagesDir = await buildSdkPages();
    const port = await freePort();
    server = await startServer(
      {
        PARLEY_WEB_DIR: pagesDir,
        PARLEY_PORT: String(port),
        // The page's own origin is the only one allowed: the browser's real Origin header passes.
        PARLEY_ALLOWED_ORIGINS: `https://127.0.0.1:${port}`,
      },
      { tls: cert },
    );
    browser = await launchChromium(['--ignore-certificate-errors']);
    context = await newMediaContext(browser, server.url);
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.close().catch(() => {})));
    await browser?.close().catch(() => {});
    await stopAllServers();
    if (pagesDir) removeDir(pagesDir);
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('serves https and wss: secure context, signaling over wss, a call decodes media both ways', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.wsUrl, /^wss:\/\//);
    const [a, b] = await Promise.all(
      ['alice', 'bob'].map((n) => openPage(context, `${server.url}/sdk.html`, n)),
    );
    pages.push(a as Page, b as Page);
    for (const [p, name] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as [Page, string][]) {
      assert.equal(await p.evaluate(() => location.protocol), 'https:');
      assert.equal(await p.evaluate(() => window.isSecureContext), true);
      assert.match(await p.evaluate(() => window.T.wsUrl()), /^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
      assert.equal(await p.evaluate((n) => window.T.connect(n), name), 'open');
    }
    assert.equal((await server.health()).sessions, 2);

    assert.equal(await a!.evaluate(() => window.T.callPeer('bob')), 'ringing');
    for (const p of [a!, b!]) {
      await pollPage(p, () => window.T.call?.state === 'connected', { what: 'call connected' });
    }
    for (const [p, who] of [
      [a!, 'alice'],
      [b!, 'bob'],
    ] as const) {
      const flow = await p.evaluate(() => window.T.flowing());
      assert.ok(flow.frames > 2, `${who} decodes video over the call (${flow.frames} frames/s)`);
      assert.ok(flow.audioBytes > 0, `${who} receives audio`);
    }
  });
});
