/**
 * Roles and host actions on one server (docs/PROTOCOL.md, "Roles and moderation"): every action
 * with its reply and the event everyone gets, every refusal with its code, and a bystander who is
 * not affected.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Participant } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

let server: ParleyServer;

async function client(name: string): Promise<TestClient> {
  const c = await connectClient(server.wsUrl);
  await c.hello(name);
  return c;
}

/** `host` creates `room` (becoming its host), then `others` join; returns when all are in. */
async function room(name: string, host: TestClient, ...others: TestClient[]): Promise<void> {
  host.send({ type: 'room.join', room: name });
  await host.next('room.joined');
  for (const c of others) {
    c.send({ type: 'room.join', room: name });
    await c.next('room.joined');
  }
}

/** The error frame answering request `id`. */
async function errorFor(c: TestClient, id: string) {
  const e = await c.next('error');
  assert.equal(String(e.re), id);
  return e;
}

/** The next `participant.updated` about `name` that matches `pred`. */
async function updateOf(c: TestClient, name: string, pred: (p: Participant) => boolean = () => true) {
  for (;;) {
    const u = await c.next('participant.updated');
    if (u.participant.name === name && pred(u.participant)) return u;
  }
}

/** The `participant.updated` answering request `id`. */
async function stateReply(c: TestClient, id: string) {
  for (;;) {
    const u = await c.next('participant.updated');
    if (String(u.re) === id) return u;
  }
}

