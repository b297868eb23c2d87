/**
 * The Node RTCPeerConnection adapter (packages/cli/src/webrtc) against the real native stack:
 * two peers in one process negotiate with the SDK's perfect-negotiation sequence, open data
 * channels and move data with backpressure. Throughput figures are printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import nodeDataChannel from 'node-datachannel';
import { type NodeRTCDataChannel, NodeRTCPeerConnection } from '../../../packages/cli/src/webrtc/index.ts';
import { until } from '../../helpers/wait.ts';
import { type AdapterPair, createAdapterPair } from './adapter-pair.ts';

let pair: AdapterPair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});
// libdatachannel's threads keep the process alive after the last connection closed; release
// them so this test file's process can exit.
after(() => nodeDataChannel.cleanup());

function incoming(pc: AdapterPair['b']): Promise<NodeRTCDataChannel> {
  return new Promise((resolve) => {
    pc.addEventListener(
      'datachannel',
      (e) => resolve((e as unknown as { channel: NodeRTCDataChannel }).channel),
      {
        once: true,
      },
    );
  });
}

function opened(channel: NodeRTCDataChannel): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve) => channel.addEventListener('open', () => resolve(), { once: true }));
}

/**
 * Sends `totalBytes` in `messageBytes` messages with two watermarks on `bufferedAmount` (the SDK's
 * file-transfer pattern), and returns MB/s measured at the receiver.
 */
