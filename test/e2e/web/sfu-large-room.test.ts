// @needs chromium, janus
/**
 * Large rooms in the web app, end to end: real Chromium, the real Parley server and a real
 * Janus. One person uses the web app (fake camera and microphone, publishing); the others join
 * the same room as SDK clients from a second page (a few publish a small camera, the rest only
 * receive: two cores cannot encode ten cameras).
 *
 * - Ten people: the room moves to the SFU when the fifth joins and the web app says so; it shows
 *   nine remote tiles and the person's own (by accessible name), its tiles of the two publishers
 *   decode and render frames (getStats of the SFU subscriber for the tiles' own tracks, and the
 *   video elements), and every SDK member decodes the web app person's video. A member sending a
 *   tone is labelled as speaking and kept in view. On a small window the grid pages: a publisher
 *   on another page is paused at the SFU (the tile's visibility reached `room.setVideoView`) and
 *   resumes when shown. On a phone the ten tiles fit in two columns.
 * - A small room stays peer to peer; a room that grew and shrank again says so and goes on
 *   peer to peer; a screen shared through the SFU takes the stage and leaves it when stopped;
 *   the home screen's Large room option (a `?large` link) makes an SFU room from
 *   the start; Janus restarting is said and the video comes back.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { bundlePages, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { buildWeb, launchForWeb, openPerson, type Person, screenshot } from '../../helpers/web.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

type MembersApi = {
  join(
    name: string,
    room: string,
    publish: boolean | 'talker',
    watch: string,
    everyone: string[],
  ): Promise<string>;
  leave(name: string): Promise<void>;
  shareScreen(name: string): Promise<void>;
  stopScreenShare(name: string): Promise<void>;
  describe(name: string): unknown;
  mode(name: string): string | undefined;
  decoded(name: string): Promise<Record<string, number>>;
  closeAll(): void;
};
type FeedLayer = { substream: number; paused: boolean };
type AppRoom = {
  mode: string;
  sfu?: { subscriber?: RTCPeerConnection; layerOf(name: string): FeedLayer | undefined };
};
declare global {
  interface Window {
    MEMBERS: MembersApi;
    parley: {
      room: AppRoom | null;
      client: { roomLimits?: unknown } | null;
      links: { peer: { pc: RTCPeerConnection } }[];
    };
  }
}

/**
 * Per remote tile of the web app: frames decoded for the tile's own video track (getStats of the
 * SFU subscriber connection and of the peer connections), frames its video element rendered,
 * and the element's video width.
 */
type TileFrames = Record<string, { decoded: number; rendered: number; width: number }>;

function tileFrames(page: Page): Promise<TileFrames> {
  return page.evaluate(async () => {
    const pcs = [window.parley.room?.sfu?.subscriber, ...window.parley.links.map((l) => l.peer.pc)];
    const decodedByTrack = new Map<string, number>();
    for (const pc of pcs) {
      if (!pc || pc.connectionState === 'closed') continue;
      for (const s of (await pc.getStats()).values())
        if (s.type === 'inbound-rtp' && s.kind === 'video')
          decodedByTrack.set(s.trackIdentifier, s.framesDecoded ?? 0);
    }
    const out: TileFrames = {};
    for (const fig of document.querySelectorAll<HTMLElement>('div.tile[data-peer]:not(.self):not(.screen)')) {
      const video = fig.querySelector('video')!;
      const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      out[fig.dataset.peer!] = {
        decoded: track ? (decodedByTrack.get(track.id) ?? 0) : 0,
        rendered: video.getVideoPlaybackQuality().totalVideoFrames,
        width: video.videoWidth,
      };
    }
    return out;
  });
}

