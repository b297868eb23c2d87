// @needs chromium, openssl
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  lanIPv4Addresses,
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../packages/server/src/tls/self-signed.ts';
import { launchChromium, pollPage, tracePage } from '../../helpers/browser.ts';

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>secure context</title><video muted playsinline></video>';
const servePage: RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(PAGE);
};

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** In the page: is it a secure context, and does the fake camera play in a <video>? */
async function cameraPlays(): Promise<
  { secure: boolean; width: number } | { secure: boolean; error: string }
> {
  if (!navigator.mediaDevices) return { secure: window.isSecureContext, error: 'no navigator.mediaDevices' };
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  const video = document.querySelector('video')!;
  video.srcObject = stream;
  await video.play();
  return { secure: window.isSecureContext, width: video.videoWidth };
}

// Why `--https` exists: a page opened by LAN address over plain http is not a secure context,
// so a phone gets no camera; the same page over https with our self-signed certificate is.
// This browser ignores certificate errors (like the user clicking "proceed"): in this file only.
describe('self-signed HTTPS gives a secure context (Chromium)', () => {
  let dir: string;
  let cert: SelfSignedCertificate;
  let browser: Browser;
  let page: Page | undefined;
  const servers: Server[] = [];
  const lan = lanIPv4Addresses()[0];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-https-'));
    cert = makeSelfSignedCertificate({ dir, hosts: ['localhost', '127.0.0.1', ...(lan ? [lan] : [])] });
    browser = await launchChromium(['--ignore-certificate-errors']);
  });
  afterEach(async () => {
    await page?.close();
    page = undefined;
    await Promise.all(servers.splice(0).map(stop));
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(url: string): Promise<Page> {
    page = await browser.newPage();
    tracePage(page, 'https');
    await page.goto(url);
    return page;
  }

  it('https://127.0.0.1 with the certificate: isSecureContext and the camera plays', async () => {
    const server = createHttpsServer({ cert: cert.cert, key: cert.key }, servePage);
    servers.push(server);
    const port = await listen(server, '127.0.0.1');
    const p = await open(`https://127.0.0.1:${port}/`);
    assert.equal(await p.evaluate(() => window.isSecureContext), true);
    assert.deepEqual(await p.evaluate(() => location.protocol), 'https:');
    await p.evaluate(cameraPlays);
    const width = await pollPage(p, () => document.querySelector('video')!.videoWidth, {
      what: 'video width',
    });
    assert.ok(width > 0);
  });

  it('over the LAN address: plain http has no camera, https does', async (t) => {
    if (!lan) {
      t.skip('this machine has no LAN IPv4 address');
      return;
    }
    const plain = createHttpServer(servePage);
    const secure = createHttpsServer({ cert: cert.cert, key: cert.key }, servePage);
    servers.push(plain, secure);
    const [plainPort, securePort] = await Promise.all([listen(plain, lan), listen(secure, lan)]);

    const insecure = await open(`http://${lan}:${plainPort}/`);
    assert.deepEqual(await insecure.evaluate(cameraPlays), {
      secure: false,
      error: 'no navigator.mediaDevices',
    });
    await insecure.close();

    const p = await open(`https://${lan}:${securePort}/`);
    const result = await p.evaluate(cameraPlays);
    assert.equal(result.secure, true, JSON.stringify(result));
    const width = await pollPage(p, () => document.querySelector('video')!.videoWidth, {
      what: 'video width',
    });
    assert.ok(width > 0);
  });
});
