/**
 * SfuSession's own logic with a fake RTCPeerConnection and a scripted server: what goes into
 * `sfu.publish` (sources, simulcast encodings), retries of failed negotiations, `sfu.configure`
 * sent only on change. Media itself is proven in Chromium with a real Janus (test/e2e/sfu).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientMessage, ServerMessage } from '@parley/protocol';
import { SfuSession } from '../../../packages/client/src/sfu/sfu-session.ts';
import { until } from '../../helpers/wait.ts';
import { onFakes, tick } from './fakes.ts';

class FakeTrack {
  readonly id: string;
  readonly kind: 'audio' | 'video';
  readonly #settings: { width?: number; height?: number };
  constructor(kind: 'audio' | 'video', settings: { width?: number; height?: number } = {}) {
    this.kind = kind;
    this.id = `${kind}-${Math.random().toString(36).slice(2)}`;
    this.#settings = settings;
  }
  getSettings() {
    return this.#settings;
  }
}

class FakeTransceiver {
  mid: string | null = null;
  direction: string;
  readonly init: { direction?: string; sendEncodings?: unknown[] };
  readonly sender: { track: FakeTrack | null; replaceTrack(t: FakeTrack | null): Promise<void> };
  constructor(track: FakeTrack, init: { direction?: string; sendEncodings?: unknown[] }) {
    this.init = init;
    this.direction = init.direction ?? 'sendrecv';
    const sender = {
      track: track as FakeTrack | null,
      async replaceTrack(t: FakeTrack | null) {
        sender.track = t;
      },
    };
    this.sender = sender;
  }
}

const made: FakePC[] = [];

class FakePC extends EventTarget {
  readonly transceivers: FakeTransceiver[] = [];
  iceGatheringState = 'complete';
  iceConnectionState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  closed = false;
  ontrack: ((ev: unknown) => void) | null = null;
  constructor() {
    super();
    made.push(this);
  }
  addTransceiver(track: FakeTrack, init: { direction?: string; sendEncodings?: unknown[] }) {
    const t = new FakeTransceiver(track, init);
    this.transceivers.push(t);
    return t;
  }
  getSenders() {
    return this.transceivers.map((t) => t.sender);
  }
  async createOffer() {
    return { type: 'offer', sdp: `offer ${this.transceivers.length}` };
  }
  async createAnswer() {
    return { type: 'answer', sdp: 'answer' };
  }
  async setLocalDescription(d: { type: string; sdp: string }) {
    this.transceivers.forEach((t, i) => {
      t.mid ??= String(i);
    });
    this.localDescription = d;
  }
  async setRemoteDescription(d: { type: string; sdp: string }) {
    this.remoteDescription = d;
  }
  close() {
    this.closed = true;
  }
  failIce() {
    this.iceConnectionState = 'failed';
    this.dispatchEvent(new Event('iceconnectionstatechange'));
  }
  /** A gathered candidate (`null`: gathering ended), as the browser fires it. */
  gather(c: { candidate: string; sdpMid: string; sdpMLineIndex: number } | null) {
    const ev = Object.assign(new Event('icecandidate'), {
      candidate: c === null ? null : { ...c, toJSON: () => c },
    });
    this.dispatchEvent(ev);
  }
}

type Handler = (msg: ClientMessage) => ServerMessage | Promise<ServerMessage>;

