// @needs chromium, janus
/**
 * Stream sources through a real Janus: a real Chromium publisher (fake microphone and camera, and a
 * canvas standing in for a screen share: three m-lines, two of them video) says which m-line is
 * which in `sfu.publish {sources}`; once its media is up, a subscriber's `sfu.offer` labels each
 * stream with that source. Sources for mids the offer does not have are ignored. The browser only
 * does WebRTC here; signaling is plain WebSocket clients driven by the test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessageOf } from '@parley/protocol';
import { type BlankMediaWindow, pollPage } from '../../../helpers/browser.ts';
import { feedListed, useSfuPage } from '../../../helpers/sfu-page.ts';
import { connectClient, replyTo } from '../../../helpers/ws-client.ts';

describe('SFU sources (real Janus, real Chromium publisher)', () => {
  const rig = useSfuPage('publisher', { body: '<canvas width="320" height="240"></canvas>' });

  it('SFU › sources given at publish come back as source on the subscriber’s streams; unknown mids are ignored', async (t) => {
    if (!rig.janus.iceAddress) {
      t.skip('no non-loopback address for ICE on this machine');
      return;
    }
    const room = 'sources';
    const pub = await connectClient(rig.server.wsUrl);
    await pub.hello('presenter');
    pub.send({ type: 'room.join', room, mode: 'sfu' });
    assert.equal((await pub.next('room.joined')).mode, 'sfu');
    const sub = await connectClient(rig.server.wsUrl);
    await sub.hello('viewer');
    sub.send({ type: 'room.join', room });
    assert.equal((await sub.next('room.joined')).mode, 'sfu');

    // Microphone, camera and a "screen" (a painted canvas), each on its own sendonly m-line.
    const offer = await rig.page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      const media = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: 320, height: 240 },
      });
      const canvas = document.querySelector('canvas')!;
      const ctx = canvas.getContext('2d')!;
      setInterval(() => {
        ctx.fillStyle = `hsl(${Date.now() % 360}, 60%, 50%)`;
        ctx.fillRect(0, 0, 320, 240);
      }, 50);
      const screen = canvas.captureStream(15).getVideoTracks()[0]!;
      const mic = pc.addTransceiver(media.getAudioTracks()[0]!, { direction: 'sendonly' });
      const cam = pc.addTransceiver(media.getVideoTracks()[0]!, { direction: 'sendonly' });
      const scr = pc.addTransceiver(screen, { direction: 'sendonly' });
      await pc.setLocalDescription();
      await (window as unknown as BlankMediaWindow).gathered(pc);
      return { sdp: pc.localDescription!.sdp, mids: [mic.mid!, cam.mid!, scr.mid!] };
    });
    const [micMid, camMid, scrMid] = offer.mids as [string, string, string];
    const started = Date.now();
    pub.send({
      type: 'sfu.publish',
      id: 'pub',
      room,
      description: { type: 'offer', sdp: offer.sdp },
      sources: [
        { mid: micMid, source: 'microphone' },
        { mid: camMid, source: 'camera' },
        { mid: scrMid, source: 'screen' },
        { mid: 'not-in-the-offer', source: 'camera' },
      ],
    });
    const answer = await pub.next('sfu.published', { timeoutMs: 10_000 });
    await rig.page.evaluate(
      (sdp) =>
        (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp }),
      answer.description.sdp,
    );
    // The presenter's media is up once Janus lists it: everyone hears of the feed.
    await feedListed(sub, 'presenter');
    console.log(`# publish to feed announced: ${Date.now() - started} ms`);

    sub.send({ type: 'sfu.subscribe', id: 'sub', room, feeds: ['presenter'] });
    const subOffer = await sub.next('sfu.offer', { timeoutMs: 10_000 });
    assert.equal(subOffer.re, 'sub');
    const bySource = subOffer.streams.map((s) => [s.kind, s.source, s.feed]).sort();
    assert.deepEqual(bySource, [
      ['audio', 'microphone', 'presenter'],
      ['video', 'camera', 'presenter'],
      ['video', 'screen', 'presenter'],
    ]);
    // Streams carry names and labels only: no Janus ids or descriptions of their own.
    for (const s of subOffer.streams)
      assert.deepEqual(Object.keys(s).sort(), ['feed', 'kind', 'mid', 'source']);
    // The subscriber's mids are its own m-lines in the offer it got.
    for (const s of subOffer.streams)
      assert.match(subOffer.description.sdp, new RegExp(`a=mid:${s.mid}\\r?\\n`));

    // A renegotiation (configure) may relabel: the canvas becomes the camera, the camera the screen.
    const again = await rig.page.evaluate(async () => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription!.sdp;
    });
    pub.send({
      type: 'sfu.publish',
      id: 'pub2',
      room,
      description: { type: 'offer', sdp: again },
      sources: [
        { mid: micMid, source: 'microphone' },
        { mid: camMid, source: 'screen' },
        { mid: scrMid, source: 'camera' },
      ],
    });
    const answer2 = await pub.next('sfu.published', { timeoutMs: 10_000 });
    await rig.page.evaluate(
      (sdp) =>
        (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp }),
      answer2.description.sdp,
    );
    const late = await connectClient(rig.server.wsUrl);
    await late.hello('latecomer');
    late.send({ type: 'room.join', room });
    await late.next('room.joined');
    // A newcomer to an SFU room hears at once who publishes there, without waiting for a change.
    assert.deepEqual((await late.next('sfu.feeds', { timeoutMs: 5_000 })).feeds, [{ name: 'presenter' }]);
    late.send({ type: 'sfu.subscribe', id: 'late', room, feeds: ['presenter'] });
    const lateOffer = await late.next('sfu.offer', { timeoutMs: 10_000 });
    // Janus lists a feed's streams in the publisher's m-line order: microphone, camera track, canvas.
    assert.deepEqual(
      subOffer.streams.map((s) => s.source),
      ['microphone', 'camera', 'screen'],
    );
    assert.deepEqual(
      lateOffer.streams.map((s) => s.source),
      ['microphone', 'screen', 'camera'],
    );
  });
  it('SFU › a subscriber connection closed by the client is hung up by Janus; the next sfu.subscribe for the same feeds gets a fresh offer and media again; a publisher publishes afresh after closing', async (t) => {
    if (!rig.janus.iceAddress) {
      t.skip('no non-loopback address for ICE on this machine');
      return;
    }
    const room = 'restart';
    const speaker = await connectClient(rig.server.wsUrl);
    await speaker.hello('speaker');
    speaker.send({ type: 'room.join', room, mode: 'sfu' });
    await speaker.next('room.joined');
    const watcher = await connectClient(rig.server.wsUrl);
    await watcher.hello('watcher');
    watcher.send({ type: 'room.join', room });
    await watcher.next('room.joined');

    type W = { pub: RTCPeerConnection; sub?: RTCPeerConnection };
    const offer = await rig.page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      (window as unknown as { w: W }).w = { pub: pc };
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      pc.addTransceiver(media.getVideoTracks()[0]!, { direction: 'sendonly' });
      await pc.setLocalDescription();
      await (window as unknown as BlankMediaWindow).gathered(pc);
      return pc.localDescription!.sdp;
    });
    speaker.send({ type: 'sfu.publish', room, description: { type: 'offer', sdp: offer } });
    const published = await speaker.next('sfu.published', { timeoutMs: 10_000 });
    await rig.page.evaluate(
      (sdp) => (window as unknown as { w: W }).w.pub.setRemoteDescription({ type: 'answer', sdp }),
      published.description.sdp,
    );
    await feedListed(watcher, 'speaker');

    /** Answers an sfu.offer with a fresh subscriber connection in the page; resolves its answer. */
    const answerIn = (sdp: string) =>
      rig.page.evaluate(async (offerSdp) => {
        const w = (window as unknown as { w: W }).w;
        const pc = new RTCPeerConnection();
        w.sub = pc;
        await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
        await pc.setLocalDescription();
        await (window as unknown as BlankMediaWindow).gathered(pc);
        return pc.localDescription!.sdp;
      }, sdp);
    const framesDecoded = () =>
      pollPage(
        rig.page,
        async () => {
          const pc = (window as unknown as { w: W }).w.sub!;
          let frames = 0;
          for (const r of (await pc.getStats()).values()) {
            if (r.type === 'inbound-rtp' && r.kind === 'video')
              frames += (r as { framesDecoded?: number }).framesDecoded ?? 0;
          }
          return frames > 5 ? frames : 0;
        },
        { timeoutMs: 15_000, what: 'frames decoded by the subscriber' },
      );

    watcher.send({ type: 'sfu.subscribe', id: 's1', room, feeds: ['speaker'] });
    const first = await watcher.next('sfu.offer', { timeoutMs: 10_000 });
    watcher.send({
      type: 'sfu.answer',
      id: 'a1',
      room,
      description: { type: 'answer', sdp: await answerIn(first.description.sdp) },
    });
    assert.equal((await watcher.next('ack', { timeoutMs: 10_000 })).re, 'a1');
    await framesDecoded();

    // The client drops its subscriber connection (as the SDK does to restart it) and asks again.
    await rig.page.evaluate(() => (window as unknown as { w: W }).w.sub!.close());
    const closedAt = Date.now();
    let attempts = 0;
    let again: ServerMessageOf<'sfu.offer'> | undefined;
    while (!again && attempts < 50) {
      attempts++;
      watcher.send({ type: 'sfu.subscribe', id: `r${attempts}`, room, feeds: ['speaker'] });
      const answer = await replyTo(watcher, `r${attempts}`);
      if (answer.type === 'sfu.offer') again = answer;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(again, 'no fresh sfu.offer after the subscriber connection closed');
    console.log(`# fresh subscriber offer ${Date.now() - closedAt} ms after close (attempt ${attempts})`);
    assert.deepEqual(
      again.streams.map((x) => [x.feed, x.kind]),
      [['speaker', 'video']],
    );
    watcher.send({
      type: 'sfu.answer',
      id: 'a2',
      room,
      description: { type: 'answer', sdp: await answerIn(again.description.sdp) },
    });
    assert.equal((await watcher.next('ack', { timeoutMs: 10_000 })).re, 'a2');
    console.log(`# frames decoded on the new subscriber connection: ${await framesDecoded()}`);

    // A restart announced by the client (`restart: true`, as the SDK sends when its subscriber's
    // ICE failed) gets a fresh offer at once, before Janus noticed anything about the old one.
    const stale = await rig.page.evaluate(() => {
      const w = window as unknown as { w: W; stale?: RTCPeerConnection };
      w.stale = w.w.sub;
      return w.w.sub!.connectionState;
    });
    assert.equal(stale, 'connected');
    watcher.send({ type: 'sfu.subscribe', id: 'restart', room, feeds: ['speaker'], restart: true });
    const restarted = await replyTo(watcher, 'restart');
    assert.equal(restarted.type, 'sfu.offer', JSON.stringify(restarted));
    watcher.send({
      type: 'sfu.answer',
      id: 'a3',
      room,
      description: {
        type: 'answer',
        sdp: await answerIn((restarted as ServerMessageOf<'sfu.offer'>).description.sdp),
      },
    });
    assert.equal((await watcher.next('ack', { timeoutMs: 10_000 })).re, 'a3');
    console.log(`# frames decoded after a restart: ${await framesDecoded()}`);
    await rig.page.evaluate(() => (window as unknown as { stale: RTCPeerConnection }).stale.close());

    // The publisher drops its connection too: its feed goes away; publishing again brings it back.
    await rig.page.evaluate(() => (window as unknown as { w: W }).w.pub.close());
    for (;;) {
      const feeds = await watcher.next('sfu.feeds', { timeoutMs: 15_000 });
      if (!feeds.feeds.some((f) => f.name === 'speaker')) break;
    }
    const offer2 = await rig.page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      (window as unknown as { w: W }).w.pub = pc;
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      pc.addTransceiver(media.getVideoTracks()[0]!, { direction: 'sendonly' });
      await pc.setLocalDescription();
      await (window as unknown as BlankMediaWindow).gathered(pc);
      return pc.localDescription!.sdp;
    });
    speaker.send({ type: 'sfu.publish', id: 'p2', room, description: { type: 'offer', sdp: offer2 } });
    const republished = await replyTo(speaker, 'p2');
    assert.equal(republished.type, 'sfu.published', JSON.stringify(republished));
    await rig.page.evaluate(
      (sdp) => (window as unknown as { w: W }).w.pub.setRemoteDescription({ type: 'answer', sdp }),
      (republished as ServerMessageOf<'sfu.published'>).description.sdp,
    );
    await feedListed(watcher, 'speaker');
  });
});
