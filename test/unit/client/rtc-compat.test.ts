import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoggerFactory } from '../../../packages/client/src/log.ts';
import { RemoteStreams } from '../../../packages/client/src/peer/remote-streams.ts';
import {
  applyMaxBitrate,
  connectionStateOf,
  iceHealthOf,
  setLocal,
  toCandidateInit,
} from '../../../packages/client/src/peer/rtc-compat.ts';

const pcWith = (state: Partial<RTCPeerConnection>) => state as RTCPeerConnection;
const log = createLoggerFactory({ level: 'silent' })('test');

describe('rtc-compat', () => {
  it('derives the connection state from ICE on engines without connectionState', () => {
    assert.equal(connectionStateOf(pcWith({ iceConnectionState: 'checking' })), 'connecting');
    assert.equal(connectionStateOf(pcWith({ iceConnectionState: 'completed' })), 'connected');
    assert.equal(connectionStateOf(pcWith({ iceConnectionState: 'failed' })), 'failed');
    assert.equal(
      connectionStateOf(pcWith({ iceConnectionState: 'checking', connectionState: 'connected' })),
      'connected',
    );
  });

  it('ICE health: failed (either state), disconnected, else ok', () => {
    assert.equal(iceHealthOf(pcWith({ iceConnectionState: 'failed' })), 'failed');
    assert.equal(
      iceHealthOf(pcWith({ iceConnectionState: 'connected', connectionState: 'failed' })),
      'failed',
    );
    assert.equal(iceHealthOf(pcWith({ iceConnectionState: 'disconnected' })), 'disconnected');
    assert.equal(iceHealthOf(pcWith({ iceConnectionState: 'checking' })), 'ok');
  });

  it('toCandidateInit leaves absent fields out', () => {
    assert.deepEqual(toCandidateInit({ candidate: 'candidate:1', sdpMid: '0' }), {
      candidate: 'candidate:1',
      sdpMid: '0',
    });
    assert.deepEqual(toCandidateInit({}), { candidate: '' });
  });

  it('setLocal falls back to createOffer on engines without argument-less setLocalDescription', async () => {
    const calls: unknown[] = [];
    const pc = pcWith({
      setLocalDescription: async (d?: RTCLocalSessionDescriptionInit) => {
        calls.push(d ?? 'none');
        if (!d) throw new TypeError('description required');
      },
      createOffer: async () => ({ type: 'offer', sdp: 'v=0' }),
    } as Partial<RTCPeerConnection>);
    await setLocal(pc, 'offer');
    assert.deepEqual(calls, ['none', { type: 'offer', sdp: 'v=0' }]);
  });

  it('applyMaxBitrate sets and removes maxBitrate on every encoding, and skips senders without encodings', async () => {
    const params = { encodings: [{ maxBitrate: 1 }, {}] } as RTCRtpSendParameters;
    let set = 0;
    const sender = {
      getParameters: () => params,
      setParameters: async () => {
        set++;
      },
    } as unknown as RTCRtpSender;
    await applyMaxBitrate(sender, 300_000, log);
    assert.deepEqual(params.encodings, [{ maxBitrate: 300_000 }, { maxBitrate: 300_000 }]);
    await applyMaxBitrate(sender, null, log);
    assert.deepEqual(params.encodings, [{}, {}]);
    const empty = { getParameters: () => ({ encodings: [] }), setParameters: async () => set++ };
    await applyMaxBitrate(empty as unknown as RTCRtpSender, 1, log);
    await applyMaxBitrate({} as RTCRtpSender, 1, log);
    assert.equal(set, 2);
  });
});

describe('RemoteStreams', () => {
  it('files tracks under their stream, and forgets a stream the peer emptied', () => {
    const listeners: ((e: { track: MediaStreamTrack }) => void)[] = [];
    let tracks = 1;
    const stream = {
      id: 's1',
      getTracks: () => Array.from({ length: tracks }),
      addEventListener: (_: string, fn: (e: { track: MediaStreamTrack }) => void) => listeners.push(fn),
    } as unknown as MediaStream;
    const removed: string[] = [];
    const streams = new RemoteStreams((track) => removed.push(track.id));
    const track = { id: 't1', kind: 'video' } as MediaStreamTrack;
    assert.equal(streams.add({ track, streams: [stream] } as unknown as RTCTrackEvent), stream);
    streams.add({ track: { id: 't2' }, streams: [stream] } as unknown as RTCTrackEvent);
    assert.equal(listeners.length, 1);
    assert.deepEqual(streams.all, [stream]);
    tracks = 0;
    listeners[0]?.({ track });
    assert.deepEqual(removed, ['t1']);
    assert.deepEqual(streams.all, []);
  });
});