/** A scripted server: records requests, answers with `handle` (default: success). */
function server(handle?: Handler) {
  const sent: ClientMessage[] = [];
  const ok: Handler = (msg) => {
    switch (msg.type) {
      case 'sfu.publish':
        return { type: 'sfu.published', room: 'r', description: { type: 'answer', sdp: 'a' } };
      case 'sfu.subscribe':
        return msg.feeds.length === 0
          ? { type: 'ack' }
          : {
              type: 'sfu.offer',
              room: 'r',
              description: { type: 'offer', sdp: 'o' },
              streams: msg.feeds.flatMap((feed, i) => [
                { mid: String(2 * i), feed, kind: 'audio' as const },
                { mid: String(2 * i + 1), feed, kind: 'video' as const },
              ]),
            };
      default:
        return { type: 'ack' };
    }
  };
  return {
    sent,
    signaling: {
      async request(msg: ClientMessage): Promise<ServerMessage> {
        sent.push(msg);
        return (handle ?? ok)(msg);
      },
    },
    ok,
    of<T extends ClientMessage['type']>(type: T) {
      return sent.filter((m) => m.type === type) as Extract<ClientMessage, { type: T }>[];
    },
  };
}

function session(s: ReturnType<typeof server>, over: Record<string, unknown> = {}) {
  return new SfuSession({
    room: 'r',
    self: 'alice',
    signaling: s.signaling,
    RTCPeerConnection: FakePC as never,
    retryBaseMs: 5,
    configureDebounceMs: 5,
    devicePixelRatio: 1,
    ...over,
  });
}

describe('SfuSession › publishing', () => {
  it('sends one transceiver per source, the 720p camera in three simulcast layers, and names each mid', async () => {
    const s = server();
    const sfu = session(s);
    const mic = new FakeTrack('audio');
    const cam = new FakeTrack('video', { width: 1280, height: 720 });
    await sfu.publish([mic, cam] as never);
    const pub = s.of('sfu.publish');
    assert.equal(pub.length, 1);
    assert.deepEqual(pub[0]!.sources, [
      { mid: '0', source: 'microphone' },
      { mid: '1', source: 'camera' },
    ]);
    const pc = made.at(-1)!;
    const encodings = pc.transceivers[1]!.init.sendEncodings as {
      rid: string;
      scaleResolutionDownBy: number;
    }[];
    assert.deepEqual(
      encodings.map((e) => [e.rid, e.scaleResolutionDownBy]),
      [
        ['h', 1],
        ['m', 2],
        ['l', 4],
      ],
    );
    assert.equal(pc.transceivers[0]!.init.sendEncodings, undefined);

    // A screen share adds a third m-line (renegotiates); stopping it makes it inactive.
    const screen = new FakeTrack('video', { width: 1920, height: 1080 });
    await sfu.publish([{ track: mic }, { track: cam }, { track: screen, source: 'screen' }] as never);
    assert.deepEqual(s.of('sfu.publish')[1]!.sources?.at(-1), { mid: '2', source: 'screen' });
    assert.equal(pc.transceivers[2]!.init.sendEncodings, undefined, 'the screen goes out in one layer');
    await sfu.publish([mic, cam] as never);
    assert.equal(pc.transceivers[2]!.direction, 'inactive');
    assert.equal(s.of('sfu.publish').length, 3);
    assert.deepEqual(
      s.of('sfu.publish')[2]!.sources?.map((x) => x.source),
      ['microphone', 'camera'],
    );
    // The same tracks again: nothing to negotiate.
    await sfu.publish([mic, cam] as never);
    assert.equal(s.of('sfu.publish').length, 3);
    sfu.close();
  });

  it('a small camera goes out in one layer', async () => {
    const s = server();
    const sfu = session(s);
    await sfu.publish([new FakeTrack('video', { width: 320, height: 240 })] as never);
    assert.equal(made.at(-1)!.transceivers[0]!.init.sendEncodings, undefined);
    sfu.close();
  });

  it('retries a failed publish on a fresh connection with backoff, then gives up after maxAttempts', async () => {
    let failures = 2;
    const s = server((msg) => {
      if (msg.type === 'sfu.publish' && failures-- > 0) throw new Error('SFU_UNAVAILABLE');
      return s.ok(msg);
    });
    const sfu = session(s);
    const errors: [string, boolean][] = [];
    sfu.on('error', (e, final) => errors.push([e.message, final]));
    const before = made.length;
    await sfu.publish([new FakeTrack('audio')] as never);
    assert.equal(s.of('sfu.publish').length, 3);
    assert.equal(s.of('sfu.unpublish').length, 2, 'the half-done publish is dropped before each retry');
    assert.equal(made.length - before, 3, 'one fresh connection per attempt');
    assert.deepEqual(
      errors.map((e) => e[1]),
      [false, false],
    );
    assert.ok(made.at(-2)!.closed);
    sfu.close();

    const never = server((msg) => {
      if (msg.type === 'sfu.publish') throw new Error('SFU_UNAVAILABLE');
      return never.ok(msg);
    });
    const sfu2 = session(never, { maxAttempts: 3 });
    const finals: boolean[] = [];
    sfu2.on('error', (_e, final) => finals.push(final));
    await assert.rejects(sfu2.publish([new FakeTrack('audio')] as never), /SFU_UNAVAILABLE/);
    assert.deepEqual(finals, [false, false, true]);
    sfu2.close();
  });
});

