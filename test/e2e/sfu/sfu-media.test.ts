// @needs chromium, janus
/**
 * SFU media through the SDK's Room API, end to end: real Chromium, the real Parley server, a real
 * Janus. Simulcast layers picked by `room.setVideoView` (frame widths read from the subscriber's
 * getStats, layers from the publisher's), a hidden tile paused and resumed (frames decoded stop
 * and go on), a screen share reaching another member as its own stream and going away when it
 * stops; the active speaker found from received audio; a room shrinking back to mesh with media
 * going on peer to peer. The main server here moves a room to the SFU from its second member
 * (PARLEY_SFU_THRESHOLD=1), so two participants suffice.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { bundlePages, launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

type Publish = boolean | { width: number; height: number; audio?: boolean };
type VideoIn = { member: string; stream: string; track: string; framesDecoded: number; frameWidth: number };

describe('SFU media in Chromium (real Janus)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    janus = await startJanus();
    dir = await bundlePages({ rooms: join(ROOT, 'test/e2e/sfu/room-page.ts') });
    server = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
      PARLEY_SFU_THRESHOLD: '1',
    });
    // Received audio plays (muted) as in an app, and the talker's WebAudio tone starts unprompted.
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
    const context = await newMediaContext(browser, server.url);
    page = await context.newPage();
    tracePage(page, 'rooms');
    await page.goto(`${server.url}/rooms.html`);
    await page.waitForFunction(() => typeof window.ROOMS === 'object');
  });
  // Each test uses names of its own: a closed client's name is freed when the server has read
  // its `bye`, which the next test's login can overtake.
  afterEach(async () => {
    await page?.evaluate(() => window.ROOMS.closeAll()).catch(() => {});
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await janus?.close();
    if (dir) removeDir(dir);
  });

  /** Joins `names` in order and waits until every one of them is in sfu mode. */
  async function joinAll(room: string, who: [string, Publish][]): Promise<void> {
    for (const [name, publish] of who) {
      await page.evaluate(([n, r, p]) => window.ROOMS.join(n, r, p), [name, room, publish] as const);
    }
    for (const [name] of who) {
      await until(() => page.evaluate(([n]) => window.ROOMS.mode(n), [name] as const), {
        what: 'm === "sfu"',
        timeoutMs: 10_000,
        intervalMs: 200,
        accept: (m) => m === 'sfu',
      });
    }
  }

  /** The subscriber's one video track from `member` (waits until it decodes). */
  async function videoFrom(sub: string, member: string, pred: (v: VideoIn) => boolean, timeoutMs = 30_000) {
    const all = await until(() => page.evaluate(([n]) => window.ROOMS.videoIn(n), [sub] as const), {
      what: 'list.some((v) => v.member === member && pred(v))',
      timeoutMs: timeoutMs,
      intervalMs: 200,
      accept: (list) => list.some((v) => v.member === member && pred(v)),
      explain: async () =>
        `layer ${JSON.stringify(await page.evaluate(([n, m]) => window.ROOMS.layerOf(n, m), [sub, member] as const))}, out ${JSON.stringify(
          await page.evaluate(([n]) => window.ROOMS.layersOut(n), [member] as const),
        )}`,
    });
    return all.find((v) => v.member === member && pred(v))!;
  }

  it('SFU › simulcast: setVideoView picks the layer (frame width from getStats), hidden pauses and resumes', async () => {
    const room = 'simulcast';
    await joinAll(room, [
      ['hd', { width: 1280, height: 720 }],
      ['viewer', false],
    ]);
    // The publisher sends three layers; wait until the top one is encoded at full width (the
    // encoder adds layers as its bandwidth estimate grows).
    const layers = await until(() => page.evaluate(([n]) => window.ROOMS.layersOut(n), ['hd'] as const), {
      what: 'three layers out, the top one at full width',
      timeoutMs: 30_000,
      intervalMs: 200,
      accept: (l) =>
        l.length === 3 &&
        l.every((x) => x.framesEncoded > 0) &&
        Math.max(...l.map((x) => x.frameWidth)) >= 1280,
    });
    process.stdout.write(`# simulcast layers out: ${JSON.stringify(layers)}\n`);
    const topWidth = Math.max(...layers.map((x) => x.frameWidth));

    const t0 = Date.now();
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, { width: 320, height: 180 }), [
      'viewer',
      'hd',
    ] as const);
    const small = await videoFrom(
      'viewer',
      'hd',
      (v) => v.framesDecoded > 0 && v.frameWidth > 0 && v.frameWidth <= 320,
    );
    const smallMs = Date.now() - t0;

    const t1 = Date.now();
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, { width: 1280, height: 720 }), [
      'viewer',
      'hd',
    ] as const);
    const large = await videoFrom('viewer', 'hd', (v) => v.frameWidth >= topWidth);
    const largeMs = Date.now() - t1;

    // Hidden: the SFU stops forwarding, so no frame is decoded any more.
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, 'hidden'), ['viewer', 'hd'] as const);
    await until(() => page.evaluate(([n, m]) => window.ROOMS.layerOf(n, m), ['viewer', 'hd'] as const), {
      what: '(l.layer as { paused?: boolean } | null)?.paused === true',
      intervalMs: 200,
      accept: (l) => (l.layer as { paused?: boolean } | null)?.paused === true,
    });
    await new Promise((r) => setTimeout(r, 1000)); // frames already on the way
    const pausedAt = (await videoFrom('viewer', 'hd', () => true)).framesDecoded;
    await new Promise((r) => setTimeout(r, 2000));
    const pausedLater = (await videoFrom('viewer', 'hd', () => true)).framesDecoded;
    assert.equal(pausedLater, pausedAt, 'no frame decoded while hidden');

    const t2 = Date.now();
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, { width: 640, height: 360 }), [
      'viewer',
      'hd',
    ] as const);
    const resumed = await videoFrom('viewer', 'hd', (v) => v.framesDecoded >= pausedLater + 10);
    const resumeMs = Date.now() - t2;
    process.stdout.write(
      `# simulcast: small view -> ${small.frameWidth} px in ${smallMs} ms; large -> ${large.frameWidth} px in ${largeMs} ms; hidden: ${pausedAt} -> ${pausedLater} frames over 2 s; shown again: +10 frames in ${resumeMs} ms at ${resumed.frameWidth} px\n`,
    );
  });

  it('SFU › hiding a member who also sends audio pauses its camera only: the audio keeps coming', async () => {
    const room = 'hidden-talker';
    await joinAll(room, [
      ['talker', { width: 1280, height: 720, audio: true }],
      ['hearer', false],
    ]);
    await videoFrom('hearer', 'talker', (v) => v.framesDecoded > 5);
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, 'hidden'), ['hearer', 'talker'] as const);
    await until(() => page.evaluate(([n, m]) => window.ROOMS.layerOf(n, m), ['hearer', 'talker'] as const), {
      what: '(l.layer as { paused?: boolean } | null)?.paused === true',
      intervalMs: 200,
      accept: (l) => (l.layer as { paused?: boolean } | null)?.paused === true,
    });
    await new Promise((r) => setTimeout(r, 1000)); // frames already on the way
    const audio = async () =>
      (await page.evaluate(([n]) => window.ROOMS.audioIn(n), ['hearer'] as const)).reduce(
        (sum, a) => sum + Number(a.packetsReceived ?? 0),
        0,
      );
    const v0 = (await videoFrom('hearer', 'talker', () => true)).framesDecoded;
    const a0 = await audio();
    await new Promise((r) => setTimeout(r, 2000));
    const a1 = await audio();
    const v1 = (await videoFrom('hearer', 'talker', () => true)).framesDecoded;
    assert.equal(v1, v0, 'no camera frame decoded while hidden');
    assert.ok(a1 > a0 + 30, `audio packets kept coming while hidden (${a0} -> ${a1})`);
    process.stdout.write(
      `# hidden talker: camera ${v0} -> ${v1} frames, audio ${a0} -> ${a1} packets over 2 s\n`,
    );
  });

  it('SFU › the active speaker gets one layer more than its tile needs', async () => {
    const room = 'speaker-layer';
    await joinAll(room, [
      ['speaker', { width: 1280, height: 720, audio: true }],
      ['audience', false],
    ]);
    // A 320x180 tile needs layer 0 (320 px); the speaker's gets layer 1 (640 px).
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, { width: 320, height: 180 }), [
      'audience',
      'speaker',
    ] as const);
    await until(() => page.evaluate(([n]) => window.ROOMS.activeSpeaker(n), ['audience'] as const), {
      what: 'x === "speaker"',
      timeoutMs: 15_000,
      intervalMs: 200,
      accept: (x) => x === 'speaker',
    });
    // The SFU was told layer 1, and frames decoded after that are 640 px wide (the first frames
    // can be any layer: Janus forwards its default until the subscriber's first word).
    await until(
      () => page.evaluate(([n, m]) => window.ROOMS.layerOf(n, m), ['audience', 'speaker'] as const),
      {
        what: 'JSON.stringify(l.layer) === JSON.stringify({ substream: 1, paused: false })',
        timeoutMs: 10_000,
        intervalMs: 200,
        accept: (l) => JSON.stringify(l.layer) === JSON.stringify({ substream: 1, paused: false }),
      },
    );
    const told = (await videoFrom('audience', 'speaker', () => true)).framesDecoded;
    const v = await videoFrom(
      'audience',
      'speaker',
      (x) => x.framesDecoded > told + 5 && x.frameWidth === 640,
    );
    process.stdout.write(`# sfu active speaker in a 320x180 tile: ${v.frameWidth} px\n`);
  });

  it('SFU › a 640x480 camera goes out in one layer (Janus would have no substream 0 for two)', async () => {
    const room = 'one-layer';
    await joinAll(room, [
      ['vga', { width: 640, height: 480 }],
      ['looker', false],
    ]);
    const layers = await until(() => page.evaluate(([n]) => window.ROOMS.layersOut(n), ['vga'] as const), {
      what: 'l.length > 0 && l.every((x) => x.framesEncoded > 0)',
      timeoutMs: 30_000,
      intervalMs: 200,
      accept: (l) => l.length > 0 && l.every((x) => x.framesEncoded > 0),
    });
    assert.deepEqual(
      layers.map((x) => [x.rid, x.frameWidth]),
      [['', 640]],
    );
    // Whatever the view, the subscriber gets the one layer.
    await page.evaluate(([n, m]) => window.ROOMS.setView(n, m, { width: 320, height: 180 }), [
      'looker',
      'vga',
    ] as const);
    const v = await videoFrom('looker', 'vga', (x) => x.framesDecoded > 10);
    assert.equal(v.frameWidth, 640);
  });

  it('SFU › screen share arrives as its own stream (decoded frames) and goes away when stopped', async () => {
    const room = 'screens';
    await joinAll(room, [
      ['presenter', true],
      ['watcher', false],
    ]);
    const camera = await videoFrom('watcher', 'presenter', (v) => v.framesDecoded > 5);
    const t0 = Date.now();
    await page.evaluate(([n]) => window.ROOMS.shareScreen(n), ['presenter'] as const);
    const screen = await videoFrom(
      'watcher',
      'presenter',
      (v) => v.stream !== camera.stream && v.framesDecoded > 5,
    );
    const shareMs = Date.now() - t0;
    assert.deepEqual(
      await page.evaluate(([n, m]) => window.ROOMS.mediaState(n, m), ['watcher', 'presenter'] as const),
      {
        audio: false,
        video: true,
        screen: true,
      },
    );
    // The camera keeps going next to it, in its own stream.
    const both = await page.evaluate(([n]) => window.ROOMS.videoIn(n), ['watcher'] as const);
    assert.equal(both.filter((v) => v.member === 'presenter').length, 2);
    // Untouched by the screen's arrival: the same camera track, its frame count never reset (the
    // SDK asked the SFU for the new stream alone: sfu.subscribe refresh).
    const cameraNow = both.find((v) => v.member === 'presenter' && v.track === camera.track);
    assert.ok(
      cameraNow && cameraNow.stream === camera.stream && cameraNow.framesDecoded > camera.framesDecoded,
      JSON.stringify({ camera, both }),
    );

    const t1 = Date.now();
    await page.evaluate(([n]) => window.ROOMS.stopScreenShare(n), ['presenter'] as const);
    const after = await until(() => page.evaluate(([n]) => window.ROOMS.videoIn(n), ['watcher'] as const), {
      what: '!list.some((v) => v.stream === screen.stream)',
      timeoutMs: 15_000,
      intervalMs: 200,
      accept: (list) => !list.some((v) => v.stream === screen.stream),
    });
    const stopMs = Date.now() - t1;
    assert.equal(
      (await page.evaluate(([n, m]) => window.ROOMS.mediaState(n, m), ['watcher', 'presenter'] as const))
        ?.screen,
      false,
    );
    // The camera is still decoding after the screen went away.
    const cam0 = after.find((v) => v.member === 'presenter')?.framesDecoded ?? 0;
    await videoFrom('watcher', 'presenter', (v) => v.stream !== screen.stream && v.framesDecoded > cam0 + 5);
    process.stdout.write(
      `# sfu screen share: decoded on the other side ${shareMs} ms after shareScreen (own stream), gone ${stopMs} ms after stopScreenShare\n`,
    );
  });
  it('SFU › a screen share already running when the room moves to the SFU is published there too', async () => {
    const room = 'screen-first';
    await page.evaluate(([n, r]) => window.ROOMS.join(n, r, true), ['early', room] as const);
    await page.evaluate(([n]) => window.ROOMS.shareScreen(n), ['early'] as const);
    // The second member moves the room to the SFU (threshold 1).
    await joinAll(room, [['late', false]]);
    const t0 = Date.now();
    const list = await until(() => page.evaluate(([n]) => window.ROOMS.videoIn(n), ['late'] as const), {
      what: 'l.filter((v) => v.member === "early" && v.framesDecoded > 5).length === 2',
      timeoutMs: 30_000,
      intervalMs: 200,
      accept: (l) => l.filter((v) => v.member === 'early' && v.framesDecoded > 5).length === 2,
    });
    assert.notEqual(list[0]!.stream, list[1]!.stream, 'camera and screen in their own streams');
    process.stdout.write(
      `# sfu: camera and screen shared before the move both decoded ${Date.now() - t0} ms after\n`,
    );
  });

  it('SFU › active speaker, and a room that shrinks back to mesh: media goes on peer to peer', async () => {
    // Its own server: the room moves to the SFU past 3 members and back once under 3 for 1 s.
    const small = await startServer({
      PARLEY_WEB_DIR: dir,
      ...janusEnv(janus),
      PARLEY_SFU_THRESHOLD: '3',
      PARLEY_SFU_SHRINK_DELAY_S: '1',
    });
    const p = await page.context().newPage();
    tracePage(p, 'shrink');
    try {
      await p.goto(`${small.url}/rooms.html`);
      await p.waitForFunction(() => typeof window.ROOMS === 'object');
      const room = 'shrinks';
      const who: [string, Publish][] = [
        ['talker', { width: 320, height: 240, audio: true }],
        ['cam', true],
        ['x2', false],
        ['x3', false],
      ];
      const modes: string[] = [];
      for (const [name, publish] of who)
        modes.push(
          await p.evaluate(([n, r, pub]) => window.ROOMS.join(n, r, pub), [name, room, publish] as const),
        );
      assert.deepEqual(modes, ['mesh', 'mesh', 'mesh', 'sfu']);
      for (const [name] of who)
        await until(() => p.evaluate(([n]) => window.ROOMS.mode(n), [name] as const), {
          what: 'm === "sfu"',
          timeoutMs: 10_000,
          intervalMs: 200,
          accept: (m) => m === 'sfu',
        });
      const t0 = Date.now();
      await until(() => p.evaluate(([n]) => window.ROOMS.sfuDecoded(n), ['cam'] as const), {
        what: '(d.talker ?? 0) >= 10',
        timeoutMs: 30_000,
        intervalMs: 200,
        accept: (d) => (d.talker ?? 0) >= 10,
      });
      // The talker sends a steady tone: through the SFU, the others see it as the speaker.
      await until(() => p.evaluate(([n]) => window.ROOMS.activeSpeaker(n), ['x2'] as const), {
        what: 's === "talker"',
        timeoutMs: 15_000,
        intervalMs: 200,
        accept: (s) => s === 'talker',
        explain: async () =>
          `in ${JSON.stringify(await p.evaluate(([n]) => window.ROOMS.audioIn(n), ['x2'] as const))} out ${JSON.stringify(await p.evaluate(([n]) => window.ROOMS.audioOut(n), ['talker'] as const))}`,
      });
      const speakerSfuMs = Date.now() - t0;

      // Two leave: under the threshold, and after the delay the server says room.mode mesh.
      const t1 = Date.now();
      await p.evaluate(() => Promise.all([window.ROOMS.leave('x2'), window.ROOMS.leave('x3')]));
      for (const name of ['talker', 'cam'])
        await until(() => p.evaluate(([n]) => window.ROOMS.modes(n), [name] as const), {
          what: 'm.at(-1) === "mesh"',
          timeoutMs: 15_000,
          intervalMs: 200,
          accept: (m) => m.at(-1) === 'mesh',
        });
      const meshMs = Date.now() - t1;
      // Media flows on the peer connections again, both ways.
      const t2 = Date.now();
      const decoded: Record<string, Record<string, number>> = {};
      for (const [name, from] of [
        ['talker', 'cam'],
        ['cam', 'talker'],
      ] as const) {
        const before = (await p.evaluate(([n]) => window.ROOMS.meshDecoded(n), [name] as const))[from] ?? 0;
        decoded[name] = await until(() => p.evaluate(([n]) => window.ROOMS.meshDecoded(n), [name] as const), {
          what: '(d[from] ?? 0) >= before + 10',
          timeoutMs: 30_000,
          intervalMs: 200,
          accept: (d) => (d[from] ?? 0) >= before + 10,
        });
      }
      const mediaMs = Date.now() - t2;
      assert.equal(await p.evaluate(([n]) => window.ROOMS.mode(n), ['cam'] as const), 'mesh');
      // The SFU's tracks ended; the live video tracks are the peer connections' ones, decoding.
      const live = await p.evaluate(([n]) => window.ROOMS.videoIn(n), ['cam'] as const);
      assert.ok(
        live.length >= 1 && live.every((v) => v.member === 'talker' && v.framesDecoded > 0),
        JSON.stringify(live),
      );
      // And the speaker is still found from the mesh connection's audio.
      await until(() => p.evaluate(([n]) => window.ROOMS.activeSpeaker(n), ['cam'] as const), {
        what: 's === "talker"',
        timeoutMs: 15_000,
        intervalMs: 200,
        accept: (s) => s === 'talker',
      });
      process.stdout.write(
        `# sfu active speaker found ${speakerSfuMs} ms after all were in sfu mode; shrink: room.mode mesh ${meshMs} ms after two left (delay 1 s), mesh frames decoded both ways ${mediaMs} ms later: ${JSON.stringify(decoded)}\n`,
      );
    } finally {
      await p.evaluate(() => window.ROOMS.closeAll()).catch(() => {});
      await p.close().catch(() => {});
      await small.close().catch(() => {});
    }
  });
});
