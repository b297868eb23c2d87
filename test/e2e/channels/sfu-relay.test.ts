// @needs chromium, janus
/**
 * Room channels in SFU rooms (issue 24, large rooms): real Chromium, the real Parley server and a
 * real Janus. Four receive-only members in one page share a reliable and a lossy room channel.
 * The server moves the room to the SFU past 3 members and back under 3 after 1 s
 * (PARLEY_SFU_THRESHOLD=3, PARLEY_SFU_SHRINK_DELAY_S=1).
 *
 * The Node peer (`NodeChannelPeer`, the CLI's stack) joins in SFU mode, receives and sends too.
 *
 * Proven: in mesh the messages go over the peer-to-peer data channels (getStats `data-channel`
 * `messagesSent` grows); in SFU mode they reach every member through the server (the data channels'
 * count stays put), reliable ones all and in order, lossy ones nearly all on an idle link; a stream
 * sent while the room moves to the SFU arrives exactly once (no duplicates, none missing); and
 * after the room shrinks back to mesh the channel goes peer to peer again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { bundlePages, launchChromium, removeDir, tracePage } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { NodeChannelPeer } from './harness.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

/** The `n` of a message as the page sent it (JSON `{n}`, `s<n>`, or `bin:1024:<n % 256>`). */
function numberOf(value: unknown): number | string {
  if (typeof value === 'object' && value !== null && 'n' in value) return (value as { n: number }).n;
  if (typeof value === 'string' && value.startsWith('s')) return Number(value.slice(1));
  return String(value);
}