describe('SfuSession › subscribing', () => {
  it('a failed subscribe starts over after a backoff: everyone subscribed again with restart on a fresh connection', async () => {
    let failures = 1;
    const s = server((msg) => {
      if (msg.type === 'sfu.answer' && failures-- > 0) throw new Error('SFU_UNAVAILABLE');
      return s.ok(msg);
    });
    const sfu = session(s);
    const errors: boolean[] = [];
    sfu.on('error', (_e, final) => errors.push(final));
    sfu.onFeeds(['alice', 'bob', 'carol']);
    await until(() => s.of('sfu.answer').length >= 2, { ...onFakes, what: 'second answer' });
    const subs = s.of('sfu.subscribe').map((m) => [m.feeds, m.restart]);
    assert.deepEqual(subs, [
      [['bob', 'carol'], undefined],
      [['bob', 'carol'], true],
    ]);
    assert.deepEqual(errors, [false]);
    sfu.close();
  });

  it('subscriber ICE failure: a fresh subscriber connection and everything subscribed again', async () => {
    const s = server();
    const sfu = session(s);
    sfu.onFeeds(['bob']);
    await until(() => s.of('sfu.answer').length === 1, { ...onFakes, what: 'answer' });
    const first = sfu.subscriber as unknown as FakePC;
    first.failIce();
    await until(() => s.of('sfu.answer').length >= 2, { ...onFakes, what: 'answer on the new connection' });
    assert.ok(first.closed);
    assert.notEqual(sfu.subscriber, first);
    assert.deepEqual(
      s.of('sfu.subscribe').map((m) => [m.feeds, m.restart]),
      [
        [['bob'], undefined],
        [['bob'], true],
      ],
    );
    sfu.close();
  });
  it('a restart the SFU answers without an offer is a failure: retried, then final', async () => {
    let hungUp = false;
    const s = server((msg) => (hungUp && msg.type === 'sfu.subscribe' ? { type: 'ack' } : s.ok(msg)));
    const sfu = session(s, { maxAttempts: 3 });
    const finals: boolean[] = [];
    sfu.on('error', (_e, final) => finals.push(final));
    sfu.onFeeds(['bob']);
    await until(() => s.of('sfu.answer').length === 1, { ...onFakes, what: 'answer' });
    hungUp = true;
    (sfu.subscriber as unknown as FakePC).failIce();
    await until(() => finals.includes(true), { ...onFakes, what: 'final error' });
    assert.deepEqual(finals, [false, false, false, true]);
    assert.equal(sfu.subscriber, undefined);
    sfu.close();
  });
});

