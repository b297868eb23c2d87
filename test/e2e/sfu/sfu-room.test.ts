// @needs chromium, janus
/**
 * Large rooms end to end: real Chromium, the real Parley server and a real Janus. Six
 * participants join one room created in SFU mode (`room.join` with `mode: "sfu"`); three publish
 * a small fake camera each, three only receive (2 cores cannot hold many encoders), and every
 * participant must decode frames from every publisher but itself — proven with getStats(). Then the same
 * through the SDK's Room API: a mesh room moves its media to the SFU when the fifth joins.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { bundlePages, launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

type SfuApi = {
  join(wsUrl: string, name: string, room: string, mode?: 'mesh' | 'sfu'): Promise<string | undefined>;
  startSfu(name: string, room: string, publish: boolean): Promise<void>;
  modes(name: string): string[];
  decoded(name: string): Promise<Record<string, number>>;
  errors(name: string): string[];
  closeAll(): void;
};
declare global {
  interface Window {
    SFU: SfuApi;
  }
}

describe('SFU room in Chromium (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let roomsPage: Page | undefined;
  let dir: string;

  before(async () => {
    janus = await startJanus();
    dir = await bundlePages({
      sfu: join(ROOT, 'test/e2e/sfu/sfu-page.ts'),
      rooms: join(ROOT, 'test/e2e/sfu/room-page.ts'),
    });
    server = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
    });
    browser = await launchChromium();
    const context = await newMediaContext(browser, server.url);
    page = await context.newPage();
    tracePage(page, 'sfu');
    await page.goto(`${server.url}/sfu.html`);
    await page.waitForFunction(() => typeof window.SFU === 'object');
  });
  after(async () => {
    await page?.evaluate(() => window.SFU.closeAll()).catch(() => {});
    await roomsPage?.evaluate(() => window.ROOMS.closeAll()).catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await janus?.close();
    if (dir) removeDir(dir);
  });

  it('SFU › a room of six created in SFU mode, three publishers: every subscriber decodes every other publisher', async () => {
    const room = 'sfu-e2e';
    const names = ['p0', 'p1', 'p2', 'r3', 'r4', 'r5'];
    const publishers = ['p0', 'p1', 'p2'];
    const modes: (string | undefined)[] = [];
    for (const name of names) {
      // The first join creates the room and asks for the SFU from the start.
      const mode = name === names[0] ? 'sfu' : undefined;
      modes.push(
        await page.evaluate(([u, n, r, m]) => window.SFU.join(u, n, r, m), [
          server.wsUrl,
          name,
          room,
          mode,
        ] as const),
      );
    }
    assert.deepEqual(modes, ['sfu', 'sfu', 'sfu', 'sfu', 'sfu', 'sfu']);

    const started = Date.now();
    for (const name of names) {
      await page.evaluate(([n, r, pub]) => window.SFU.startSfu(n, r, pub), [
        name,
        room,
        publishers.includes(name),
      ] as const);
    }
    const decoded: Record<string, Record<string, number>> = {};
    for (const name of names) {
      const want = publishers.filter((p) => p !== name);
      decoded[name] = await until(() => page.evaluate((n) => window.SFU.decoded(n), name), {
        what: 'want.every((p) => (d[p] ?? 0) >= 10)',
        timeoutMs: 45_000,
        intervalMs: 200,
        accept: (d) => want.every((p) => (d[p] ?? 0) >= 10),
        explain: async () =>
          `${name}: errors ${JSON.stringify(await page.evaluate((n) => window.SFU.errors(n), name))}`,
      });
    }
    const elapsedMs = Date.now() - started;
    // Every participant received exactly the other publishers' video, no more.
    for (const name of names) {
      assert.deepEqual(
        Object.keys(decoded[name]!).sort(),
        publishers.filter((p) => p !== name),
      );
    }
    process.stdout.write(
      `# sfu e2e: all ${names.length} decoding in ${elapsedMs} ms: ${JSON.stringify(decoded)}\n`,
    );
    // Free the encoders before the next test.
    await page.evaluate(() => window.SFU.closeAll());
  });

  it('SFU › SDK Room: a mesh room moves its media to the SFU when the 5th joins (same track events), and comes back after a Janus restart', async () => {
    const p = await page.context().newPage();
    roomsPage = p;
    tracePage(p, 'rooms');
    await p.goto(`${server.url}/rooms.html`);
    await p.waitForFunction(() => typeof window.ROOMS === 'object');
    const room = 'sdk-grows';
    const names = ['a0', 'a1', 'b2', 'b3', 'b4'];
    const publishers = ['a0', 'a1'];
    const modes: string[] = [];
    for (const name of names) {
      modes.push(
        await p.evaluate(([n, r, pub]) => window.ROOMS.join(n, r, pub), [
          name,
          room,
          publishers.includes(name),
        ] as const),
      );
    }
    assert.deepEqual(modes, ['mesh', 'mesh', 'mesh', 'mesh', 'sfu']);
    const started = Date.now();
    for (const name of names) {
      await until(() => p.evaluate((n) => window.ROOMS.mode(n), name), {
        what: 'm === "sfu"',
        timeoutMs: 10_000,
        intervalMs: 200,
        accept: (m) => m === 'sfu',
      });
    }
    // Everyone now decodes every other publisher through the SFU subscriber connection, and the
    // tracks came through the Room's usual `track` event (named by peer.remoteName).
    for (const name of names) {
      const want = publishers.filter((x) => x !== name);
      const d = await until(() => p.evaluate((n) => window.ROOMS.sfuDecoded(n), name), {
        what: 'want.every((w) => (x[w] ?? 0) >= 10)',
        timeoutMs: 45_000,
        intervalMs: 200,
        accept: (x) => want.every((w) => (x[w] ?? 0) >= 10),
      });
      assert.deepEqual(Object.keys(d).sort(), want);
    }
    process.stdout.write(
      `# sdk room mesh->sfu: all decoding through the SFU ${Date.now() - started} ms after the 5th joined\n`,
    );

    // Janus restarts: the server recreates the room and says `room.mode sfu` again; every Room
    // starts fresh SFU connections, publishes again, and decoding resumes.
    await janus.restart();
    const restarted = Date.now();
    for (const name of names) {
      await until(() => p.evaluate((n) => window.ROOMS.sfuStarts(n), name), {
        what: 'n >= 2',
        timeoutMs: 20_000,
        intervalMs: 200,
        accept: (n) => n >= 2,
      });
    }
    for (const name of names) {
      const want = publishers.filter((x) => x !== name);
      await until(() => p.evaluate((n) => window.ROOMS.sfuDecoded(n), name), {
        what: 'want.every((w) => (x[w] ?? 0) >= 10)',
        timeoutMs: 45_000,
        intervalMs: 200,
        accept: (x) => want.every((w) => (x[w] ?? 0) >= 10),
      });
    }
    process.stdout.write(
      `# sdk room after a Janus restart: all decoding again in ${Date.now() - restarted} ms\n`,
    );
  });
});
