// @needs chromium, janus
/**
 * A publisher adds a screen share to its live connection: a subscriber that asks
 * `sfu.subscribe {refresh: [name]}` gets an offer that adds the screen alone, while the streams
 * it already receives keep their mids and never stop decoding. A stopped screen (its m-line
 * inactive) stays listed by Janus, so a refresh then changes nothing. Real Janus, real Chromium
 * for both connections, plain WebSocket clients for signaling.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessageOf } from '@parley/protocol';
import type { BlankMediaWindow } from '../../../helpers/browser.ts';
import { feedListed, useSfuPage } from '../../../helpers/sfu-page.ts';
import { until } from '../../../helpers/wait.ts';
import { connectClient, replyTo, type TestClient } from '../../../helpers/ws-client.ts';

type W = { pub: RTCPeerConnection; sub?: RTCPeerConnection; screen?: RTCRtpTransceiver };

describe('SFU refresh of a member whose streams changed (real Janus, real Chromium)', () => {
  const rig = useSfuPage('refresh', { body: '<canvas width="320" height="240"></canvas>' });

  /** Gathers `pc`'s description completely (no trickle in this test). */
  const localSdp = (script: string) => rig.page.evaluate(script) as Promise<string>;

  /** Frames decoded per subscriber mid. */
  const framesByMid = () =>
    rig.page.evaluate(async () => {
      const out: Record<string, number> = {};
      const pc = (window as unknown as { w: W }).w.sub!;
      for (const s of (await pc.getStats()).values())
        if (s.type === 'inbound-rtp' && s.kind === 'video') out[s.mid as string] = s.framesDecoded as number;
      return out;
    });

  async function answer(sub: TestClient, room: string, offer: ServerMessageOf<'sfu.offer'>, id: string) {
    const sdp = await rig.page.evaluate(async (offerSdp) => {
      const g = (window as unknown as { w: W }).w;
      g.sub ??= new RTCPeerConnection();
      const pc = g.sub;
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      await pc.setLocalDescription();
      await (window as unknown as BlankMediaWindow).gathered(pc);
      return pc.localDescription!.sdp;
    }, offer.description.sdp);
    sub.send({ type: 'sfu.answer', id, room, description: { type: 'answer', sdp } });
    assert.equal((await sub.next('ack', { timeoutMs: 10_000 })).re, id);
  }

  it('SFU › refresh adds a screen share started on a live publisher alone: the camera keeps its mid and never stops; a stopped screen changes nothing', async (t) => {
    if (!rig.janus.iceAddress) {
      t.skip('no non-loopback address for ICE on this machine');
      return;
    }
    const room = 'refresh';
    const pub = await connectClient(rig.server.wsUrl);
    await pub.hello('presenter');
    pub.send({ type: 'room.join', room, mode: 'sfu' });
    await pub.next('room.joined');
    const sub = await connectClient(rig.server.wsUrl);
    await sub.hello('viewer');
    sub.send({ type: 'room.join', room });
    await sub.next('room.joined');

    const offer = await localSdp(`(async () => {
      const pc = new RTCPeerConnection();
      window.w = { pub: pc };
      const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
      pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendonly' });
      pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly' });
      await pc.setLocalDescription();
      await window.gathered(pc);
      return pc.localDescription.sdp;
    })()`);
    const sources = [
      { mid: '0', source: 'microphone' },
      { mid: '1', source: 'camera' },
    ] as const;
    pub.send({
      type: 'sfu.publish',
      id: 'p1',
      room,
      description: { type: 'offer', sdp: offer },
      sources: [...sources],
    });
    const published = await pub.next('sfu.published', { timeoutMs: 10_000 });
    await rig.page.evaluate(
      (sdp) => (window as unknown as { w: W }).w.pub.setRemoteDescription({ type: 'answer', sdp }),
      published.description.sdp,
    );
    await feedListed(sub, 'presenter');
    sub.send({ type: 'sfu.subscribe', id: 's1', room, feeds: ['presenter'] });
    const first = await sub.next('sfu.offer', { timeoutMs: 10_000 });
    await answer(sub, room, first, 'a1');
    const camMid = first.streams.find((s) => s.source === 'camera')!.mid;
    await until(framesByMid, {
      what: '(f[camMid] ?? 0) > 10',
      timeoutMs: 15_000,
      intervalMs: 200,
      accept: (f) => (f[camMid] ?? 0) > 10,
    });

    // The presenter starts sharing a "screen" (a painted canvas) on its live connection.
    const again = await localSdp(`(async () => {
      const c = document.querySelector('canvas');
      const g = c.getContext('2d');
      setInterval(() => { g.fillStyle = 'hsl(' + (Date.now() % 360) + ',60%,50%)'; g.fillRect(0, 0, 320, 240); }, 50);
      window.w.screen = window.w.pub.addTransceiver(c.captureStream(15).getVideoTracks()[0], { direction: 'sendonly' });
      await window.w.pub.setLocalDescription(await window.w.pub.createOffer());
      return window.w.pub.localDescription.sdp;
    })()`);
    pub.send({
      type: 'sfu.publish',
      id: 'p2',
      room,
      description: { type: 'offer', sdp: again },
      sources: [...sources, { mid: '2', source: 'screen' }],
    });
    const republished = await pub.next('sfu.published', { timeoutMs: 10_000 });
    await rig.page.evaluate(
      (sdp) => (window as unknown as { w: W }).w.pub.setRemoteDescription({ type: 'answer', sdp }),
      republished.description.sdp,
    );

    // Without refresh nothing changes for the viewer; with it, the screen comes, alone.
    sub.send({ type: 'sfu.subscribe', id: 'same', room, feeds: ['presenter'] });
    assert.equal((await sub.next('ack', { timeoutMs: 10_000 })).re, 'same');
    let withScreen: ServerMessageOf<'sfu.offer'> | undefined;
    for (let i = 0; i < 30 && !withScreen; i++) {
      sub.send({ type: 'sfu.subscribe', id: `r${i}`, room, feeds: ['presenter'], refresh: ['presenter'] });
      const reply = await replyTo(sub, `r${i}`);
      if (reply.type === 'sfu.offer') withScreen = reply;
      else await new Promise((r) => setTimeout(r, 200)); // Janus has not taken the new stream yet
    }
    assert.ok(withScreen, 'an offer with the screen');
    assert.deepEqual(
      withScreen.streams.map((s) => [s.mid, s.kind, s.source]),
      [
        ...first.streams.map((s) => [s.mid, s.kind, s.source]),
        [withScreen.streams.at(-1)!.mid, 'video', 'screen'],
      ],
      'the streams received keep their mids; the screen is added once',
    );
    const screenMid = withScreen.streams.at(-1)!.mid;
    const beforeAnswer = await framesByMid();
    await answer(sub, room, withScreen, 'a2');
    const both = await until(framesByMid, {
      what: '(f[screenMid] ?? 0) > 10 && (f[camMid] ?? 0) > beforeAnswer[camMid]! + 10',
      timeoutMs: 15_000,
      intervalMs: 200,
      accept: (f) => (f[screenMid] ?? 0) > 10 && (f[camMid] ?? 0) > beforeAnswer[camMid]! + 10,
    });
    console.log(
      `# refresh: camera ${beforeAnswer[camMid]} -> ${both[camMid]} frames, screen ${both[screenMid]}`,
    );

    // The presenter stops sharing (its screen m-line goes inactive): Janus keeps listing that
    // stream, so a refresh changes nothing (the SDK takes such a member afresh instead); the
    // screen's frames stop and the camera goes on.
    const stopped = await localSdp(`(async () => {
      window.w.screen.direction = 'inactive';
      await window.w.pub.setLocalDescription(await window.w.pub.createOffer());
      return window.w.pub.localDescription.sdp;
    })()`);
    pub.send({
      type: 'sfu.publish',
      id: 'p3',
      room,
      description: { type: 'offer', sdp: stopped },
      sources: [...sources],
    });
    const republished2 = await pub.next('sfu.published', { timeoutMs: 10_000 });
    await rig.page.evaluate(
      (sdp) => (window as unknown as { w: W }).w.pub.setRemoteDescription({ type: 'answer', sdp }),
      republished2.description.sdp,
    );
    sub.send({ type: 'sfu.subscribe', id: 'e1', room, feeds: ['presenter'], refresh: ['presenter'] });
    assert.equal((await replyTo(sub, 'e1')).type, 'ack');
    await new Promise((r) => setTimeout(r, 500));
    const later = await framesByMid();
    await until(framesByMid, {
      what: '(f[camMid] ?? 0) > later[camMid]! + 10',
      timeoutMs: 15_000,
      intervalMs: 200,
      accept: (f) => (f[camMid] ?? 0) > later[camMid]! + 10,
    });
    const last = await framesByMid();
    assert.ok(
      last[screenMid]! - later[screenMid]! <= 2,
      `no screen frames once stopped (${later[screenMid]} -> ${last[screenMid]})`,
    );
  });
});