describe('Moderation', () => {
  before(async () => {
    server = await startServer({
      PARLEY_RATE_PER_S: '100000',
      PARLEY_RATE_BURST: '100000',
      PARLEY_MAX_CONNS_PER_IP: '1000',
    });
  });
  afterEach(closeAllClients);
  after(stopAllServers);

  it('roles › the first joiner is host; later joiners are members; everyone sees the same list', async () => {
    const h = await client('r-host');
    const m = await client('r-mem');
    await room('roles', h, m);
    const hp = await h.next('room.participants');
    assert.deepEqual(hp.participants, [{ name: 'r-host', role: 'host', muted: false }]);
    const mp = await m.next('room.participants');
    assert.deepEqual(
      mp.participants.map((p) => [p.name, p.role]),
      [
        ['r-host', 'host'],
        ['r-mem', 'member'],
      ],
    );
    assert.deepEqual((await h.next('participant.updated')).participant, {
      name: 'r-mem',
      role: 'member',
      muted: false,
    });
  });

  it('host.* › a member gets NOT_HOST and nothing changes; a non-member gets NOT_IN_ROOM', async () => {
    const h = await client('n-host');
    const m = await client('n-mem');
    const x = await client('n-out');
    await room('nothost', h, m);
    const actions = [
      { type: 'host.lock', room: 'nothost', locked: true },
      { type: 'host.lobby', room: 'nothost', enabled: true },
      { type: 'host.role', room: 'nothost', name: 'n-mem', role: 'host' },
      { type: 'host.remove', room: 'nothost', name: 'n-host' },
      { type: 'host.mute', room: 'nothost', name: 'n-host' },
      { type: 'host.mute_all', room: 'nothost' },
      { type: 'host.ask_unmute', room: 'nothost', name: 'n-host' },
      { type: 'host.stop_share', room: 'nothost', name: 'n-host' },
      { type: 'host.admit', room: 'nothost', name: 'n-out' },
      { type: 'host.refuse', room: 'nothost', name: 'n-out' },
      { type: 'host.end', room: 'nothost' },
    ];
    for (const [i, a] of actions.entries()) {
      m.send({ ...a, id: `m${i}` });
      assert.equal((await errorFor(m, `m${i}`)).code, 'NOT_HOST', a.type);
      x.send({ ...a, id: `x${i}` });
      assert.equal((await errorFor(x, `x${i}`)).code, 'NOT_IN_ROOM', a.type);
    }
    // The host still hosts an open room; nobody was told of a change.
    h.send({ type: 'ping', id: 'p' });
    await h.next('pong');
    assert.equal(h.frames.filter((f) => f.type === 'room.updated' || f.type === 'room.ended').length, 0);
    const y = await client('n-late');
    y.send({ type: 'room.join', room: 'nothost' });
    await y.next('room.joined');
  });

  it('host.lock › refuses newcomers with ROOM_LOCKED; members stay; unlocking lets them in', async () => {
    const h = await client('l-host');
    const by = await client('l-by');
    await room('locked', h, by);
    h.send({ type: 'host.lock', id: 1, room: 'locked', locked: true });
    assert.deepEqual(await h.next('host.lock.done'), {
      type: 'host.lock.done',
      re: 1,
      room: 'locked',
      locked: true,
    });
    const u = await by.next('room.updated');
    assert.deepEqual([u.locked, u.lobby, u.by], [true, false, 'l-host']);
    const n = await client('l-new');
    n.send({ type: 'room.join', id: 'j', room: 'locked' });
    assert.equal((await errorFor(n, 'j')).code, 'ROOM_LOCKED');
    h.send({ type: 'host.lock', id: 2, room: 'locked', locked: false });
    await h.next('host.lock.done');
    n.send({ type: 'room.join', id: 'j2', room: 'locked' });
    await n.next('room.joined');
  });

  it('lobby › a knocker waits; the host sees it, admits one and refuses another; a bystander sees only the newcomer', async () => {
    const h = await client('k-host');
    const by = await client('k-by');
    await room('lobby', h, by);
    h.send({ type: 'host.lobby', id: 1, room: 'lobby', enabled: true });
    assert.equal((await h.next('host.lobby.done')).enabled, true);
    const a = await client('k-a');
    const r = await client('k-r');
    a.send({ type: 'room.join', id: 'ja', room: 'lobby' });
    assert.deepEqual(await a.next('room.waiting'), { type: 'room.waiting', re: 'ja', room: 'lobby' });
    assert.deepEqual((await h.next('lobby.updated')).waiting, ['k-a']);
    r.send({ type: 'room.join', id: 'jr', room: 'lobby' });
    await r.next('room.waiting');
    assert.deepEqual((await h.next('lobby.updated')).waiting, ['k-a', 'k-r']);
    // Knocking again is not a second place in the queue.
    a.send({ type: 'room.join', id: 'ja2', room: 'lobby' });
    await a.next('room.waiting');
    // A member cannot admit.
    by.send({ type: 'host.admit', id: 'b', room: 'lobby', name: 'k-a' });
    assert.equal((await errorFor(by, 'b')).code, 'NOT_HOST');
    h.send({ type: 'host.admit', id: 2, room: 'lobby', name: 'k-a' });
    assert.equal((await h.next('host.admit.done')).name, 'k-a');
    assert.equal((await a.next('room.admitted')).by, 'k-host');
    a.send({ type: 'room.join', id: 'in', room: 'lobby' });
    assert.deepEqual((await a.next('room.joined')).peers, ['k-by', 'k-host']);
    assert.equal((await by.next('peer.joined')).name, 'k-a');
    h.send({ type: 'host.refuse', id: 3, room: 'lobby', name: 'k-r' });
    await h.next('host.refuse.done');
    assert.equal((await r.next('room.refused')).by, 'k-host');
    // Refused: not in, and may not knock again at once.
    r.send({ type: 'room.join', id: 'again', room: 'lobby' });
    const e = await errorFor(r, 'again');
    assert.deepEqual([e.code, e.reason], ['FORBIDDEN', 'knock_refused']);
    // Admitting someone who is not knocking changes nothing.
    h.send({ type: 'host.admit', id: 4, room: 'lobby', name: 'k-r' });
    assert.equal((await errorFor(h, '4')).code, 'PEER_NOT_FOUND');
    assert.equal(by.frames.filter((f) => f.type === 'lobby.updated').length, 0);
  });

  it('lobby › a knocker who leaves or disconnects leaves the lobby; the lobby is bounded', async () => {
    const h = await client('kb-host');
    await room('bounded', h);
    h.send({ type: 'host.lobby', room: 'bounded', enabled: true });
    await h.next('host.lobby.done');
    const w = await client('kb-w');
    w.send({ type: 'room.join', room: 'bounded' });
    await w.next('room.waiting');
    await h.next('lobby.updated');
    w.send({ type: 'room.leave', id: 'l', room: 'bounded' });
    assert.equal((await w.next('room.left')).re, 'l');
    assert.deepEqual((await h.next('lobby.updated')).waiting, []);
    const many = await Promise.all(Array.from({ length: 33 }, (_, i) => client(`kb-${i}`)));
    for (const c of many.slice(0, 32)) {
      c.send({ type: 'room.join', room: 'bounded' });
      await c.next('room.waiting');
    }
    many[32]!.send({ type: 'room.join', id: 'full', room: 'bounded' });
    assert.equal((await errorFor(many[32]!, 'full')).code, 'LOBBY_FULL');
    let last = await h.next('lobby.updated');
    while (last.waiting.length !== 32) last = await h.next('lobby.updated');
    many[0]!.send({ type: 'bye' });
    last = await h.next('lobby.updated');
    assert.equal(last.waiting.length, 31);
    assert.ok(!last.waiting.includes('kb-0'));
  });

  it('host.remove › the removed member is out, told, and refused on every later join; a bystander stays', async () => {
    const h = await client('x-host');
    const t = await client('x-target');
    const by = await client('x-by');
    await room('remove', h, t, by);
    h.send({ type: 'host.remove', id: 1, room: 'remove', name: 'x-target' });
    assert.equal((await h.next('host.remove.done')).name, 'x-target');
    assert.equal((await t.next('room.removed')).by, 'x-host');
    assert.equal((await by.next('peer.left')).name, 'x-target');
    t.send({ type: 'room.message', id: 'm', room: 'remove', data: 'still here?' });
    assert.equal((await errorFor(t, 'm')).code, 'NOT_IN_ROOM');
    t.send({ type: 'host.lock', id: 'hl', room: 'remove', locked: true });
    assert.equal((await errorFor(t, 'hl')).code, 'NOT_IN_ROOM');
    t.send({ type: 'room.join', id: 'j', room: 'remove' });
    const e = await errorFor(t, 'j');
    assert.deepEqual([e.code, e.reason], ['FORBIDDEN', 'removed_from_room']);
    // The bystander is still in and hears the room.
    h.send({ type: 'room.message', room: 'remove', data: 'on' });
    assert.equal((await by.next('room.message')).data, 'on');
    // Removing someone not in the room: PEER_NOT_FOUND.
    h.send({ type: 'host.remove', id: 2, room: 'remove', name: 'x-target' });
    assert.equal((await errorFor(h, '2')).code, 'PEER_NOT_FOUND');
  });

  it('host.remove › a removed member who resumes on a new socket is not let back in', async () => {
    const h = await client('xr-host');
    const t = await connectClient(server.wsUrl);
    const w = await t.hello('xr-target');
    await room('resume', h, t);
    t.ws.terminate();
    await t.closed;
    await until(async () => (await server.health()).connections === 1, {
      what: 'the server to see the socket gone',
      timeoutMs: 3_000,
      intervalMs: 10,
    });
    h.send({ type: 'host.remove', id: 1, room: 'resume', name: 'xr-target' });
    await h.next('host.remove.done');
    const t2 = await connectClient(server.wsUrl);
    const w2 = await t2.hello('xr-target', { resume: w.session });
    assert.equal(w2.resumed, true);
    assert.deepEqual(w2.rooms, []);
    assert.equal((await t2.next('room.removed')).by, 'xr-host');
    t2.send({ type: 'room.join', id: 'j', room: 'resume' });
    assert.equal((await errorFor(t2, 'j')).reason, 'removed_from_room');
  });

  it('host.mute, mute_all, ask_unmute, stop_share › the target and everyone see it; the target unmutes itself', async () => {
    const h = await client('m-host');
    const t = await client('m-target');
    const by = await client('m-by');
    await room('mute', h, t, by);
    h.send({ type: 'host.mute', id: 1, room: 'mute', name: 'm-target' });
    await h.next('host.mute.done');
    const seen = await updateOf(t, 'm-target', (p) => p.muted);
    assert.deepEqual(seen.participant, { name: 'm-target', role: 'member', muted: true, mutedBy: 'm-host' });
    assert.equal(seen.by, 'm-host');
    await updateOf(by, 'm-target', (p) => p.muted);
    t.send({ type: 'participant.state', id: 'u', room: 'mute', muted: false });
    assert.deepEqual((await stateReply(t, 'u')).participant, {
      name: 'm-target',
      role: 'member',
      muted: false,
    });
    h.send({ type: 'host.mute_all', id: 2, room: 'mute' });
    assert.equal((await h.next('host.mute_all.done')).muted, 2);
    h.send({ type: 'host.ask_unmute', id: 3, room: 'mute', name: 'm-target' });
    await h.next('host.ask_unmute.done');
    assert.equal((await t.next('unmute.requested')).by, 'm-host');
    t.send({ type: 'participant.state', room: 'mute', sharing: true });
    h.send({ type: 'host.stop_share', id: 4, room: 'mute', name: 'm-target' });
    await h.next('host.stop_share.done');
    assert.equal((await t.next('share.stopped')).by, 'm-host');
    assert.equal(
      by.frames.filter((f) => f.type === 'unmute.requested' || f.type === 'share.stopped').length,
      0,
    );
  });

  it('hands › raised hands carry their order; lowering clears it; everyone sees it', async () => {
    const h = await client('h-host');
    const a = await client('h-a');
    const b = await client('h-b');
    await room('hands', h, a, b);
    b.send({ type: 'participant.state', id: 1, room: 'hands', hand: true });
    const first = (await stateReply(b, '1')).participant.hand!;
    a.send({ type: 'participant.state', id: 2, room: 'hands', hand: true });
    const second = (await stateReply(a, '2')).participant.hand!;
    assert.ok(first < second);
    // Raising again keeps the place.
    b.send({ type: 'participant.state', id: 3, room: 'hands', hand: true });
    assert.equal((await stateReply(b, '3')).participant.hand, first);
    assert.equal((await updateOf(h, 'h-a', (p) => p.hand !== undefined)).participant.hand, second);
    b.send({ type: 'participant.state', id: 4, room: 'hands', hand: false });
    assert.equal((await stateReply(b, '4')).participant.hand, undefined);
    await updateOf(h, 'h-b', (p) => p.hand === undefined);
  });

  it('host.role › a host hands over; the last host may not step down; a new host sees the lobby', async () => {
    const h = await client('o-host');
    const m = await client('o-mem');
    await room('handover', h, m);
    h.send({ type: 'host.role', id: 1, room: 'handover', name: 'o-host', role: 'member' });
    assert.equal((await errorFor(h, '1')).reason, 'last_host');
    h.send({ type: 'host.lobby', room: 'handover', enabled: true });
    await h.next('host.lobby.done');
    const k = await client('o-knock');
    k.send({ type: 'room.join', room: 'handover' });
    await k.next('room.waiting');
    h.send({ type: 'host.role', id: 2, room: 'handover', name: 'o-mem', role: 'host' });
    assert.deepEqual(await h.next('host.role.done'), {
      type: 'host.role.done',
      re: 2,
      room: 'handover',
      name: 'o-mem',
      role: 'host',
    });
    assert.deepEqual((await m.next('lobby.updated')).waiting, ['o-knock']);
    m.send({ type: 'host.admit', id: 3, room: 'handover', name: 'o-knock' });
    await m.next('host.admit.done');
    await k.next('room.admitted');
  });

  it('succession › when the last host leaves, the longest-present member becomes host', async () => {
    const h = await client('s-host');
    const first = await client('s-first');
    const second = await client('s-second');
    await room('succession', h, first, second);
    h.send({ type: 'room.leave', room: 'succession' });
    await h.next('room.left');
    await updateOf(second, 's-first', (p) => p.role === 'host');
    first.send({ type: 'host.lock', id: 1, room: 'succession', locked: true });
    await first.next('host.lock.done');
  });

  it('host.end › everyone is out and told; the room is gone', async () => {
    const h = await client('e-host');
    const a = await client('e-a');
    await room('ended', h, a);
    h.send({ type: 'host.end', id: 1, room: 'ended' });
    await h.next('host.end.done');
    assert.equal((await a.next('room.ended')).by, 'e-host');
    a.send({ type: 'room.message', id: 'm', room: 'ended', data: 1 });
    assert.equal((await errorFor(a, 'm')).code, 'NOT_IN_ROOM');
    // A new room of that name starts afresh: the first joiner hosts it.
    a.send({ type: 'room.join', room: 'ended' });
    await a.next('room.joined');
    assert.equal((await a.next('room.participants')).participants[0]!.role, 'host');
  });

  it('participant.state › a viewer may not share; bad fields are BAD_MESSAGE', async () => {
    const h = await client('v-host');
    const v = await client('v-view');
    await room('viewer', h, v);
    h.send({ type: 'host.role', id: 1, room: 'viewer', name: 'v-view', role: 'viewer' });
    await h.next('host.role.done');
    v.send({ type: 'participant.state', id: 's', room: 'viewer', sharing: true });
    assert.equal((await errorFor(v, 's')).reason, 'viewer');
    v.send({ type: 'participant.state', id: 'b', room: 'viewer', hand: 'yes' });
    assert.equal((await errorFor(v, 'b')).code, 'BAD_MESSAGE');
    h.send({ type: 'host.mute', id: 'f', room: 'viewer', name: 'v-view', from: 'v-view' });
    assert.equal((await errorFor(h, 'f')).code, 'BAD_MESSAGE');
    h.send({ type: 'host.role', id: 'g', room: 'viewer', name: 'v-view', role: 'admin' });
    assert.equal((await errorFor(h, 'g')).code, 'BAD_MESSAGE');
  });
});
