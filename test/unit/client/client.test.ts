import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { LIMITS } from '@parley/protocol';
import type { Call } from '../../../packages/client/src/call.ts';
import type { E2eeSetup } from '../../../packages/client/src/features/e2ee/e2ee-session.ts';
import { until } from '../../helpers/wait.ts';
import type { FakePeerConnection } from './fake-peer-connection.ts';
import { closeClients, type FakeSocket, onFakes, openClient, welcome } from './fakes.ts';

afterEach(closeClients);

const start = () => openClient();

const signalsTo = (s: FakeSocket, to: string) =>
  s.sent.filter((f) => f.type === 'signal' && f.to === to).map((f) => f.data as Record<string, unknown>);

describe('ParleyClient › calls (fake server, fake peer connection)', () => {
  it('places a call: ringing, accepted, peer session on the call scope, hangup', async () => {
    const { client, s } = await start();
    const pending = client.call('bob', { media: false, data: { video: true } });
    await until(() => s.last('call.invite'), { ...onFakes, what: 'invite' });
    const invite = s.last('call.invite');
    assert.deepEqual(invite?.data, { video: true });
    s.push({ type: 'call.ringing', re: invite?.id, call: 'c1', to: 'bob' });
    const call = await pending;
    assert.equal(call.state, 'ringing');
    assert.equal(client.calls.get('c1'), call);

    s.push({ type: 'call.accepted', call: 'c1', peer: 'bob' });
    assert.equal(call.state, 'connecting');
    assert.ok(call.peer, 'peer session created on accept');
    await until(() => signalsTo(s, 'bob').some((d) => d.kind === 'description'), {
      ...onFakes,
      what: 'offer to bob',
    });
    assert.ok(signalsTo(s, 'bob').every((d) => d.scope === 'call:c1'));
    assert.deepEqual(
      signalsTo(s, 'bob').find((d) => d.kind === 'media-state'),
      { kind: 'media-state', scope: 'call:c1', audio: false, video: false, screen: false },
      'receive-only announced',
    );

    const ended: string[] = [];
    call.on('ended', (r) => ended.push(r));
    const hung = call.hangup();
    assert.equal(call.state, 'ended');
    s.push({
      type: 'call.ended',
      re: s.last('call.hangup')?.id,
      call: 'c1',
      peer: 'bob',
      reason: 'hangup',
      by: 'alice',
    });
    await hung;
    assert.deepEqual(ended, ['hangup']);
    assert.equal(call.peer?.state, 'closed');
    assert.equal(client.calls.size, 0);
  });

  it('an invite answered busy resolves with an ended call', async () => {
    const { client, s } = await start();
    const pending = client.call('bob', { media: false });
    await until(() => s.last('call.invite'), { ...onFakes, what: 's.last("call.invite")' });
    s.push({ type: 'call.ended', re: s.last('call.invite')?.id, call: 'c2', peer: 'bob', reason: 'busy' });
    const call = await pending;
    assert.equal(call.state, 'ended');
    assert.equal(call.endReason, 'busy');
  });

  it('an invite to an unknown name rejects with PEER_NOT_FOUND', async () => {
    const { client, s } = await start();
    const pending = client.call('nobody', { media: false });
    await until(() => s.last('call.invite'), { ...onFakes, what: 's.last("call.invite")' });
    s.push({ type: 'error', re: s.last('call.invite')?.id, code: 'PEER_NOT_FOUND', message: 'offline' });
    await assert.rejects(pending, { code: 'PEER_NOT_FOUND' });
  });

  it('answers an incoming call and ends it when the caller hangs up', async () => {
    const { client, s } = await start();
    const incoming = new Promise<Call>((resolve) => client.on('incoming', resolve));
    s.push({ type: 'call.incoming', call: 'c3', from: 'bob', data: { video: true } });
    const call = await incoming;
    assert.equal(call.state, 'incoming');
    assert.deepEqual(call.data, { video: true });
    const accepting = call.accept({ media: false });
    await until(() => s.last('call.accept'), { ...onFakes, what: 'accept sent' });
    s.push({ type: 'call.accepted', re: s.last('call.accept')?.id, call: 'c3', peer: 'bob' });
    await accepting;
    assert.ok(call.peer);
    // The caller's offer reaches the callee's session by scope.
    s.push({
      type: 'signal',
      from: 'bob',
      data: { kind: 'description', scope: 'call:c3', description: { type: 'offer', sdp: 'v=0' } },
    });
    const pc = call.peer?.pc as unknown as FakePeerConnection;
    await until(() => pc.remoteDescription?.sdp === 'v=0', { ...onFakes, what: 'offer applied' });
    s.push({ type: 'call.ended', call: 'c3', peer: 'bob', reason: 'hangup', by: 'bob' });
    assert.equal(call.state, 'ended');
    assert.equal(call.endedBy, 'bob');
  });

  it('declines at once when the app listens for no incoming calls', async () => {
    const { s } = await start();
    s.push({ type: 'call.incoming', call: 'c4', from: 'bob' });
    await until(() => s.last('call.decline'), { ...onFakes, what: 'declined' });
    assert.equal(s.last('call.decline')?.call, 'c4');
  });

  it('drops signals for calls it does not have or from the wrong sender', async () => {
    const { client, s } = await start();
    const incoming = new Promise<Call>((resolve) => client.on('incoming', resolve));
    s.push({ type: 'call.incoming', call: 'c5', from: 'bob' });
    const call = await incoming;
    const accepting = call.accept({ media: false });
    await until(() => s.last('call.accept'), { ...onFakes, what: 's.last("call.accept")' });
    s.push({ type: 'call.accepted', re: s.last('call.accept')?.id, call: 'c5', peer: 'bob' });
    await accepting;
    s.push({
      type: 'signal',
      from: 'mallory',
      data: { kind: 'description', scope: 'call:c5', description: { type: 'offer', sdp: 'evil' } },
    });
    s.push({
      type: 'signal',
      from: 'bob',
      data: { kind: 'description', scope: 'call:c5', description: 'nope' },
    });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((call.peer!.pc as unknown as FakePeerConnection).remoteDescription, null);
  });
});

