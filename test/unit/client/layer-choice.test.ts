import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseFeedLayer,
  initialLinkCap,
  judgeLinkHealth,
  judgeSwitch,
  LINK_CAP_TIMING,
  type LinkCapState,
  type LinkHealth,
  layerChange,
  layerForHeight,
  nextLinkCap,
} from '../../../packages/client/src/sfu/layer-choice.ts';
import { simulcastLayers } from '../../../packages/client/src/sfu/simulcast.ts';

describe('layer choice › chooseFeedLayer', () => {
  const base = { devicePixelRatio: 1, speaking: false, cap: 2 as const };

  it('fits the tile height in device pixels: ≤ 200 → 0, ≤ 400 → 1, else 2', () => {
    assert.equal(layerForHeight(180), 0);
    assert.equal(layerForHeight(200), 0);
    assert.equal(layerForHeight(201), 1);
    assert.equal(layerForHeight(400), 1);
    assert.equal(layerForHeight(720), 2);
    assert.deepEqual(chooseFeedLayer({ ...base, view: { width: 320, height: 180 } }), {
      substream: 0,
      paused: false,
    });
    // The same tile on a 2x screen needs twice the pixels.
    assert.equal(
      chooseFeedLayer({ ...base, devicePixelRatio: 2, view: { width: 320, height: 180 } }).substream,
      1,
    );
  });

  it('gives the active speaker one layer more, never above 2 or the link cap', () => {
    assert.equal(
      chooseFeedLayer({ ...base, speaking: true, view: { width: 320, height: 180 } }).substream,
      1,
    );
    assert.equal(
      chooseFeedLayer({ ...base, speaking: true, view: { width: 1280, height: 720 } }).substream,
      2,
    );
    assert.equal(chooseFeedLayer({ ...base, cap: 0, view: { width: 1280, height: 720 } }).substream, 0);
  });

  it('pauses a hidden tile and takes the middle layer for a view never given', () => {
    assert.equal(chooseFeedLayer({ ...base, view: 'hidden' }).paused, true);
    assert.deepEqual(chooseFeedLayer({ ...base, view: undefined }), { substream: 1, paused: false });
  });
});

describe('layer choice › layerChange (configure only on change)', () => {
  it('sends everything the first time, nothing when unchanged, only what changed otherwise', () => {
    assert.deepEqual(layerChange({ substream: 1, paused: false }, undefined), {
      substream: 1,
      paused: false,
    });
    assert.equal(layerChange({ substream: 1, paused: false }, { substream: 1, paused: false }), null);
    assert.deepEqual(layerChange({ substream: 2, paused: false }, { substream: 1, paused: false }), {
      substream: 2,
    });
    assert.deepEqual(layerChange({ substream: 1, paused: true }, { substream: 1, paused: false }), {
      paused: true,
    });
    // A layer change while paused waits for the resume, which carries it.
    assert.equal(layerChange({ substream: 0, paused: true }, { substream: 1, paused: true }), null);
    assert.deepEqual(layerChange({ substream: 0, paused: false }, { substream: 1, paused: true }), {
      paused: false,
      substream: 0,
    });
  });
});

type S = Record<string, unknown>;
const report = (...stats: S[]) => new Map(stats.map((s) => [String(s.id), s]));
const video = (id: string, over: S): S => ({
  id,
  type: 'inbound-rtp',
  kind: 'video',
  packetsLost: 0,
  packetsReceived: 0,
  framesReceived: 0,
  framesDropped: 0,
  jitterBufferDelay: 0,
  jitterBufferEmittedCount: 0,
  ...over,
});

describe('layer choice › judgeLinkHealth', () => {
  const prev = report(video('v1', {}), video('v2', {}));

  it('is good on a clean interval and unknown without traffic', () => {
    const curr = report(
      video('v1', {
        packetsReceived: 300,
        framesReceived: 30,
        jitterBufferDelay: 1.5,
        jitterBufferEmittedCount: 30,
      }),
    );
    assert.equal(judgeLinkHealth(prev, curr).health, 'good');
    assert.equal(judgeLinkHealth(prev, prev).health, 'unknown');
  });

  it('is bad on loss over 5 % (all received video summed)', () => {
    const curr = report(
      video('v1', { packetsReceived: 200, packetsLost: 20, framesReceived: 30 }),
      video('v2', { packetsReceived: 100, packetsLost: 0, framesReceived: 30 }),
    );
    const j = judgeLinkHealth(prev, curr);
    assert.equal(j.health, 'bad');
    assert.ok(Math.abs(j.lossPct - (100 * 20) / 320) < 1e-9);
  });

  it('is bad when the decoder drops frames or the jitter buffer holds frames too long', () => {
    assert.equal(
      judgeLinkHealth(
        prev,
        report(video('v1', { packetsReceived: 300, framesReceived: 30, framesDropped: 10 })),
      ).health,
      'bad',
    );
    assert.equal(
      judgeLinkHealth(
        prev,
        report(
          video('v1', {
            packetsReceived: 300,
            framesReceived: 30,
            jitterBufferDelay: 15,
            jitterBufferEmittedCount: 30,
          }),
        ),
      ).health,
      'bad',
    );
  });
});