/** Frames decoded for the web app's screen-share tile of `name` (0 when there is none). */
function screenFrames(page: Page, name: string): Promise<number> {
  return page.evaluate(async (n) => {
    const fig = document.querySelector<HTMLElement>(`div.tile.screen[data-peer="${n}"]`);
    const track = (fig?.querySelector('video')?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    const pc = window.parley.room?.sfu?.subscriber;
    if (!track || !pc) return 0;
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp' && s.trackIdentifier === track.id) return s.framesDecoded ?? 0;
    return 0;
  }, name);
}

function layerOf(page: Page, name: string): Promise<FeedLayer | null> {
  return page.evaluate((n) => window.parley.room?.sfu?.layerOf(n) ?? null, name);
}

describe('web app › large rooms (SFU, real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let members: Page;
  let dir: string;
  const people: Person[] = [];

  before(async () => {
    janus = await startJanus();
    // The built app plus the SDK members' page, served by the same Parley server.
    dir = mkdtempSync(join(tmpdir(), 'parley-web-sfu-'));
    cpSync(await buildWeb(), dir, { recursive: true });
    await bundlePages({ members: join(ROOT, 'test/e2e/web/sfu-members-page.ts') }, dir);
    server = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
      // A room that shrank goes back to peer to peer after a second (default 15 s).
      PARLEY_SFU_SHRINK_DELAY_S: '1',
    });
    browser = await launchForWeb();
    const context = await newMediaContext(browser, server.url);
    members = await context.newPage();
    tracePage(members, 'members');
    await members.goto(`${server.url}/members.html`);
    await members.waitForFunction(() => typeof window.MEMBERS === 'object');
  });
  afterEach(async () => {
    await members?.evaluate(() => window.MEMBERS.closeAll()).catch(() => {});
    for (const p of people.splice(0)) await p.context.close();
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await stopAllServers();
    await janus?.close();
    if (dir) removeDir(dir);
  });

  it('ten people: the move to the SFU is said, nine remote tiles and self, everyone decodes, a tile on another page is paused', async () => {
    const room = 'town-hall';
    const host = await openPerson(browser, server.url, 'host', { path: `/#/room/${room}` });
    people.push(host);
    const stage = host.page.getByRole('region', { name: 'Stage' });
    const participants = host.page.getByRole('region', { name: 'Participants' });
    await stage.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    assert.equal(await host.page.evaluate(() => window.parley.room?.mode), 'mesh');

    // Receive-only members first: the mesh phase (host + 3) stays light; the fifth moves the
    // room to the SFU; the two publishers join it there, and three more receive-only members
    // after them (they learn who publishes from the `sfu.feeds` a newcomer gets on joining).
    const names = ['recv1', 'recv2', 'recv3', 'recv4', 'pub8', 'pub9', 'recv5', 'recv6', 'recv7'];
    const publishers = ['pub8', 'pub9'];
    const everyone = ['host', ...names];
    const started = Date.now();
    const modes: string[] = [];
    for (const name of names) {
      modes.push(
        await members.evaluate(([n, r, pub, all]) => window.MEMBERS.join(n, r, pub, 'host', all), [
          name,
          room,
          name === 'pub9' ? 'talker' : publishers.includes(name),
          everyone,
        ] as const),
      );
      if (name === 'recv4') {
        // The web app says so, politely, above the stage.
        await stage
          .getByRole('status')
          .filter({ hasText: 'Large room: video now goes through the server — a short freeze is normal.' })
          .waitFor({ timeout: 20_000 });
      }
    }
    assert.deepEqual(modes, ['mesh', 'mesh', 'mesh', 'sfu', 'sfu', 'sfu', 'sfu', 'sfu', 'sfu']);
    assert.equal(await host.page.evaluate(() => window.parley.room?.mode), 'sfu');
    await host.page.getByRole('banner').getByText('Large room', { exact: true }).waitFor();
    await host.page
      .getByRole('log', { name: 'Chat messages' })
      .getByText('Large room: video now goes through the server', { exact: false })
      .waitFor();

    // pub9 sends a steady tone: it becomes the active speaker, highlighted, and its tile's
    // accessible description says so.
    await until(
      () =>
        participants
          .getByRole('group', { name: 'pub9' })
          .evaluate((el) => [
            el.classList.contains('active-speaker'),
            document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent,
          ]),
      {
        what: 'pub9 is the active speaker',
        timeoutMs: 20_000,
        intervalMs: 250,
        accept: ([highlighted, description]) => highlighted === true && description === 'speaking',
      },
    );

    // Nine remote tiles and the person's own, by their accessible names.
    await participants.getByRole('group', { name: 'host (you)' }).waitFor();
    for (const name of names) await participants.getByRole('group', { name }).waitFor({ timeout: 20_000 });
    assert.equal(await participants.getByRole('group').count(), 10);

    // The web app's tiles of the two publishers decode and render frames (through the SFU).
    const frames = await until(() => tileFrames(host.page), {
      what: 'the web app decodes both publishers',
      timeoutMs: 45_000,
      intervalMs: 250,
      accept: (f) =>
        publishers.every((p) => (f[p]?.decoded ?? 0) >= 10 && (f[p]?.rendered ?? 0) > 0 && f[p]!.width > 0),
    });
    // Every SDK member decodes the web app person's video.
    const decodedHost: Record<string, number> = {};
    for (const name of names) {
      const d = await until(() => members.evaluate((n) => window.MEMBERS.decoded(n), name), {
        what: `${name} decodes host`,
        timeoutMs: 45_000,
        intervalMs: 250,
        accept: (x) => (x.host ?? 0) >= 10,
        explain: () => members.evaluate((n) => window.MEMBERS.describe(n), name),
      });
      decodedHost[name] = d.host!;
    }
    process.stdout.write(
      `# web sfu: 10 people decoding ${Date.now() - started} ms after the first member joined; web app tiles ${JSON.stringify(frames)}; members decoding host ${JSON.stringify(decodedHost)}\n`,
    );
    await screenshot(host.page, 'sfu-room-10');

    // The connection panel: the room's mode and the SFU figures, not per-person connections.
    await host.page.getByRole('button', { name: 'Connection details' }).click();
    const roomMedia = host.page.getByRole('region', { name: 'Room media' });
    await roomMedia.getByText('Through the server (SFU)').waitFor();
    await roomMedia
      .getByRole('list', { name: 'Video received' })
      .getByText('pub8')
      .waitFor({ timeout: 10_000 });
    await roomMedia
      .getByText(/bit\/s$/)
      .first()
      .waitFor({ timeout: 10_000 });
    await screenshot(host.page, 'sfu-stats-panel');

    // A small window: not every tile fits, the grid pages, and publishers on another page are
    // paused at the SFU (their tiles' visibility reached room.setVideoView); paging to them shows
    // them, and they play again.
    await host.page.setViewportSize({ width: 640, height: 480 });
    const pager = host.page.getByRole('navigation', { name: 'Participant pages' });
    await pager.waitFor({ timeout: 10_000 });
    const offPage = () =>
      host.page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('div.tile.off-page')].map((f) => f.dataset.peer!),
      );
    const next = pager.getByRole('button', { name: 'Next page of participants' });
    const previous = pager.getByRole('button', { name: 'Previous page of participants' });
    // The publishers' tiles come early, on the first page: the last page leaves them out.
    // The active speaker is kept on the page shown, whatever their place in the order.
    assert.ok(!(await offPage()).includes('pub9'), 'the active speaker is on the first page');
    let hidden = (await offPage()).filter((p) => publishers.includes(p));
    let toShow = next;
    let toHide = previous;
    if (hidden.length === 0) {
      while (await next.isEnabled()) await next.click();
      hidden = (await offPage()).filter((p) => publishers.includes(p));
      toShow = previous;
      toHide = next;
    }
    assert.ok(hidden.length > 0, 'a publisher is on another page');
    for (const p of hidden)
      await until(() => layerOf(host.page, p), {
        what: `${p} paused while off page`,
        timeoutMs: 10_000,
        intervalMs: 250,
        accept: (l) => l?.paused === true,
      });
    await screenshot(host.page, 'sfu-room-paged');
    while (await toShow.isEnabled()) await toShow.click();
    for (const p of hidden) {
      await participants.getByRole('group', { name: p }).waitFor();
      await until(() => layerOf(host.page, p), {
        what: `${p} resumed once shown`,
        timeoutMs: 10_000,
        intervalMs: 250,
        accept: (l) => l?.paused === false,
      });
    }
    const resumedFrom = await tileFrames(host.page);
    await until(() => tileFrames(host.page), {
      what: 'the publishers shown again decode again',
      timeoutMs: 20_000,
      intervalMs: 250,
      accept: (f) => hidden.every((p) => (f[p]?.decoded ?? 0) >= resumedFrom[p]!.decoded + 10),
    });
    // Back to the other page: they are paused again.
    while (await toHide.isEnabled()) await toHide.click();
    for (const p of hidden)
      await until(() => layerOf(host.page, p), {
        what: `${p} paused again`,
        timeoutMs: 10_000,
        intervalMs: 250,
        accept: (l) => l?.paused === true,
      });

    // A phone: ten 16:9 tiles in two columns fit without paging; the controls stay in reach.
    await host.page.setViewportSize({ width: 390, height: 844 });
    await pager.waitFor({ state: 'hidden' });
    for (const name of ['host (you)', ...names]) await participants.getByRole('group', { name }).waitFor();
    await screenshot(host.page, 'sfu-room-phone');
  });

  it('a small room stays peer to peer: the web app decodes both others over the peer connections', async () => {
    const room = 'small-talk';
    const host = await openPerson(browser, server.url, 'anna', { path: `/#/room/${room}` });
    people.push(host);
    await host.page.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    for (const name of ['ben', 'cleo'])
      assert.equal(
        await members.evaluate(([n, r]) => window.MEMBERS.join(n, r, true, 'anna', ['anna', 'ben', 'cleo']), [
          name,
          room,
        ] as const),
        'mesh',
      );
    await until(() => tileFrames(host.page), {
      what: 'the web app decodes ben and cleo',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (f) => (f.ben?.decoded ?? 0) >= 10 && (f.cleo?.decoded ?? 0) >= 10,
    });
    assert.equal(await host.page.evaluate(() => window.parley.room?.sfu), undefined);
    // The server said its figures in `welcome`: the default member cap, and (with Janus) the size
    // past which a room moves to the SFU; room data's rates (issue 24) at their defaults.
    assert.deepEqual(await host.page.evaluate(() => window.parley.client?.roomLimits), {
      maxMembers: 50,
      sfuThreshold: 4,
      data: { perS: 200, burst: 400, bytesPerS: 1048576, bytesBurst: 2097152 },
    });
    await host.page.getByRole('button', { name: 'Connection details' }).click();
    await host.page.getByRole('region', { name: 'Room media' }).getByText('Peer to peer').waitFor();
    await host.page.getByRole('region', { name: 'Connection to ben' }).waitFor();
    assert.equal(await host.page.getByText('Large room', { exact: true }).isVisible(), false);
  });

  it('a room that grew into the SFU and shrank again says so, and video goes peer to peer again', async () => {
    const room = 'ebb-and-flow';
    const host = await openPerson(browser, server.url, 'dana', { path: `/#/room/${room}` });
    people.push(host);
    const stage = host.page.getByRole('region', { name: 'Stage' });
    await stage.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    const everyone = ['dana', 'eve', 'finn', 'gus', 'hal'];
    // eve publishes; finn, gus and hal only receive; hal is the fifth and moves the room.
    for (const [name, publish] of [
      ['eve', true],
      ['finn', false],
      ['gus', false],
      ['hal', false],
    ] as const)
      await members.evaluate(([n, r, pub, all]) => window.MEMBERS.join(n, r, pub, 'dana', all), [
        name,
        room,
        publish,
        everyone,
      ] as const);
    await stage
      .getByRole('status')
      .filter({ hasText: 'Large room: video now goes through the server' })
      .waitFor({ timeout: 20_000 });
    await until(() => tileFrames(host.page), {
      what: 'the web app decodes eve through the SFU',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (f) => (f.eve?.decoded ?? 0) >= 10,
    });
    // Two leave: below the threshold, and after the shrink delay (1 s here) the room is a mesh.
    await members.evaluate(() => Promise.all([window.MEMBERS.leave('gus'), window.MEMBERS.leave('hal')]));
    await stage
      .getByRole('status')
      .filter({ hasText: 'Small room again: video goes straight between you — a short freeze is normal.' })
      .waitFor({ timeout: 20_000 });
    assert.equal(await host.page.evaluate(() => window.parley.room?.mode), 'mesh');
    await host.page.getByRole('banner').getByText('Large room', { exact: true }).waitFor({ state: 'hidden' });
    // eve's tile now shows the peer connection's track, decoding; eve decodes dana again.
    await until(() => tileFrames(host.page), {
      what: 'the web app decodes eve peer to peer',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (f) => (f.eve?.decoded ?? 0) >= 10 && Object.keys(f).sort().join() === 'eve,finn',
    });
    assert.equal(await host.page.evaluate(() => window.parley.room?.sfu), undefined);
    await until(() => members.evaluate(() => window.MEMBERS.decoded('eve')), {
      what: 'eve decodes the web app person peer to peer',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (x) => (x.dana ?? 0) >= 10,
    });
  });

  it('a screen shared in an SFU room takes the stage, people beside it, and goes away when stopped', async () => {
    const room = 'show-and-tell';
    const host = await openPerson(browser, server.url, 'ivy', { path: `/#/room/${room}?large` });
    people.push(host);
    const stage = host.page.getByRole('region', { name: 'Stage' });
    const participants = host.page.getByRole('region', { name: 'Participants' });
    await stage.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    const everyone = ['ivy', 'jo', 'kim', 'lea', 'max', 'ned', 'oli', 'pat'];
    for (const name of everyone.slice(1))
      await members.evaluate(([n, r, pub, all]) => window.MEMBERS.join(n, r, pub, 'ivy', all), [
        name,
        room,
        name === 'jo',
        everyone,
      ] as const);
    await members.evaluate(() => window.MEMBERS.shareScreen('jo'));
    await participants.getByRole('group', { name: 'jo’s screen' }).waitFor({ timeout: 20_000 });
    await until(() => screenFrames(host.page, 'jo'), {
      what: 'the web app decodes jo’s screen',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (n) => n >= 10,
    });
    assert.equal(await participants.getAttribute('data-layout'), 'present');
    // jo's camera still plays in its own tile beside the screen.
    await until(() => tileFrames(host.page), {
      what: 'jo’s camera',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (f) => (f.jo?.decoded ?? 0) >= 10,
    });
    // One screen tile (the camera, received afresh with the screen, is not taken for another).
    assert.equal(await host.page.locator('div.tile.screen').count(), 1);
    await screenshot(host.page, 'sfu-screen-share');
    await members.evaluate(() => window.MEMBERS.stopScreenShare('jo'));
    await participants
      .getByRole('group', { name: 'jo’s screen' })
      .waitFor({ state: 'detached', timeout: 20_000 });
    assert.equal(await participants.getAttribute('data-layout'), 'grid');
  });

  it('the Large room option makes a ?large link and an SFU room from the start', async () => {
    const room = 'all-hands';
    const host = await openPerson(browser, server.url, 'chair');
    people.push(host);
    await host.page.getByRole('heading', { name: 'Hello, chair' }).waitFor();
    // The option shows because /healthz says the server has an SFU.
    const large = host.page.getByRole('checkbox', { name: 'Large room' });
    await large.waitFor();
    await host.page.getByRole('textbox', { name: 'Room name', exact: true }).fill(room);
    await large.check();
    await host.page.getByText(`/#/room/${room}?large`).waitFor();
    await screenshot(host.page, 'home-large-room');
    await host.page.getByRole('button', { name: 'Create or join room' }).click();
    const stage = host.page.getByRole('region', { name: 'Stage' });
    await stage
      .getByRole('status')
      .filter({ hasText: 'Large room: video goes through the server' })
      .waitFor({ timeout: 20_000 });
    assert.equal(await host.page.evaluate(() => window.parley.room?.mode), 'sfu');
    assert.equal(new URL(host.page.url()).hash, `#/room/${room}?large`);
    const mode = await members.evaluate(
      ([r]) => window.MEMBERS.join('guest', r, true, 'chair', ['chair', 'guest']),
      [room] as const,
    );
    assert.equal(mode, 'sfu');
    await host.page
      .getByRole('region', { name: 'Participants' })
      .getByRole('group', { name: 'guest' })
      .waitFor();
    await until(() => tileFrames(host.page), {
      what: 'the web app decodes the guest',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (f) => (f.guest?.decoded ?? 0) >= 10,
    });
    await until(() => members.evaluate(() => window.MEMBERS.decoded('guest')), {
      what: 'the guest decodes the web app person',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (x) => (x.chair ?? 0) >= 10,
    });
  });
  it('Janus restarting is said, and the video comes back through the new SFU room', async () => {
    const room = 'weather';
    const host = await openPerson(browser, server.url, 'quinn', { path: `/#/room/${room}?large` });
    people.push(host);
    const stage = host.page.getByRole('region', { name: 'Stage' });
    await stage.getByRole('heading', { name: 'Waiting for others to join' }).waitFor();
    await members.evaluate(([r]) => window.MEMBERS.join('rae', r, true, 'quinn', ['quinn', 'rae']), [
      room,
    ] as const);
    await until(() => tileFrames(host.page), {
      what: 'quinn decodes rae',
      timeoutMs: 30_000,
      intervalMs: 250,
      accept: (f) => (f.rae?.decoded ?? 0) >= 10,
    });
    await janus.restart();
    await stage
      .getByRole('status')
      .filter({ hasText: 'Video through the server is back after an interruption.' })
      .waitFor({ timeout: 30_000 });
    // rae's tile shows the new subscription's track, decoding; rae decodes quinn again.
    await until(() => tileFrames(host.page), {
      what: 'quinn decodes rae again',
      timeoutMs: 45_000,
      intervalMs: 250,
      accept: (f) => (f.rae?.decoded ?? 0) >= 10,
    });
    await until(() => members.evaluate(() => window.MEMBERS.decoded('rae')), {
      what: 'rae decodes quinn again',
      timeoutMs: 45_000,
      intervalMs: 250,
      accept: (x) => (x.quinn ?? 0) >= 10,
    });
  });
});