describe('ParleyClient › signal data decoded with the protocol schemas', () => {
  it('passes a candidate at LIMITS.candidateMaxChars to the peer and drops one over it or with a bad scope', async () => {
    const { client, s } = await start();
    const incoming = new Promise<Call>((resolve) => client.on('incoming', resolve));
    s.push({ type: 'call.incoming', call: 'c6', from: 'bob' });
    const call = await incoming;
    const accepting = call.accept({ media: false });
    await until(() => s.last('call.accept'), { ...onFakes, what: 's.last("call.accept")' });
    s.push({ type: 'call.accepted', re: s.last('call.accept')?.id, call: 'c6', peer: 'bob' });
    await accepting;
    s.push({
      type: 'signal',
      from: 'bob',
      data: { kind: 'description', scope: 'call:c6', description: { type: 'offer', sdp: 'v=0' } },
    });
    const pc = call.peer!.pc as unknown as FakePeerConnection;
    await until(() => pc.remoteDescription, { ...onFakes, what: 'offer applied' });
    const line = (n: number) => `candidate:${'1'.repeat(n - 10)}`;
    const candidate = (text: string, scope = 'call:c6') =>
      s.push({
        type: 'signal',
        from: 'bob',
        data: { kind: 'candidate', scope, candidate: { candidate: text } },
      });
    candidate(line(LIMITS.candidateMaxChars + 1));
    candidate(line(20), 'call:');
    candidate(line(20), `call:c6${' '.repeat(LIMITS.idMaxChars)}`);
    candidate(line(LIMITS.candidateMaxChars));
    await until(() => pc.addedCandidates.length > 0, { ...onFakes, what: 'candidate added' });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      pc.addedCandidates.map((c) => c.candidate?.length),
      [LIMITS.candidateMaxChars],
    );
  });
});

