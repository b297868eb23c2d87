/**
 * Conversations › routes server frames to calls and rooms, and keeps the frames that arrive
 * before their call can take them: delivered once, in order; bounded in count and time; dropped
 * for calls that ended. Calls and rooms are the real classes on a fake host with fake peers.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Call } from '../../../packages/client/src/call.ts';
import {
  type ConversationFrame,
  Conversations,
  type EarlyLimits,
} from '../../../packages/client/src/conversations.ts';
import type { LocalMedia } from '../../../packages/client/src/features/media.ts';
import type { ConversationHost } from '../../../packages/client/src/host.ts';
import type { Logger } from '../../../packages/client/src/log.ts';
import type { PeerSession } from '../../../packages/client/src/peer/peer-session.ts';
import type { SignalData } from '../../../packages/client/src/peer/signal-data.ts';
import { Room } from '../../../packages/client/src/room.ts';
import { tick } from './fakes.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** A peer session that records the signals it is handed. */
function fakePeer(remote: string): PeerSession & { got: SignalData[] } {
  const got: SignalData[] = [];
  return {
    got,
    remoteName: remote,
    state: 'connecting',
    chat: undefined,
    on() {},
    handleSignal: (d: SignalData) => got.push(d),
    close() {},
    sendMediaState() {},
  } as unknown as PeerSession & { got: SignalData[] };
}

/** A host whose peers are fakes, wired to `conversations` as the client wires it. */
function setup(earlyLimits?: Partial<EarlyLimits>) {
  const peers: (PeerSession & { got: SignalData[] })[] = [];
  const remembered: string[][] = [];
  const conversations = new Conversations({
    logger: quiet,
    onCallsChanged: (ids) => remembered.push(ids),
    ...(earlyLimits ? { earlyLimits } : {}),
  });
  const host = {
    name: 'alice',
    graceMs: 20_000,
    send() {},
    request: async () => ({ type: 'ack' }),
    createPeer: (remote: string) => {
      const peer = fakePeer(remote);
      peers.push(peer);
      return peer;
    },
    callReady: (id: string) => conversations.callReady(id),
    forget: (what: { call?: string; room?: string }) => conversations.forget(what),
    logger: () => quiet,
  } as unknown as ConversationHost;
  return { conversations, host, peers, remembered };
}

const offer = (call: string, from = 'bob', sdp = 'v=0'): ConversationFrame => ({
  type: 'signal',
  from,
  data: { kind: 'description', scope: `call:${call}`, description: { type: 'offer', sdp } },
});
const accepted = (call: string): ConversationFrame => ({ type: 'call.accepted', call, peer: 'bob' });

const toClose: Conversations[] = [];
afterEach(() => {
  for (const c of toClose.splice(0)) c.close();
});

describe('Conversations › frames for a call not known yet', () => {
  it('are kept and delivered once, in order, when the call registers', () => {
    const { conversations, host, peers, remembered } = setup();
    toClose.push(conversations);
    conversations.route(accepted('c1'));
    conversations.route(offer('c1', 'bob', 'v=0 a'));
    conversations.route(offer('c1', 'bob', 'v=0 b'));
    assert.equal(conversations.waiting, 1);
    const call = new Call(host, { id: 'c1', remote: 'bob', direction: 'outgoing' });
    conversations.addCall(call);
    assert.equal(call.state, 'connecting', 'call.accepted delivered');
    assert.equal(peers.length, 1);
    assert.deepEqual(
      peers[0]?.got.map((d) => (d.kind === 'description' ? d.description.sdp : d.kind)),
      ['v=0 a', 'v=0 b'],
    );
    assert.equal(conversations.waiting, 0);
    conversations.callReady('c1');
    assert.equal(peers[0]?.got.length, 2, 'not delivered twice');
    assert.deepEqual(remembered.at(-1), ['c1']);
  });

  it('signals for a registered call without a peer session wait for it', () => {
    const { conversations, host, peers } = setup();
    toClose.push(conversations);
    const call = new Call(host, { id: 'c2', remote: 'bob', direction: 'outgoing' });
    conversations.addCall(call);
    conversations.route(offer('c2'));
    assert.equal(peers.length, 0);
    assert.equal(conversations.waiting, 1);
    conversations.route(accepted('c2'));
    assert.equal(peers[0]?.got.length, 1, 'delivered when the peer session started');
    assert.equal(conversations.waiting, 0);
    conversations.route(offer('c2'));
    assert.equal(peers[0]?.got.length, 2, 'later signals go straight through');
  });

  it('keeps at most framesPerCall frames per call and frames of at most `calls` calls', () => {
    const { conversations, host, peers } = setup({ framesPerCall: 3, calls: 2 });
    toClose.push(conversations);
    conversations.route(accepted('c1'));
    for (let i = 0; i < 5; i++) conversations.route(offer('c1', 'bob', `v=0 ${i}`));
    conversations.route(accepted('c2'));
    conversations.route(accepted('c3'));
    assert.equal(conversations.waiting, 2, 'a third call is not tracked');
    const c1 = new Call(host, { id: 'c1', remote: 'bob', direction: 'outgoing' });
    conversations.addCall(c1);
    assert.deepEqual(
      peers[0]?.got.map((d) => (d.kind === 'description' ? d.description.sdp : d.kind)),
      ['v=0 0', 'v=0 1'],
      'call.accepted plus the first two signals: three frames',
    );
    const c3 = new Call(host, { id: 'c3', remote: 'bob', direction: 'outgoing' });
    conversations.addCall(c3);
    assert.equal(c3.state, 'ringing', 'nothing was kept for the untracked call');
  });

  it('drops kept frames after ttlMs', async () => {
    const { conversations, host } = setup({ ttlMs: 5 });
    toClose.push(conversations);
    conversations.route(accepted('c1'));
    assert.equal(conversations.waiting, 1);
    await tick(30);
    assert.equal(conversations.waiting, 0);
    const call = new Call(host, { id: 'c1', remote: 'bob', direction: 'outgoing' });
    conversations.addCall(call);
    assert.equal(call.state, 'ringing');
  });
});