describe('SfuSession › layers', () => {
  it('configures each camera once per change, debounced; hidden pauses the camera (the server leaves audio and screen alone)', async () => {
    const s = server((msg) => {
      if (msg.type === 'sfu.subscribe')
        return {
          type: 'sfu.offer',
          room: 'r',
          description: { type: 'offer', sdp: 'o' },
          streams: [
            { mid: '0', feed: 'bob', kind: 'audio' },
            { mid: '1', feed: 'bob', kind: 'video' },
            { mid: '2', feed: 'carol', kind: 'video' },
          ],
        };
      return s.ok(msg);
    });
    const sfu = session(s);
    sfu.onFeeds(['bob', 'carol']);
    await until(() => sfu.subscriber, { ...onFakes, what: 'subscribed' });
    await tick(30);
    assert.equal(s.of('sfu.configure').length, 0, 'no layer before frames flow (nothing to check it by)');
    sfu.onSubscriberStats(
      new Map([
        [
          'v1',
          { id: 'v1', type: 'inbound-rtp', kind: 'video', mid: '1', frameHeight: 720, framesDecoded: 5 },
        ],
        [
          'v2',
          { id: 'v2', type: 'inbound-rtp', kind: 'video', mid: '2', frameHeight: 720, framesDecoded: 5 },
        ],
      ]),
    );
    await until(() => s.of('sfu.configure').length === 2, { ...onFakes, what: 'first configure per feed' });
    // No view yet: the middle layer, said once per feed.
    assert.deepEqual(
      s.of('sfu.configure').map((m) => [m.feed, m.substream, m.paused]),
      [
        ['bob', 1, false],
        ['carol', 1, false],
      ],
    );
    // A burst of resizes coalesces into one configure with the final layer.
    sfu.setVideoView('carol', { width: 300, height: 150 });
    sfu.setVideoView('carol', { width: 1000, height: 500 });
    sfu.setVideoView('carol', { width: 1280, height: 720 });
    await until(() => s.of('sfu.configure').length === 3, { ...onFakes, what: 'resize' });
    await tick(30);
    assert.equal(s.of('sfu.configure').length, 3);
    assert.deepEqual(s.of('sfu.configure')[2], {
      type: 'sfu.configure',
      room: 'r',
      feed: 'carol',
      substream: 2,
    });
    // The same view again: nothing sent.
    sfu.setVideoView('carol', { width: 1280, height: 720 });
    await tick(30);
    assert.equal(s.of('sfu.configure').length, 3);
    // Hidden: both cameras are paused (bob's audio goes on: sfu.configure pauses video only).
    sfu.setVideoView('carol', 'hidden');
    sfu.setVideoView('bob', { width: 160, height: 90 });
    sfu.setVideoView('bob', 'hidden');
    await until(() => s.of('sfu.configure').length === 5, { ...onFakes, what: 'hidden' });
    assert.deepEqual(
      s
        .of('sfu.configure')
        .slice(3)
        .map((m) => [m.feed, m.substream, m.paused]),
      [
        ['bob', undefined, true],
        ['carol', undefined, true],
      ],
    );
    // The active speaker gets one layer more.
    sfu.setVideoView('bob', { width: 320, height: 180 });
    sfu.setActiveSpeaker('bob');
    await until(() => s.of('sfu.configure').length === 6, { ...onFakes, what: 'speaker' });
    assert.deepEqual([s.of('sfu.configure')[5]!.substream, s.of('sfu.configure')[5]!.paused], [1, false]);
    sfu.close();
  });

  it('says a higher layer again, through another one, when the stats show it did not happen', async () => {
    const s = server();
    const sfu = session(s);
    sfu.onFeeds(['bob']);
    const camera = (frameHeight: number, framesDecoded: number) =>
      new Map([['v', { id: 'v', type: 'inbound-rtp', kind: 'video', mid: '1', frameHeight, framesDecoded }]]);
    await until(() => sfu.subscriber, { ...onFakes, what: 'subscribed' });
    sfu.onSubscriberStats(camera(180, 100));
    await until(() => s.of('sfu.configure').length === 1, { ...onFakes, what: 'first configure' });
    sfu.setVideoView('bob', { width: 1280, height: 720 });
    await until(() => s.of('sfu.configure').length === 2, { ...onFakes, what: 'up to 2' });
    // Still 180 px 2 s later: configure 1 then 2, so the SFU asks for a keyframe again.
    sfu.onSubscriberStats(camera(180, 130), Date.now() + 2000);
    await until(() => s.of('sfu.configure').length === 4, { ...onFakes, what: 'nudge' });
    assert.deepEqual(
      s.of('sfu.configure').map((m) => m.substream),
      [1, 2, 1, 2],
    );
    // Once the frames are taller, nothing more.
    sfu.onSubscriberStats(camera(720, 160), Date.now() + 5000);
    await tick(30);
    assert.equal(s.of('sfu.configure').length, 4);
    sfu.close();
  });

  it('lowers every layer when the subscriber link struggles (stats), and says so', async () => {
    const s = server();
    const sfu = session(s);
    const caps: number[] = [];
    sfu.on('link-cap', (c) => caps.push(c));
    sfu.setVideoView('bob', { width: 1280, height: 720 });
    sfu.onFeeds(['bob']);
    await until(() => sfu.subscriber, { ...onFakes, what: 'subscribed' });
    const video = (lost: number, received: number) =>
      new Map([
        [
          'v',
          {
            id: 'v',
            type: 'inbound-rtp',
            kind: 'video',
            mid: '1',
            frameHeight: 720,
            framesDecoded: 1 + received,
            packetsLost: lost,
            packetsReceived: received,
          },
        ],
      ]);
    const t = Date.now() + 10_000; // past the cooldown after the session started
    sfu.onSubscriberStats(video(0, 0), t);
    await until(() => s.of('sfu.configure').length === 1, { ...onFakes, what: 'first configure' });
    assert.equal(s.of('sfu.configure')[0]!.substream, 2);
    sfu.onSubscriberStats(video(50, 300), t + 1000); // 14 % loss
    assert.deepEqual(caps, [1]);
    await until(() => s.of('sfu.configure').length === 2, { ...onFakes, what: 'capped configure' });
    assert.equal(s.of('sfu.configure')[1]!.substream, 1);
    sfu.close();
  });
});

