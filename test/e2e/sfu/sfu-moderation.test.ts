// @needs chromium, janus
/**
 * A host's mute in an SFU room is enforced by the server (issue 21): Janus stops forwarding the
 * member's audio (VideoRoom `moderate`), even when the member's client keeps sending (a modified
 * client turning its track back on), and forwards it again once the member unmutes itself.
 * Real Chromium, the real Parley server, a real Janus; the member's audio measured at the host
 * by getStats (bytesReceived of its inbound audio).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { bundlePages, launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
/** How long the audio is watched for not rising: 2 s, as the issue asks. */
const QUIET_MS = 2_000;

describe('SFU moderation in Chromium (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    janus = await startJanus();
    dir = await bundlePages({ rooms: join(ROOT, 'test/e2e/sfu/room-page.ts') });
    server = await startServer({ PARLEY_WEB_DIR: dir, ...janusEnv(janus) });
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
    const context = await newMediaContext(browser, server.url);
    page = await context.newPage();
    tracePage(page, 'rooms');
    await page.goto(`${server.url}/rooms.html`);
    await page.waitForFunction(() => typeof window.ROOMS === 'object');
  });
  after(async () => {
    await page?.evaluate(() => window.ROOMS.closeAll()).catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await janus?.close();
    if (dir) removeDir(dir);
  });

  /** Bytes of `member`'s audio the host has received so far (undefined: no such stream yet). */
  async function audioBytes(member: string): Promise<number | undefined> {
    const list = await page.evaluate(([n]) => window.ROOMS.audioIn(n), ['boss'] as const);
    const mine = list.filter((x) => x.member === member);
    if (mine.length === 0) return undefined;
    return mine.reduce((sum, x) => sum + Number(x.bytesReceived ?? 0), 0);
  }

  /** Waits until `member`'s audio at the host grows by `by` bytes from where it is now. */
  async function rises(member: string, by = 1_000): Promise<number> {
    const from = await until(() => audioBytes(member), {
      what: `audio from ${member} at the host`,
      timeoutMs: 20_000,
      intervalMs: 200,
      accept: (b) => b !== undefined,
    });
    return (await until(() => audioBytes(member), {
      what: `audio from ${member} rising past ${from! + by} bytes`,
      timeoutMs: 20_000,
      intervalMs: 200,
      accept: (b) => b !== undefined && b >= from! + by,
    }))!;
  }

  it("SFU › a host's mute stops the member's audio at the SFU, even from a client that keeps sending; its own unmute lifts it", async () => {
    // The first to join hosts; an SFU room from the start.
    await page.evaluate(() => window.ROOMS.join('boss', 'modsfu', false, 'sfu'));
    await page.evaluate(() =>
      window.ROOMS.join('talker', 'modsfu', { width: 320, height: 240, audio: true }),
    );
    await rises('talker');

    await page.evaluate(() => window.ROOMS.hostMute('boss', 'talker'));
    // The talker's SDK turned its microphone off; a modified client turns it back on.
    assert.equal(await page.evaluate(() => window.ROOMS.forceAudioOn('talker')), true);
    // Packets already on their way may still land: measure from a moment later.
    await sleep(500);
    const b0 = (await audioBytes('talker'))!;
    await sleep(QUIET_MS);
    const b1 = (await audioBytes('talker'))!;
    process.stdout.write(`# muted talker: audio bytes at the host ${b0} -> ${b1} over ${QUIET_MS} ms\n`);
    assert.ok(b1 - b0 < 200, `the SFU stopped forwarding the muted member's audio (${b0} -> ${b1})`);

    await page.evaluate(() => window.ROOMS.unmuteSelf('talker'));
    const b2 = await rises('talker');
    process.stdout.write(`# unmuted talker: audio bytes at the host rose to ${b2}\n`);
  });
});
