// @needs chromium, firefox-esr
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BrowserSet, type TestPage } from '../../helpers/browsers.ts';
import { until } from '../../helpers/wait.ts';
import { NodePeer, type RoomSite, startRoomSite } from './node-peer-harness.ts';

// Browsers and the Node peer (the SDK on the CLI's node-datachannel stack) in one room through
// the real Parley server: media between the browsers read from getStats(), room chat and files
// with the data-only Node peer read from what each side received.
describe('interop through Parley: chromium, firefox and the Node peer', () => {
  const browsers = new BrowserSet();
  const nodes: NodePeer[] = [];
  let site: RoomSite;
  let seq = 0;

  before(async () => {
    [site] = await Promise.all([startRoomSite(), browsers.warmUp(['chromium', 'firefox'])]);
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) n.close();
    await browsers.closePages();
  });
  after(async () => {
    await browsers.close();
    await site?.close();
  });

  async function joinPage(page: TestPage, name: string, room: string, media: boolean): Promise<void> {
    await page.waitFor(() => typeof window.roomPeer === 'object', { timeoutMs: 10_000, what: 'roomPeer' });
    await page.evaluate(([url, n, r, m]) => window.roomPeer.join(url, n, r, m), [
      site.wsUrl,
      name,
      room,
      media,
    ] as const);
  }

  async function joinNode(name: string, room: string): Promise<NodePeer> {
    const node = await NodePeer.connect(site.wsUrl, name);
    nodes.push(node);
    await node.join(room);
    return node;
  }

  // Two orders: the Node peer joins last and is the impolite side with both browsers (it offers
  // data only first, then answers the browsers' media offers), or joins first and is polite (the
  // browsers' first offers to it already carry audio and video).
  for (const nodeFirst of [false, true]) {
    it(`3-party room, Node peer joins ${nodeFirst ? 'first (polite)' : 'last (impolite)'}: chromium↔firefox media both ways, room chat among all three`, async (t) => {
      const n = ++seq;
      const room = `mixed-${n}`;
      const names = {
        chromium: `c${n}-chromium`,
        firefox: `f${n}-firefox`,
        node: nodeFirst ? `a${n}-node` : `n${n}-node`,
      };
      const chromium = await browsers.openPage('chromium', site.pageUrl);
      const firefox = await browsers.openPage('firefox', site.pageUrl);
      const node = nodeFirst ? await joinNode(names.node, room) : null;
      await joinPage(chromium, names.chromium, room, true);
      await joinPage(firefox, names.firefox, room, true);
      const nodePeer = node ?? (await joinNode(names.node, room));

      // Media between the browsers, both ways, from getStats() (frames decoded, audio bytes).
      for (const [page, other] of [
        [chromium, names.firefox],
        [firefox, names.chromium],
      ] as const) {
        const r = await page.waitFor(
          async (from) => {
            const m = (await window.roomPeer.report()).find((x) => x.name === from);
            return m && m.framesDecoded >= 10 && m.audioBytes > 0 ? m : null;
          },
          { arg: other, what: `video and audio from ${other}` },
        );
        assert.equal(r.connection, 'connected');
      }
      // Every browser's connection to the Node peer is up (a data-only connection).
      for (const page of [chromium, firefox]) {
        await page.waitFor(
          async (from) =>
            (await window.roomPeer.report()).find((x) => x.name === from)?.connection === 'connected',
          { arg: names.node, what: `connected to ${names.node}` },
        );
        await page.waitFor(() => Object.values(window.roomPeer.chatStates()).every((s) => s === 'open'), {
          what: 'chat channels open',
        });
      }
      await until(
        () =>
          nodePeer.room !== null && [...nodePeer.room.peers.values()].every((p) => p.chat?.state === 'open'),
        { what: 'Node chat channels open', timeoutMs: 15_000, intervalMs: 50 },
      );
      assert.equal(nodePeer.room?.peers.size, 2);

      // Room chat: everyone sends one line, everyone receives the other two.
      assert.equal((await chromium.evaluate(() => window.roomPeer.sendChat('hi from chromium'))).length, 2);
      assert.equal((await firefox.evaluate(() => window.roomPeer.sendChat('hi from firefox'))).length, 2);
      nodePeer.room?.chat.sendText('hi from node ✓');
      const expect = {
        chromium: [`${names.firefox}: hi from firefox`, `${names.node}: hi from node ✓`],
        firefox: [`${names.chromium}: hi from chromium`, `${names.node}: hi from node ✓`],
        node: [`${names.chromium}: hi from chromium`, `${names.firefox}: hi from firefox`],
      };
      for (const [page, want] of [
        [chromium, expect.chromium],
        [firefox, expect.firefox],
      ] as const) {
        const got = await page.waitFor(() => window.roomPeer.chats().length >= 2 && window.roomPeer.chats(), {
          what: 'two chat lines',
        });
        assert.deepEqual([...got].sort(), [...want].sort(), page.label);
      }
      const got = await until(() => nodePeer.chats.length >= 2 && nodePeer.chats, {
        what: 'Node: two chat lines',
        timeoutMs: 15_000,
        intervalMs: 50,
      });
      assert.deepEqual([...got].sort(), [...expect.node].sort(), 'node');

      // The browsers kept decoding each other with the Node peer in the room.
      const frames = await chromium.evaluate(
        async (from) => (await window.roomPeer.report()).find((x) => x.name === from)?.framesDecoded ?? 0,
        names.firefox,
      );
      await chromium.waitFor(
        async ([from, base]) =>
          ((await window.roomPeer.report()).find((x) => x.name === from)?.framesDecoded ?? 0) > base + 5,
        { arg: [names.firefox, frames] as const, what: 'frames still decoded' },
      );
      assert.deepEqual(nodePeer.warnings, [], 'the SDK on the Node stack logged no warnings');
      // The Node peer has no media: its descriptions decline audio and video (`a=inactive`, see
      // withInactiveMedia in packages/cli/src/webrtc/rtc-peer-connection.ts), so no browser spends
      // CPU and bandwidth encoding media for it.
      for (const page of [chromium, firefox]) {
        const sent = await page.evaluate(
          async (to) => (await window.roomPeer.report()).find((x) => x.name === to)?.mediaBytesSent ?? 0,
          names.node,
        );
        t.diagnostic(`${page.label} sent ${sent} RTP bytes to the Node peer`);
        assert.equal(sent, 0, `${page.label} sends no media to the Node peer`);
      }
    });
  }

  it('firefox ↔ Node peer: a 3 MiB file each way, SHA-256 matching on both ends', async () => {
    const n = ++seq;
    const room = `files-${n}`;
    const names = { firefox: `f${n}-firefox`, node: `n${n}-node` };
    const firefox = await browsers.openPage('firefox', site.pageUrl);
    await joinPage(firefox, names.firefox, room, true);
    const node = await joinNode(names.node, room);
    await firefox.waitFor(() => Object.values(window.roomPeer.chatStates()).every((s) => s === 'open'), {
      what: 'data channels open',
    });
    await until(() => node.room?.peers.get(names.firefox)?.pc.connectionState === 'connected', {
      what: 'Node connected to firefox',
      timeoutMs: 15_000,
      intervalMs: 50,
    });

    const size = 3 * 1024 * 1024;
    const [fromFirefox, fromNode] = await Promise.all([
      firefox.evaluate(([to, bytes]) => window.roomPeer.sendFile(to, bytes, 11), [names.node, size] as const),
      node.sendFile(names.firefox, size, 12),
    ]);
    const gotByNode = await until(() => node.received[0], {
      what: 'Node: file received',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const [gotByFirefox] = await firefox.waitFor(
      () => window.roomPeer.receivedFiles().length > 0 && window.roomPeer.receivedFiles(),
      { timeoutMs: 30_000, what: 'firefox: file received' },
    );
    for (const [sent, got, dir] of [
      [fromFirefox, gotByNode, 'firefox→node'],
      [fromNode, gotByFirefox, 'node→firefox'],
    ] as const) {
      assert.equal(sent.state, 'completed', `${dir} sender`);
      assert.equal(got?.state, 'completed', `${dir} receiver`);
      assert.equal(got?.bytes, size, `${dir} size`);
      assert.equal(got?.pageSha256, sent.pageSha256, `${dir}: the bytes received hash to what was sent`);
      assert.equal(got?.sdkSha256, sent.pageSha256, `${dir}: receiver's SDK hash`);
      assert.equal(sent.sdkSha256, sent.pageSha256, `${dir}: sender's SDK hash`);
    }
    // getStats() on the browser side shows the bytes crossed its peer connection.
    const report = await firefox.evaluate(() => window.roomPeer.report());
    const pairBytes = report.find((m) => m.name === names.node)?.pairBytes ?? 0;
    assert.ok(pairBytes >= size, `firefox received ${pairBytes} bytes over its candidate pairs`);
  });
});