describe('ParleyClient › frames that overtake call registration', () => {
  it('keeps call.accepted and the first offer that arrive in the same tick as call.ringing', async () => {
    // Node's ws dispatches frames that arrived together synchronously: all three are handled
    // before call() resumes after its call.ringing reply and registers the call.
    const { client, s } = await start();
    const pending = client.call('bob', { media: false });
    await until(() => s.last('call.invite'), { ...onFakes, what: 'invite' });
    s.push({ type: 'call.ringing', re: s.last('call.invite')?.id, call: 'c9', to: 'bob' });
    s.push({ type: 'call.accepted', call: 'c9', peer: 'bob' });
    s.push({
      type: 'signal',
      from: 'bob',
      data: { kind: 'description', scope: 'call:c9', description: { type: 'offer', sdp: 'v=0 early' } },
    });
    const call = await pending;
    assert.equal(call.state, 'connecting', 'accepted although call.accepted came first');
    const pc = call.peer!.pc as unknown as FakePeerConnection;
    await until(() => pc.remoteDescription, { ...onFakes, what: 'early offer applied' });
    assert.equal(pc.remoteDescription?.sdp, 'v=0 early');
  });
});

describe('ParleyClient › rooms (fake server, fake peer connection)', () => {
  it('joins with mode sfu, follows room.mode sfu → mesh → sfu (mode events), checks and keeps video views', async () => {
    const { client, s } = await start();
    const joining = client.join('big', { media: false, mode: 'sfu' });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    assert.equal(s.last('room.join')?.mode, 'sfu');
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'big', peers: ['bob'], mode: 'sfu' });
    const room = await joining;
    assert.equal(room.mode, 'sfu');
    assert.ok(room.sfu, 'media through an SFU session');
    // The media state still goes to each member peer to peer.
    assert.ok(signalsTo(s, 'bob').some((d) => d.kind === 'media-state'));
    const modes: string[] = [];
    room.on('mode', (m) => modes.push(m));
    room.setVideoView('bob', 'hidden');
    assert.throws(() => room.setVideoView('bob', { width: Number.NaN, height: 1 }), TypeError);
    assert.equal(room.activeSpeaker, undefined);

    s.push({ type: 'room.mode', room: 'big', mode: 'mesh' });
    assert.equal(room.mode, 'mesh');
    assert.equal(room.sfu, undefined);
    s.push({ type: 'room.mode', room: 'big', mode: 'sfu' });
    assert.equal(room.mode, 'sfu');
    assert.deepEqual(modes, ['mesh', 'sfu']);
  });

  it('creates a session per member, follows joins and leaves, routes signals by room scope', async () => {
    const { client, s } = await start();
    const joining = client.join('standup', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'standup', peers: ['bob', 'carol'] });
    const room = await joining;
    assert.deepEqual([...room.peers.keys()].sort(), ['bob', 'carol']);
    assert.equal(room.state, 'joined');

    s.push({ type: 'peer.joined', room: 'standup', name: 'dave' });
    assert.equal(room.peers.size, 3);
    const left: string[] = [];
    room.on('peer-left', (name, reason) => left.push(`${name}:${reason}`));
    s.push({ type: 'peer.left', room: 'standup', name: 'bob', reason: 'gone' });
    assert.deepEqual(left, ['bob:gone']);
    assert.deepEqual([...room.peers.keys()].sort(), ['carol', 'dave']);

    s.push({
      type: 'signal',
      from: 'carol',
      data: { kind: 'description', scope: 'room:standup', description: { type: 'offer', sdp: 'from-carol' } },
    });
    const pc = room.peers.get('carol')?.pc as unknown as FakePeerConnection;
    await until(() => pc.remoteDescription?.sdp === 'from-carol', { ...onFakes, what: 'routed to carol' });

    const msgs: unknown[] = [];
    room.on('message', (from, data) => msgs.push([from, data]));
    s.push({ type: 'room.message', room: 'standup', from: 'carol', data: { text: 'hi' } });
    assert.deepEqual(msgs, [['carol', { text: 'hi' }]]);

    await Promise.all([
      room.leave(),
      until(() => s.last('room.leave'), { ...onFakes, what: 's.last("room.leave")' }).then(() =>
        s.push({ type: 'room.left', re: s.last('room.leave')?.id, room: 'standup' }),
      ),
    ]);
    assert.equal(room.state, 'left');
    assert.equal(client.rooms.size, 0);
    assert.equal(pc.signalingState, 'closed');
  });

  it('drops room signals from names that are not members', async () => {
    const { client, s } = await start();
    const joining = client.join('standup', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'standup', peers: ['bob'] });
    const room = await joining;
    s.push({
      type: 'signal',
      from: 'mallory',
      data: { kind: 'description', scope: 'room:standup', description: { type: 'offer', sdp: 'x' } },
    });
    assert.deepEqual([...room.peers.keys()], ['bob'], 'no session for a stranger');
  });

  it('applies ice.updated to every peer session', async () => {
    const { client, s } = await start();
    const joining = client.join('standup', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'standup', peers: ['bob', 'carol'] });
    const room = await joining;
    const iceServers = [{ urls: 'turn:turn.example:3478', username: '1:alice', credential: 'c' }];
    s.push({ type: 'ice.updated', iceServers });
    assert.deepEqual(client.iceServers, iceServers);
    for (const peer of room.peers.values()) {
      assert.deepEqual((peer.pc as unknown as FakePeerConnection).configuration.iceServers, iceServers);
    }
    // A member who joins afterwards gets the fresh servers from the start.
    s.push({ type: 'peer.joined', room: 'standup', name: 'dave' });
    const dave = room.peers.get('dave')?.pc as unknown as FakePeerConnection;
    assert.deepEqual(dave.configuration.iceServers, iceServers);
  });

  it('ice.updated keeps the rest of the RTCConfiguration (setConfiguration)', async () => {
    const { client, s } = await openClient({ rtcConfiguration: { iceTransportPolicy: 'relay' } });
    const joining = client.join('standup', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'standup', peers: ['bob'] });
    const room = await joining;
    const iceServers = [{ urls: 'turn:turn.example:3478', username: '2:alice', credential: 'd' }];
    s.push({ type: 'ice.updated', iceServers });
    const bobPc = room.peers.get('bob')?.pc as unknown as FakePeerConnection;
    const config = bobPc.configuration;
    assert.deepEqual(config.iceServers, iceServers);
    assert.equal(config.iceTransportPolicy, 'relay');
  });

  it('RATE_LIMITED from the server counts as lost signaling for every peer session', async () => {
    const { client, s } = await start();
    const joining = client.join('standup', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'standup', peers: ['bob', 'carol'] });
    const room = await joining;
    const lost: string[] = [];
    for (const [name, peer] of room.peers) peer.signalingLost = (reason) => lost.push(`${name}:${reason}`);
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    s.push({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'too many frames; this one was dropped',
      fatal: false,
    });
    assert.deepEqual(lost.sort(), ['bob:rate-limited', 'carol:rate-limited']);
    assert.deepEqual(errors, ['RATE_LIMITED'], 'the app still sees the error');
  });

  it('rejoins its rooms after a fresh (not resumed) session and keeps live peers meanwhile', async () => {
    const { client, s, sockets } = await start();
    const joining = client.join('standup', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'standup', peers: ['bob'] });
    const room = await joining;
    const bob = room.peers.get('bob');

    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'reconnect' });
    const s2 = sockets[1] as FakeSocket;
    s2.accept();
    s2.push(welcome({ re: s2.last('hello')?.id, resumed: false }));
    await until(() => s2.last('room.join'), { ...onFakes, what: 'rejoined' });
    assert.equal(room.state, 'rejoining');
    s2.push({ type: 'room.joined', re: s2.last('room.join')?.id, room: 'standup', peers: [] });
    assert.equal(room.state, 'joined');
    assert.equal(room.peers.get('bob'), bob, 'bob kept while he comes back');
    s2.push({ type: 'peer.joined', room: 'standup', name: 'bob' });
    assert.equal(room.peers.get('bob'), bob, 'same session when bob is back');
  });

  it('an SFU room rejoined after a server restart starts fresh SFU connections (the old ones went with the server)', async () => {
    const { client, s, sockets } = await start();
    const joining = client.join('big', { media: false, mode: 'sfu' });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'big', peers: ['bob'], mode: 'sfu' });
    const room = await joining;
    const first = room.sfu;
    assert.ok(first);
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'reconnect' });
    const s2 = sockets[1] as FakeSocket;
    s2.accept();
    s2.push(welcome({ re: s2.last('hello')?.id, resumed: false }));
    await until(() => s2.last('room.join'), { ...onFakes, what: 'rejoined' });
    assert.equal(s2.last('room.join')?.mode, 'sfu', 'asks for an SFU room again');
    s2.push({ type: 'room.joined', re: s2.last('room.join')?.id, room: 'big', peers: ['bob'], mode: 'sfu' });
    assert.equal(room.mode, 'sfu');
    assert.ok(room.sfu && room.sfu !== first, 'a fresh SFU session');
  });

  it('leaves rooms a resumed session holds that this page does not know (page reload)', async () => {
    const { s, sockets } = await start();
    s.drop(1006);
    await until(() => sockets[1], { ...onFakes, what: 'sockets[1]' });
    const s2 = sockets[1] as FakeSocket;
    s2.accept();
    s2.push(welcome({ re: s2.last('hello')?.id, resumed: true, rooms: ['old-room'] }));
    await until(() => s2.last('room.leave'), { ...onFakes, what: 's2.last("room.leave")' });
    assert.equal(s2.last('room.leave')?.room, 'old-room');
  });
});