describe('layer choice › nextLinkCap', () => {
  const run = (state: LinkCapState, health: LinkHealth, fromMs: number, toMs: number, stepMs = 1000) => {
    let s = state;
    for (let t = fromMs; t <= toMs; t += stepMs) s = nextLinkCap(s, health, t);
    return s;
  };

  it('steps down at once when the link is bad, then one more per cooldown', () => {
    let s = nextLinkCap(initialLinkCap(0), 'bad', 5000);
    assert.equal(s.cap, 1);
    s = nextLinkCap(s, 'bad', 6000); // within the cooldown: the last step has not taken effect yet
    assert.equal(s.cap, 1);
    s = nextLinkCap(s, 'bad', 7000);
    assert.equal(s.cap, 0);
  });

  it('steps up only after a quiet period, one layer at a time', () => {
    let s = nextLinkCap(initialLinkCap(0), 'bad', 5000);
    s = run(s, 'good', 6000, 5000 + LINK_CAP_TIMING.upgradeWaitMs - 1000);
    assert.equal(s.cap, 1);
    s = nextLinkCap(s, 'good', 5000 + LINK_CAP_TIMING.upgradeWaitMs);
    assert.equal(s.cap, 2);
  });

  it('a failed probe steps back down at once and doubles the next wait', () => {
    let s = nextLinkCap(initialLinkCap(0), 'bad', 5000);
    s = run(s, 'good', 6000, 13_000);
    assert.equal(s.cap, 2); // the probe
    s = nextLinkCap(s, 'bad', 14_000);
    assert.equal(s.cap, 1);
    assert.equal(s.upgradeWaitMs, 2 * LINK_CAP_TIMING.upgradeWaitMs);
    s = run(s, 'good', 15_000, 14_000 + 2 * LINK_CAP_TIMING.upgradeWaitMs - 1000);
    assert.equal(s.cap, 1);
    s = nextLinkCap(s, 'good', 14_000 + 2 * LINK_CAP_TIMING.upgradeWaitMs);
    assert.equal(s.cap, 2);
    // This probe lasts: the wait goes back to the base.
    s = run(s, 'good', 31_000, 40_000);
    assert.equal(s.upgradeWaitMs, LINK_CAP_TIMING.upgradeWaitMs);
  });

  it('ignores unknown samples', () => {
    const s = nextLinkCap(initialLinkCap(0), 'bad', 5000);
    assert.deepEqual(nextLinkCap(s, 'unknown', 60_000), s);
  });
});

describe('layer choice › judgeSwitch (a layer change that does not happen)', () => {
  const up = { kind: 'up' as const, baseHeight: 180, baseFrames: 100, sinceMs: 0, nudges: 0 };

  it('is done once the frames grow (up) or flow again (resume)', () => {
    assert.equal(judgeSwitch(up, { frameHeight: 720, framesDecoded: 101 }, 300), 'done');
    assert.equal(
      judgeSwitch({ ...up, kind: 'resume' }, { frameHeight: 180, framesDecoded: 110 }, 300),
      'done',
    );
  });

  it('a lower layer is done once frames are shorter (not before any frame)', () => {
    const down = { kind: 'down' as const, baseHeight: 720, baseFrames: 100, sinceMs: 0, nudges: 0 };
    assert.equal(judgeSwitch(down, { frameHeight: 180, framesDecoded: 120 }, 300), 'done');
    assert.equal(judgeSwitch(down, { frameHeight: 0, framesDecoded: 100 }, 300), 'wait');
    assert.equal(judgeSwitch(down, { frameHeight: 720, framesDecoded: 130 }, 1200), 'nudge');
  });

  it('waits 1 s, then nudges twice at most, then gives up', () => {
    const same = { frameHeight: 180, framesDecoded: 150 };
    assert.equal(judgeSwitch(up, same, 900), 'wait');
    assert.equal(judgeSwitch(up, same, 1000), 'nudge');
    assert.equal(judgeSwitch({ ...up, nudges: 2 }, same, 1000), 'give-up');
  });
});

describe('simulcast › simulcastLayers', () => {
  it('three layers highest first (Janus order) from 540p, none below', () => {
    const hd = simulcastLayers(1280, 720);
    assert.deepEqual(
      hd.map((l) => [l.rid, l.scaleResolutionDownBy]),
      [
        ['h', 1],
        ['m', 2],
        ['l', 4],
      ],
    );
    assert.ok(hd[0]!.maxBitrate > hd[1]!.maxBitrate && hd[1]!.maxBitrate > hd[2]!.maxBitrate);
    assert.deepEqual(simulcastLayers(640, 480), [], 'a two-layer camera has no Janus substream 0: one layer');
    assert.equal(simulcastLayers(960, 540).length, 3);
    assert.deepEqual(simulcastLayers(320, 180), []);
    assert.deepEqual(simulcastLayers(undefined, undefined), []);
  });
});
