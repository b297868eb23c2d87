import assert from 'node:assert/strict';
import { afterEach, describe, it, mock, type TestContext } from 'node:test';
import { attachPeerFeatures } from '../../../packages/client/src/features/peer-features.ts';
import { PeerLink, UNREACHABLE_AFTER_MS } from '../../../packages/client/src/features/peer-link.ts';
import {
  PeerSession,
  type RTCPeerConnectionConstructor,
} from '../../../packages/client/src/peer/peer-session.ts';
import { FakePeerConnection } from './fake-peer-connection.ts';

afterEach(() => mock.timers.reset());

/** A bare session (bob → alice) on a fake connection, closed when the test `t` ends. */
function session(t: TestContext): PeerSession {
  const s = new PeerSession({
    localName: 'bob',
    remoteName: 'alice',
    scope: 'room:test',
    send: () => {},
    RTCPeerConnection: FakePeerConnection as unknown as RTCPeerConnectionConstructor,
  });
  t.after(() => s.close());
  return s;
}

describe('attachPeerFeatures', () => {
  it('opens the chat channel first, then attaches file transfers and a stats monitor', (t) => {
    const peer = session(t);
    attachPeerFeatures(peer);
    const fake = peer.pc as unknown as FakePeerConnection;
    assert.equal(fake.channels[0]?.label, 'parley-chat');
    assert.ok(peer.chat);
    assert.ok(peer.files);
    assert.ok(peer.stats);
  });

  it('without data channels: chat and files are null, stats still there', (t) => {
    const peer = session(t);
    attachPeerFeatures(peer, { dataChannels: false });
    assert.equal(peer.chat, null);
    assert.equal(peer.files, null);
    assert.ok(peer.stats);
    assert.equal((peer.pc as unknown as FakePeerConnection).channels.length, 0);
  });

  it('closing the session closes the features before the connection, last attached first', (t) => {
    const peer = session(t);
    attachPeerFeatures(peer);
    const order: string[] = [];
    const fake = peer.pc as unknown as FakePeerConnection & { close(): void };
    const pcClose = fake.close.bind(fake);
    fake.close = () => {
      order.push('pc');
      pcClose();
    };
    const stop = peer.stats.stop.bind(peer.stats);
    peer.stats.stop = () => {
      order.push('stats');
      stop();
    };
    const files = peer.files;
    const chat = peer.chat;
    assert.ok(files && chat);
    const filesClose = files.close.bind(files);
    files.close = () => {
      order.push('files');
      filesClose();
    };
    const chatClose = chat.close.bind(chat);
    chat.close = () => {
      order.push('chat');
      chatClose();
    };
    peer.close();
    assert.deepEqual(order, ['stats', 'files', 'chat', 'pc']);
  });

  it('PeerSession.attach on a closed session closes the feature at once', (t) => {
    const peer = session(t);
    peer.close();
    let closed = false;
    peer.attach({ close: () => (closed = true) });
    assert.equal(closed, true);
  });
});

describe('PeerLink', () => {
  it('refuses a session without data channels', (t) => {
    const peer = session(t);
    attachPeerFeatures(peer, { dataChannels: false });
    assert.throws(() => new PeerLink(peer), { name: 'InvalidStateError' });
  });

  it('says unreachable once when still connecting after UNREACHABLE_AFTER_MS, even to a late listener', (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const peer = session(t);
    attachPeerFeatures(peer);
    const link = new PeerLink(peer, { startStats: false });
    assert.equal(link.name, 'alice');
    assert.equal(link.chat, peer.chat);
    assert.equal(link.files, peer.files);
    mock.timers.tick(UNREACHABLE_AFTER_MS);
    let calls = 0;
    link.onUnreachable(() => calls++);
    assert.equal(calls, 1);
    link.close();
  });

  it('no unreachable timer with unreachableAfterMs null, and none after close', (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const peer = session(t);
    attachPeerFeatures(peer);
    let calls = 0;
    const quiet = new PeerLink(peer, { startStats: false, unreachableAfterMs: null });
    quiet.onUnreachable(() => calls++);
    const closed = new PeerLink(peer, { startStats: false, unreachableAfterMs: 1000 });
    closed.onUnreachable(() => calls++);
    peer.close();
    mock.timers.tick(UNREACHABLE_AFTER_MS * 2);
    assert.equal(calls, 0);
  });

  it('starts stats polling by default and stops it on close', (t) => {
    const peer = session(t);
    attachPeerFeatures(peer);
    const calls: string[] = [];
    peer.stats.start = () => calls.push('start');
    peer.stats.stop = () => calls.push('stop');
    const link = new PeerLink(peer);
    link.close();
    link.close();
    assert.deepEqual(calls, ['start', 'stop']);
  });
});