describe('room channels in an SFU room (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const nodes: NodeChannelPeer[] = [];

  before(async () => {
    janus = await startJanus();
    dir = await bundlePages({ relay: join(ROOT, 'test/e2e/channels/sfu-relay-page.ts') });
    server = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
      PARLEY_SFU_THRESHOLD: '3',
      PARLEY_SFU_SHRINK_DELAY_S: '1',
    });
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    tracePage(page, 'relay');
    await page.goto(`${server.url}/relay.html`);
    await page.waitForFunction(() => typeof window.RELAY === 'object');
  });
  after(async () => {
    await page?.evaluate(() => window.RELAY.closeAll()).catch(() => {});
    for (const n of nodes) n.close();
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await janus?.close();
    if (dir) removeDir(dir);
  });

  const got = (name: string, label: string) =>
    page.evaluate(([n, l]) => window.RELAY.got(n, l), [name, label] as const);
  const dcSent = (name: string, label: string) =>
    page.evaluate(([n, l]) => window.RELAY.dcSent(n, l), [name, label] as const);
  const send = (name: string, label: string, start: number, count: number, gapMs = 0) =>
    page.evaluate(([n, l, s, c, g]) => window.RELAY.send(n, l, s, c, g), [
      name,
      label,
      start,
      count,
      gapMs,
    ] as const);
  /** How many messages `name` got on `label` so far (a mark for {@link since}). */
  const mark = async (name: string, label: string) => (await got(name, label)).length;
  /** What `name` got on `label` from `from` after `at` (a mark), as numbers (binary as `bin:…`). */
  async function since(name: string, label: string, from: string, at: number): Promise<(number | string)[]> {
    return (await got(name, label))
      .slice(at)
      .filter((g) => g.from === from)
      .map((g) => numberOf(g.value));
  }
  /** Waits until `name` got `count` messages on `label` from `from` after the mark `at`. */
  async function receivedAll(name: string, label: string, from: string, at: number, count: number) {
    return until(() => since(name, label, from, at), {
      what: `${name} got ${count} from ${from} on ${label}`,
      timeoutMs: 30_000,
      intervalMs: 200,
      accept: (ns) => ns.length >= count,
      explain: () => page.evaluate(() => ['a', 'b', 'c', 'd'].map((n) => window.RELAY.errors(n))),
    });
  }
  /** Marks of `label` for every member named. */
  async function marks(names: readonly string[], label: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const n of names) out[n] = await mark(n, label);
    return out;
  }
  const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);
  /** What a binary message numbered `n` reads as on the receiving side. */
  const expected = (start: number, count: number) =>
    range(start, count).map((n) => (n % 5 === 0 ? `bin:1024:${n % 256}` : n));

  it('reaches every member through the server in SFU mode, survives the move to SFU and back to mesh', async () => {
    const room = 'relay-room';
    for (const name of ['a', 'b', 'c'])
      assert.equal(await page.evaluate(([n, r]) => window.RELAY.join(n, r), [name, room] as const), 'mesh');
    for (const name of ['a', 'b', 'c'])
      await until(() => page.evaluate(([n]) => window.RELAY.peersOpen(n, 'rel'), [name] as const), {
        what: `${name}'s rel open to the two others`,
        timeoutMs: 15_000,
        intervalMs: 200,
        accept: (p) => p.length === 2,
      });

    // Mesh: peer to peer.
    const dc0 = await dcSent('a', 'rel');
    let m = await marks(['b', 'c'], 'rel');
    await send('a', 'rel', 0, 50);
    for (const r of ['b', 'c'])
      assert.deepEqual(await receivedAll(r, 'rel', 'a', m[r]!, 50), expected(0, 50));
    assert.ok((await dcSent('a', 'rel')) - dc0 >= 100, 'mesh messages went over the data channels');

    // A stream while the room moves to the SFU (d joins, the 4th member): each message exactly once.
    m = await marks(['b', 'c'], 'rel');
    const streaming = send('a', 'rel', 1000, 300, 3);
    assert.equal(await page.evaluate(([r]) => window.RELAY.join('d', r), [room] as const), 'sfu');
    await streaming;
    for (const name of ['a', 'b', 'c'])
      await until(() => page.evaluate(([n]) => window.RELAY.mode(n), [name] as const), {
        what: `${name} in sfu mode`,
        timeoutMs: 10_000,
        accept: (m) => m === 'sfu',
      });
    let reordered = 0;
    for (const r of ['b', 'c']) {
      const ns = await receivedAll(r, 'rel', 'a', m[r]!, 300);
      const numeric = ns.filter((n): n is number => typeof n === 'number');
      // Binary ones are checked by count: 60 of the 300.
      const binaries = ns.filter((n) => typeof n === 'string').length;
      assert.equal(numeric.length + binaries, 300, `${r}: exactly 300, no duplicates`);
      assert.deepEqual(
        [...new Set(numeric)].sort((x, y) => x - y),
        range(1000, 300).filter((n) => n % 5 !== 0),
      );
      for (let i = 1; i < numeric.length; i++) if (numeric[i]! < numeric[i - 1]!) reordered++;
    }
    console.log(JSON.stringify({ switchStream: 300, reorderedAtSwitch: reordered }));

    // The Node peer (the CLI's stack) joins the SFU room too.
    const node = await NodeChannelPeer.connect(server.wsUrl, 'n');
    nodes.push(node);
    assert.equal((await node.join(room)).mode, 'sfu');
    const nodeGot: { from: string; value: unknown }[] = [];
    node.open('rel').on('message', (data, from) => {
      const value = data instanceof ArrayBuffer ? `bin:${data.byteLength}:${new Uint8Array(data)[0]}` : data;
      nodeGot.push({ from, value });
    });

    // SFU mode: through the server to every other member, in order; the data channels stay quiet.
    const dc1 = await dcSent('a', 'rel');
    m = await marks(['a', 'b', 'c', 'd'], 'rel');
    await send('a', 'rel', 2000, 500);
    await send('b', 'rel', 3000, 100);
    for (const r of ['b', 'c', 'd'])
      assert.deepEqual(await receivedAll(r, 'rel', 'a', m[r]!, 500), expected(2000, 500));
    for (const r of ['a', 'c', 'd'])
      assert.deepEqual(await receivedAll(r, 'rel', 'b', m[r]!, 100), expected(3000, 100));
    const fromA = () => nodeGot.filter((g) => g.from === 'a').map((g) => numberOf(g.value));
    await until(() => fromA().length >= 500, { what: 'the Node peer got 500 from a', timeoutMs: 30_000 });
    assert.deepEqual(fromA(), expected(2000, 500));
    const nodeChannel = node.room!.channel('rel');
    m = await marks(['a', 'b'], 'rel');
    for (let i = 0; i < 100; i++) await nodeChannel.send({ n: 6000 + i });
    for (const r of ['a', 'b'])
      assert.deepEqual(await receivedAll(r, 'rel', 'n', m[r]!, 100), range(6000, 100));
    assert.deepEqual(node.errors, []);
    // A few handshake messages to the newcomer may still go peer to peer; 500 app messages do not.
    assert.ok((await dcSent('a', 'rel')) - dc1 < 20, 'SFU messages did not go over the data channels');

    // Lossy, paced: nearly all arrive on an idle link.
    await send('a', 'lossy', 4000, 100, 10);
    for (const r of ['b', 'c', 'd']) {
      const ns = await until(() => since(r, 'lossy', 'a', 0), {
        what: `${r} got most lossy messages`,
        timeoutMs: 10_000,
        intervalMs: 200,
        accept: (x) => x.length >= 90,
      });
      assert.ok(ns.length <= 100, 'no duplicates');
    }
    for (const name of ['a', 'b', 'c', 'd'])
      assert.deepEqual(await page.evaluate(([n]) => window.RELAY.errors(n), [name] as const), []);

    // Back to mesh: c and d leave; 1 s under the threshold and the room is mesh again.
    await node.room!.leave();
    node.close();
    await page.evaluate(() => Promise.all([window.RELAY.leave('c'), window.RELAY.leave('d')]));
    for (const name of ['a', 'b'])
      await until(() => page.evaluate(([n]) => window.RELAY.mode(n), [name] as const), {
        what: `${name} back in mesh mode`,
        timeoutMs: 15_000,
        intervalMs: 200,
        accept: (m) => m === 'mesh',
      });
    const dc2 = await dcSent('a', 'rel');
    m = await marks(['b'], 'rel');
    await send('a', 'rel', 5000, 100);
    assert.deepEqual(await receivedAll('b', 'rel', 'a', m.b!, 100), expected(5000, 100));
    assert.ok((await dcSent('a', 'rel')) - dc2 >= 100, 'mesh again: over the data channel');
  });
});
