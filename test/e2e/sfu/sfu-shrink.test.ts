// @needs chromium, janus
/**
 * A room that shrinks back to mesh with members who joined while it was an SFU room: real
 * Chromium, the real Parley server, a real Janus. Their peer connections were set up for data
 * only (in SFU mode no media goes peer to peer), so the shrink is the first time media is
 * negotiated on them. The server here moves a room to the SFU past 4 members and back once under
 * 4 for 1 s (PARLEY_SFU_SHRINK_DELAY_S=1).
 *
 * Layout, as in the web app's report: `mid` publishes, four receive-only members make the room
 * an SFU room, then two members join during SFU mode and publish: `amy` (sorts first: polite
 * towards everyone) and `zed` (sorts last: impolite towards everyone), so both roles of a late
 * joiner are covered, and `amy`–`zed` is a connection where both sides joined late. The four
 * leave; every pair of the remaining three must decode the other's video over its PeerSession's
 * connection, both ways.
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

describe('SFU shrink to mesh with late joiners (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    janus = await startJanus();
    dir = await bundlePages({ shrink: join(ROOT, 'test/e2e/sfu/shrink-page.ts') });
    server = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
      PARLEY_SFU_THRESHOLD: '4',
      PARLEY_SFU_SHRINK_DELAY_S: '1',
    });
    browser = await launchChromium();
    const context = await newMediaContext(browser, server.url);
    page = await context.newPage();
    tracePage(page, 'shrink');
    await page.goto(`${server.url}/shrink.html`);
    await page.waitForFunction(() => typeof window.SHRINK === 'object');
  });
  after(async () => {
    await page?.evaluate(() => window.SHRINK.closeAll()).catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await janus?.close();
    if (dir) removeDir(dir);
  });

  const modes = (name: string) => page.evaluate(([n]) => window.SHRINK.modes(n), [name] as const);
  const decoded = (name: string) => page.evaluate(([n]) => window.SHRINK.meshDecoded(n), [name] as const);
  /** Peer session states and the negotiation logs of `names`, for a failure message. */
  async function explain(names: readonly string[]): Promise<string> {
    const out: string[] = [];
    for (const n of names) {
      const peers = await page.evaluate(([x]) => window.SHRINK.peers(x), [n] as const);
      const logs = await page.evaluate(([x]) => window.SHRINK.logs(x), [n] as const);
      out.push(`--- ${n} peers ${JSON.stringify(peers)}\n${logs.slice(-60).join('\n')}`);
    }
    return out.join('\n');
  }

  it('SFU › members who joined during SFU mode get media peer to peer after the room shrinks, both ways', async () => {
    const room = 'shrink-late';
    const early: [string, 'av' | false][] = [
      ['mid', 'av'],
      ['r1', false],
      ['r2', false],
      ['r3', false],
      ['r4', false],
    ];
    const joined: string[] = [];
    for (const [name, publish] of early)
      joined.push(
        await page.evaluate(([n, r, p]) => window.SHRINK.join(n, r, p), [name, room, publish] as const),
      );
    assert.deepEqual(joined, ['mesh', 'mesh', 'mesh', 'mesh', 'sfu']);
    for (const [name] of early)
      await until(() => modes(name), {
        what: 'm.at(-1) === "sfu"',
        timeoutMs: 10_000,
        intervalMs: 200,
        accept: (m) => m.at(-1) === 'sfu',
      });

    // Two members join while the room is an SFU room, and publish.
    for (const name of ['amy', 'zed']) {
      const mode = await page.evaluate(([n, r]) => window.SHRINK.join(n, r, 'video'), [name, room] as const);
      assert.equal(mode, 'sfu', `${name} joined in sfu mode`);
    }
    // Their peer connections with everyone carry data only while the room is an SFU room: wait
    // until they are up (connected) before the shrink.
    for (const name of ['mid', 'amy', 'zed'])
      await until(() => page.evaluate(([n]) => window.SHRINK.peers(n), [name] as const), {
        what: 'Object.values(p).length === 6 && Object.values(p).every((s) => s.startsWith("connected"))',
        timeoutMs: 15_000,
        intervalMs: 200,
        accept: (p) =>
          Object.values(p).length === 6 && Object.values(p).every((s) => s.startsWith('connected')),
      });

    // The four leave: under the threshold, and 1 s later the server says room.mode mesh.
    const remaining = ['mid', 'amy', 'zed'] as const;
    const t0 = Date.now();
    await page.evaluate(() => Promise.all(['r1', 'r2', 'r3', 'r4'].map((n) => window.SHRINK.leave(n))));
    for (const name of remaining)
      await until(() => modes(name), {
        what: 'm.at(-1) === "mesh"',
        timeoutMs: 15_000,
        intervalMs: 200,
        accept: (m) => m.at(-1) === 'mesh',
      });
    const meshMs = Date.now() - t0;

    // Every remaining pair decodes the other's video on its peer connection, both ways, and the
    // count goes on increasing.
    const t1 = Date.now();
    const firstFrames: Record<string, number> = {};
    const pending = new Set<string>();
    for (const to of remaining) for (const from of remaining) if (to !== from) pending.add(`${from}->${to}`);
    const deadline = t1 + 20_000;
    while (pending.size > 0) {
      for (const to of remaining) {
        const d = await decoded(to);
        for (const from of remaining) {
          const key = `${from}->${to}`;
          if (pending.has(key) && (d[from] ?? 0) >= 10) {
            pending.delete(key);
            firstFrames[key] = Date.now() - t1;
          }
        }
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline)
        assert.fail(`no mesh frames for ${[...pending].join(', ')} after 20 s\n${await explain(remaining)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const mediaMs = Date.now() - t1;
    // Still flowing a moment later.
    const before: Record<string, Record<string, number>> = {};
    for (const to of remaining) before[to] = await decoded(to);
    await until(
      async () => {
        const now: Record<string, Record<string, number>> = {};
        for (const to of remaining) now[to] = await decoded(to);
        return now;
      },
      {
        what: 'media still flowing to everyone left',
        timeoutMs: 10_000,
        intervalMs: 200,
        accept: (now) =>
          remaining.every((to) =>
            remaining.every(
              (from) => from === to || (now[to]?.[from] ?? 0) >= (before[to]?.[from] ?? 0) + 10,
            ),
          ),
      },
    );
    // No peer session failed on the way, and no negotiation had to be recovered.
    for (const name of remaining) {
      const logs = await page.evaluate(([n]) => window.SHRINK.logs(n), [name] as const);
      const warned = logs.filter((l) => / warn parley:peer /.test(l));
      assert.deepEqual(warned, [], `${name}: negotiation warnings\n${warned.join('\n')}`);
      const peers = await page.evaluate(([n]) => window.SHRINK.peers(n), [name] as const);
      for (const [other, s] of Object.entries(peers))
        assert.ok(s.startsWith('connected') && s.includes(' stable '), `${name}→${other}: ${s}`);
    }
    process.stdout.write(
      `# sfu shrink with late joiners: room.mode mesh ${meshMs} ms after four left (delay 1 s); mesh frames (>=10) decoded ${mediaMs} ms later, per direction ms after mesh: ${JSON.stringify(firstFrames)}\n`,
    );
  });
});