describe('ParleyClient › rooms that require end-to-end encryption (fake server)', () => {
  /** A stand-in E2EE session: every method a no-op (the crypto has its own tests). */
  const inert: object = new Proxy({}, { get: (_t, key) => (key === 'then' ? undefined : () => inert) });
  const fakeE2ee = { create: async () => inert } as unknown as E2eeSetup;

  it('a join with e2ee declares it, and requireE2ee asks for it; requireE2ee alone is a TypeError', async () => {
    const { client, s } = await start();
    await assert.rejects(client.join('x', { media: false, requireE2ee: true }), TypeError);
    const joining = client.join('secret', { media: false, e2ee: fakeE2ee, requireE2ee: true });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    assert.equal(s.last('room.join')?.e2ee, true);
    assert.equal(s.last('room.join')?.requireE2ee, true);
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'secret', peers: [], e2ee: 'required' });
    const room = await joining;
    assert.equal(room.e2eeRequired, true, 'room.e2eeRequired says what room.joined said');
  });

  it('room.e2eeRequired is false for a room whose room.joined carries no requirement', async () => {
    const { client, s } = await start();
    const joining = client.join('open', { media: false, e2ee: fakeE2ee, requireE2ee: true });
    assert.equal(client.rooms.get('open')?.e2eeRequired ?? false, false, 'false before the join');
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    // Someone created the room first without the requirement: the server ignores ours and says so.
    s.push({ type: 'room.joined', re: s.last('room.join')?.id, room: 'open', peers: ['early'] });
    const room = await joining;
    assert.equal(room.e2eeRequired, false);
  });

  it('a plain join of a room that requires E2EE rejects with FORBIDDEN / e2ee_required and leaves no room', async () => {
    const { client, s } = await start();
    const joining = client.join('secret', { media: false });
    await until(() => s.last('room.join'), { ...onFakes, what: 's.last("room.join")' });
    assert.equal(s.last('room.join')?.e2ee, undefined, 'a plain join declares nothing');
    s.push({
      type: 'error',
      re: s.last('room.join')?.id,
      code: 'FORBIDDEN',
      reason: 'e2ee_required',
      message: 'this room requires end-to-end encryption: join with e2ee',
    });
    await assert.rejects(joining, (e: { code?: string; reason?: string }) => {
      assert.equal(e.code, 'FORBIDDEN');
      assert.equal(e.reason, 'e2ee_required');
      return true;
    });
    assert.equal(client.rooms.size, 0);
  });
});