describe('Conversations › frames for calls that ended or are not ours', () => {
  it('drops frames for a call that ended instead of keeping them', () => {
    const { conversations, host, peers, remembered } = setup();
    toClose.push(conversations);
    const call = new Call(host, { id: 'c1', remote: 'bob', direction: 'outgoing' });
    conversations.addCall(call);
    conversations.route(accepted('c1'));
    conversations.route({ type: 'call.ended', call: 'c1', peer: 'bob', reason: 'hangup', by: 'bob' });
    assert.equal(call.state, 'ended');
    assert.equal(call.endedBy, 'bob');
    assert.equal(conversations.calls.size, 0);
    assert.deepEqual(remembered.at(-1), []);
    conversations.route(offer('c1'));
    conversations.route({ type: 'call.ended', call: 'c1', peer: 'bob', reason: 'hangup' });
    assert.equal(conversations.waiting, 0, 'nothing kept for an ended call');
    assert.equal(peers[0]?.got.length, 0);
  });

  it('drops a signal for a known call from another name, and undecodable signal data', () => {
    const { conversations, host, peers } = setup();
    toClose.push(conversations);
    conversations.addCall(new Call(host, { id: 'c1', remote: 'bob', direction: 'outgoing' }));
    conversations.route(accepted('c1'));
    conversations.route(offer('c1', 'mallory'));
    conversations.route({ type: 'signal', from: 'bob', data: { kind: 'nonsense', scope: 'call:c1' } });
    assert.equal(peers[0]?.got.length, 0);
    assert.equal(conversations.waiting, 0);
  });
});

describe('Conversations › rooms', () => {
  it('routes room frames by name and signals by room scope to members only', () => {
    const { conversations, host, peers } = setup();
    toClose.push(conversations);
    const media = { on() {}, off() {}, stop() {}, attach: async () => {}, detach() {}, state: {} };
    const room = new Room(host, 'standup', media as unknown as LocalMedia);
    conversations.addRoom(room);
    const messages: unknown[] = [];
    room.on('message', (from, data) => messages.push([from, data]));
    conversations.route({ type: 'room.joined', room: 'standup', peers: ['bob'] });
    conversations.route({ type: 'room.message', room: 'standup', from: 'bob', data: { hi: 1 } });
    conversations.route({ type: 'room.message', room: 'other', from: 'bob', data: { hi: 2 } });
    const signal = (from: string): ConversationFrame => ({
      type: 'signal',
      from,
      data: { kind: 'candidate', scope: 'room:standup', candidate: null },
    });
    conversations.route(signal('bob'));
    conversations.route(signal('mallory'));
    assert.equal(room.state, 'joined');
    assert.deepEqual(messages, [['bob', { hi: 1 }]]);
    assert.equal(peers.length, 1);
    assert.equal(peers[0]?.got.length, 1, 'the member’s signal only');
    conversations.route({ type: 'peer.left', room: 'standup', name: 'bob', reason: 'left' });
    assert.equal(room.peers.size, 0);
    void room.leave();
    assert.equal(conversations.rooms.size, 0, 'a room that left is forgotten');
  });
});
