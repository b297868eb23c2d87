// @needs chromium
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, removeDir, type StaticServer, serveStatic, writePage } from '../helpers/browser.ts';

// Proves the browser harness itself: Chromium launches, fake media flows over a loopback
// RTCPeerConnection pair in one page, and getStats() shows decoded frames.
describe('browser harness', () => {
  let browser: Browser;
  let server: StaticServer;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-smoke-'));
    writePage(dir, 'index.html', '<!doctype html><title>smoke</title>');
    server = await serveStatic(dir);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    removeDir(dir);
  });

  it('decodes fake camera frames over a loopback peer connection', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/index.html`);
    const frames = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.onicecandidate = (e) => void b.addIceCandidate(e.candidate);
      b.onicecandidate = (e) => void a.addIceCandidate(e.candidate);
      for (const t of stream.getTracks()) a.addTrack(t, stream);
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const stats = await b.getStats();
        for (const s of stats.values()) {
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 5)
            return s.framesDecoded as number;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return 0;
    });
    assert.ok(frames > 5, `frames decoded: ${frames}`);
  });
});