async function measure(
  send: NodeRTCDataChannel,
  recv: NodeRTCDataChannel,
  messageBytes: number,
  totalBytes: number,
): Promise<{ mbPerS: number; lowEvents: number; peakBuffered: number }> {
  const high = 4 * 1024 * 1024;
  send.bufferedAmountLowThreshold = 1024 * 1024;
  let received = 0;
  let lowEvents = 0;
  let peakBuffered = 0;
  const done = new Promise<void>((resolve) => {
    recv.onmessage = (e) => {
      received += (e.data as ArrayBuffer).byteLength;
      if (received >= totalBytes) resolve();
    };
  });
  const chunk = new Uint8Array(messageBytes).fill(7);
  const started = performance.now();
  let sent = 0;
  while (sent < totalBytes) {
    if (send.bufferedAmount > high) {
      await new Promise<void>((resolve) =>
        send.addEventListener(
          'bufferedamountlow',
          () => {
            lowEvents++;
            resolve();
          },
          { once: true },
        ),
      );
    }
    send.send(chunk);
    sent += messageBytes;
    peakBuffered = Math.max(peakBuffered, send.bufferedAmount);
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  return { mbPerS: totalBytes / 1e6 / seconds, lowEvents, peakBuffered };
}

describe('NodeRTCPeerConnection', () => {
  test('two peers negotiate, open a channel and exchange text and binary messages', async () => {
    pair = createAdapterPair();
    const { a, b } = pair;
    const remote = incoming(b);
    const local = a.createDataChannel('chat');
    const far = await remote;
    await Promise.all([opened(local), opened(far)]);
    assert.equal(a.connectionState, 'connected');
    assert.equal(b.connectionState, 'connected');
    assert.equal(far.label, 'chat');
    assert.equal(a.sctp?.maxMessageSize, 256 * 1024);

    const got: unknown[] = [];
    far.onmessage = (e) => got.push(e.data);
    local.send('héllo');
    local.send(new Uint8Array([1, 2, 3]));
    local.send(new Uint16Array([0x0102]).buffer);
    await until(() => got.length === 3, { what: 'three messages', intervalMs: 5 });
    assert.equal(got[0], 'héllo');
    assert.deepEqual([...new Uint8Array(got[1] as ArrayBuffer)], [1, 2, 3]);
    assert.equal((got[2] as ArrayBuffer).byteLength, 2);

    const stats = [...(await a.getStats()).values()];
    const channelStats = stats.find((s) => s.type === 'data-channel');
    assert.equal(channelStats?.messagesSent, 3);
    const pairStats = stats.find((s) => s.type === 'candidate-pair');
    assert.equal(pairStats?.state, 'succeeded');
    assert.ok(stats.some((s) => s.type === 'local-candidate' && s.candidateType === 'host'));
    assert.deepEqual(pair.errors, []);
  });

  test('glare: both sides offer at once and the polite side rolls back', async () => {
    pair = createAdapterPair();
    const { a, b } = pair;
    const fromA = a.createDataChannel('from-a');
    const fromB = b.createDataChannel('from-b');
    const seenByB: string[] = [];
    b.addEventListener('datachannel', (e) =>
      seenByB.push((e as unknown as { channel: NodeRTCDataChannel }).channel.label),
    );
    await opened(fromA);
    await until(() => a.connectionState === 'connected' && b.connectionState === 'connected', {
      what: 'connected',
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    // b's first channel is carried by the same SCTP association after b yielded to a's offer.
    await opened(fromB);
    await until(() => seenByB.includes('from-a'), { what: 'b to see a channel', intervalMs: 5 });
    assert.equal(a.signalingState, 'stable');
    assert.equal(b.signalingState, 'stable');
    assert.deepEqual(pair.errors, []);
  });

  test('glare on a slow signaling path: the polite side starts afresh and both sides connect', async () => {
    // Both offers are gathered and their ICE agents running before either offer arrives: the case
    // where libdatachannel's own rollback leaves a stale controlling agent (see #rollback()).
    for (let round = 0; round < 3; round++) {
      pair = createAdapterPair({}, {}, 80);
      const { a, b } = pair;
      // The SDK's pattern: the negotiated chat channel first, then an in-band one.
      const chatA = a.createDataChannel('parley-chat', { negotiated: true, id: 0 });
      const chatB = b.createDataChannel('parley-chat', { negotiated: true, id: 0 });
      const fileB = b.createDataChannel('parley-file/x');
      await Promise.all([opened(chatA), opened(chatB), opened(fileB)]);
      const got = new Promise<string>((resolve) => {
        chatB.onmessage = (e) => resolve(e.data as string);
      });
      chatA.send('after glare');
      assert.equal(await got, 'after glare');
      assert.deepEqual(pair.errors, []);
      pair.close();
      pair = undefined;
    }
  });

  test('the first offer holds its candidates until the answer, so a late answer cannot fail DTLS', async () => {
    // The answer travels "through a slow server" (400 ms) while the peer-to-peer path is instant:
    // an answerer that knew our candidates would start DTLS before we know its fingerprint.
    pair = { a: new NodeRTCPeerConnection(), b: new NodeRTCPeerConnection(), errors: [], close() {} };
    const { a, b } = pair;
    pair.close = () => {
      a.close();
      b.close();
    };
    const fromA: (RTCIceCandidateInit | null)[] = [];
    a.addEventListener('icecandidate', (e) => {
      const c = (e as RTCPeerConnectionIceEvent).candidate;
      fromA.push(c ? c.toJSON() : null);
      if (c) void b.addIceCandidate(c.toJSON());
    });
    b.addEventListener('icecandidate', (e) => {
      const c = (e as RTCPeerConnectionIceEvent).candidate;
      if (c && a.remoteDescription) void a.addIceCandidate(c.toJSON());
    });
    const channel = a.createDataChannel('late-answer');
    await a.setLocalDescription();
    const offer = a.localDescription!;
    assert.doesNotMatch(offer.sdp, /a=candidate:|a=end-of-candidates/);
    await b.setRemoteDescription(offer.toJSON());
    await b.setLocalDescription();
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(fromA, [], 'no candidate announced before the answer');
    await a.setRemoteDescription(b.localDescription!.toJSON());
    await opened(channel);
    assert.ok(
      fromA.length >= 2 && fromA.at(-1) === null,
      'candidates then end-of-candidates after the answer',
    );
  });

  test('announces candidates without the a= prefix and ends gathering with a null candidate', async () => {
    pair = createAdapterPair();
    const candidates: (string | null)[] = [];
    pair.a.addEventListener('icecandidate', (e) =>
      candidates.push((e as RTCPeerConnectionIceEvent).candidate?.candidate ?? null),
    );
    pair.a.createDataChannel('x');
    await until(() => candidates.includes(null), { what: 'end of candidates', intervalMs: 5 });
    assert.ok(candidates.length >= 2);
    assert.equal(candidates.at(-1), null);
    assert.equal(candidates.indexOf(null), candidates.length - 1, 'null comes last, once');
    for (const c of candidates.slice(0, -1)) assert.match(c!, /^candidate:/);
  });

  test('binds to loopback when asked (hosts with no other interface)', async () => {
    pair = createAdapterPair({ bindAddress: '127.0.0.1' });
    const remote = incoming(pair.b);
    const local = pair.a.createDataChannel('lo');
    await Promise.all([opened(local), remote.then(opened)]);
    const stats = [...(await pair.a.getStats()).values()];
    assert.equal(stats.find((s) => s.type === 'local-candidate')?.address, '127.0.0.1');
  });

  test('send() rejects messages above maxMessageSize and sends on a closed channel', async () => {
    pair = createAdapterPair();
    const remote = incoming(pair.b);
    const local = pair.a.createDataChannel('limits');
    await Promise.all([opened(local), remote.then(opened)]);
    assert.throws(() => local.send(new Uint8Array(256 * 1024 + 1)), TypeError);
    local.send(new Uint8Array(256 * 1024));
    local.close();
    await until(() => local.readyState === 'closed', { what: 'channel closed', intervalMs: 5 });
    assert.throws(() => local.send('late'), { name: 'InvalidStateError' });
  });

  test('after close(), state reads closed and methods throw InvalidStateError', async () => {
    pair = createAdapterPair();
    pair.a.close();
    assert.equal(pair.a.connectionState, 'closed');
    assert.equal(pair.a.signalingState, 'closed');
    assert.throws(() => pair!.a.createDataChannel('x'), { name: 'InvalidStateError' });
    await assert.rejects(pair.a.setLocalDescription(), { name: 'InvalidStateError' });
  });

  for (const messageBytes of [64 * 1024, 256 * 1024]) {
    test(`moves 64 MiB in ${messageBytes / 1024} KiB messages with backpressure (throughput)`, async (t) => {
      pair = createAdapterPair();
      const remote = incoming(pair.b);
      const local = pair.a.createDataChannel('bulk');
      const far = await remote;
      await Promise.all([opened(local), opened(far)]);
      const result = await measure(local, far, messageBytes, 64 * 1024 * 1024);
      t.diagnostic(
        `${messageBytes / 1024} KiB messages: ${result.mbPerS.toFixed(1)} MB/s, ` +
          `${result.lowEvents} bufferedamountlow waits, peak bufferedAmount ${result.peakBuffered}`,
      );
      assert.ok(result.lowEvents > 0, 'the sender waited for bufferedamountlow at least once');
      assert.ok(result.peakBuffered < 4 * 1024 * 1024 + messageBytes * 2, 'the high watermark held');
      assert.ok(result.mbPerS > 2, `throughput ${result.mbPerS} MB/s is implausibly low`);
    });
  }
});