describe('SfuSession › trickle', () => {
  const HOST = 'candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host';

  it('holds publisher candidates until sfu.published, then sends them in order; the end is null', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const s = server(async (msg) => {
      if (msg.type === 'sfu.publish') await gate;
      return s.ok(msg);
    });
    const sfu = session(s);
    const publishing = sfu.publish([new FakeTrack('audio')] as never);
    await until(() => s.of('sfu.publish').length === 1, { ...onFakes, what: 'publish sent' });
    const pc = sfu.publisher as unknown as FakePC;
    pc.gather({ candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 });
    await tick(10);
    assert.equal(s.of('sfu.trickle').length, 0, 'held while the SFU has no publisher yet');
    release();
    await publishing;
    pc.gather(null);
    await until(() => s.of('sfu.trickle').length === 2, { ...onFakes, what: 'both sent' });
    assert.deepEqual(
      s.of('sfu.trickle').map((m) => [m.target, m.candidate]),
      [
        ['publisher', { candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 }],
        ['publisher', null],
      ],
    );
    sfu.close();
  });

  it('sends subscriber candidates right after the answer, and none of a replaced connection', async () => {
    const s = server();
    const sfu = session(s);
    sfu.onFeeds(['bob']);
    await until(() => s.of('sfu.answer').length === 1, { ...onFakes, what: 'answer' });
    const first = sfu.subscriber as unknown as FakePC;
    first.gather({ candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 });
    await until(() => s.of('sfu.trickle').length === 1, { ...onFakes, what: 'trickled' });
    const order = s.sent.map((m) => m.type).filter((t) => t === 'sfu.answer' || t === 'sfu.trickle');
    assert.deepEqual(order, ['sfu.answer', 'sfu.trickle']);
    assert.equal(s.of('sfu.trickle')[0]!.target, 'subscriber');
    first.failIce();
    await until(() => s.of('sfu.answer').length === 2, { ...onFakes, what: 'answer on the new connection' });
    first.gather({ candidate: HOST, sdpMid: '1', sdpMLineIndex: 1 });
    await tick(10);
    assert.equal(s.of('sfu.trickle').length, 1, 'the closed connection sends nothing');
    sfu.close();
  });

  it('with trickle off, waits for gathering and sends no sfu.trickle', async () => {
    const s = server();
    const sfu = session(s, { trickle: false });
    await sfu.publish([new FakeTrack('audio')] as never);
    (sfu.publisher as unknown as FakePC).gather({ candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 });
    await tick(10);
    assert.equal(s.of('sfu.trickle').length, 0);
    sfu.close();
  });
});

describe('SfuSession › a member whose sources changed', () => {
  const withScreen = (feed: string) => ({
    type: 'sfu.offer' as const,
    room: 'r',
    description: { type: 'offer' as const, sdp: 'o2' },
    streams: [
      { mid: '0', feed, kind: 'audio' as const, source: 'microphone' as const },
      { mid: '1', feed, kind: 'video' as const, source: 'camera' as const },
      { mid: '2', feed, kind: 'video' as const, source: 'screen' as const },
    ],
  });
  const subscribes = (s: ReturnType<typeof server>) =>
    s.of('sfu.subscribe').map((m) => [m.feeds.join(','), m.refresh?.join(',') ?? '']);

  it('a screen that started is asked for alone (refresh), the member not taken afresh', async () => {
    let sharing = false;
    const s = server((msg) => {
      if (msg.type !== 'sfu.subscribe' || !sharing) return s.ok(msg);
      // The SFU offers only when something changed: here, the screen on a refresh.
      return msg.refresh ? withScreen('bob') : { type: 'ack' };
    });
    const sfu = session(s);
    sfu.onFeeds(['bob']);
    await until(() => s.of('sfu.answer').length === 1, { ...onFakes, what: 'answer' });
    assert.equal(sfu.hasScreen('bob'), false);
    sharing = true;
    sfu.refresh('bob');
    await until(() => s.of('sfu.answer').length === 2, { ...onFakes, what: 'answer with the screen' });
    await tick(20);
    assert.equal(sfu.hasScreen('bob'), true);
    assert.deepEqual(subscribes(s).slice(0, 2), [
      ['bob', ''],
      ['bob', 'bob'],
    ]);
    assert.ok(!subscribes(s).some(([feeds]) => feeds === ''), 'bob never dropped');
    sfu.close();
  });

  it('an addition the SFU does not show after a few tries, or a screen that stopped, takes the member afresh', async () => {
    let screen = false;
    const s = server((msg) => {
      if (msg.type === 'sfu.subscribe' && msg.refresh) return { type: 'ack' };
      if (msg.type === 'sfu.subscribe' && msg.feeds.length > 0 && screen) return withScreen('bob');
      return s.ok(msg);
    });
    const sfu = session(s);
    sfu.onFeeds(['bob']);
    await until(() => s.of('sfu.answer').length === 1, { ...onFakes, what: 'answer' });
    screen = true;
    sfu.refresh('bob');
    await until(() => s.of('sfu.answer').length === 2, {
      ...onFakes,
      what: 'taken afresh',
      timeoutMs: 5_000,
    });
    assert.deepEqual(subscribes(s), [
      ['bob', ''],
      ['bob', 'bob'],
      ['bob', 'bob'],
      ['bob', 'bob'],
      ['bob', 'bob'],
      ['bob', 'bob'],
      ['', ''],
      ['bob', ''],
    ]);
    // Now the screen stops: no refresh is asked (the SFU keeps listing a stopped stream).
    screen = false;
    sfu.refresh('bob');
    await until(() => s.of('sfu.answer').length === 3, { ...onFakes, what: 'taken afresh again' });
    assert.deepEqual(subscribes(s).slice(8), [
      ['', ''],
      ['bob', ''],
    ]);
    sfu.close();
  });
});
