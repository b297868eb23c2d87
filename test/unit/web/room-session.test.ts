/**
 * A room visit without the DOM (packages/web/src/app/room-session.ts): the password retry by
 * error code and reason, the mesh cap from the server's `welcome.roomLimits`, and the state the
 * session emits for the screen (members, mode, active speaker, alone, rejoin, lost).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ErrorCode,
  type ErrorReason,
  ParleyError,
  type PeerSession,
  type Room,
  type RoomEvents,
  type RoomLimits,
  TypedEmitter,
} from '@parley/client';
import type { RoomMode } from '@parley/protocol';
import {
  describeJoinFailure,
  joinRetry,
  MESH_VIDEO_PEOPLE,
  meshCap,
  meshRefusal,
  RoomSession,
} from '../../../packages/web/src/app/room-session.ts';

/** A room's moderation as far as the session reads it: not knocking; says removed/ended. */
class FakeModeration extends TypedEmitter<{
  removed: [by: string];
  ended: [by: string];
  refused: [by: string];
}> {
  knocking = false;
}

/** A room as far as the session reads it. */
class FakeRoom extends TypedEmitter<RoomEvents> {
  readonly moderation = new FakeModeration();
  mode: RoomMode = 'mesh';
  state = 'joined';
  activeSpeaker: string | undefined;
  readonly peers = new Map<string, PeerSession>();
  left = 0;
  constructor(peerNames: string[] = []) {
    super();
    for (const name of peerNames) this.peers.set(name, fakePeer(name));
  }
  /** Emits as the SDK would. */
  fire<K extends keyof RoomEvents>(event: K, ...args: RoomEvents[K]): void {
    this.emit(event, ...args);
  }
  async leave(): Promise<void> {
    this.left++;
  }
}

function fakePeer(name: string): PeerSession {
  return { remoteName: name } as unknown as PeerSession;
}

const refused = (code: ErrorCode, reason?: ErrorReason) =>
  new ParleyError(code, `refused: ${code}`, { reason });

type JoinCall = { room: string; options: Record<string, unknown> | undefined };

/** A client whose joins answer in turn from `answers` (an error is thrown). */
function fakeClient(answers: (FakeRoom | Error)[], roomLimits?: RoomLimits) {
  const calls: JoinCall[] = [];
  return {
    calls,
    roomLimits,
    async join(room: string, options?: Record<string, unknown>): Promise<Room> {
      calls.push({ room, options });
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next as unknown as Room;
    },
  };
}

function session(
  client: ReturnType<typeof fakeClient>,
  o: { password?: string; large?: boolean; prompts?: (string | null)[] } = {},
) {
  const asked: boolean[] = [];
  const s = new RoomSession(client as never, 'standup', {
    media: { media: false },
    ...(o.password ? { password: o.password } : {}),
    ...(o.large ? { large: true } : {}),
    askPassword: async (_room, wrong) => {
      asked.push(wrong);
      return o.prompts?.shift() ?? null;
    },
  });
  return { s, asked };
}

describe('web room session › joining', () => {
  it('decides retries by code and reason only', () => {
    assert.deepEqual(joinRetry(refused('FORBIDDEN', 'password_required'), false), { ask: 'required' });
    assert.deepEqual(joinRetry(refused('FORBIDDEN', 'password_wrong'), true), { ask: 'wrong' });
    assert.deepEqual(joinRetry(refused('FORBIDDEN', 'room_open'), true), { dropPassword: true });
    assert.equal(joinRetry(refused('FORBIDDEN', 'room_open'), false), null);
    assert.equal(joinRetry(refused('FORBIDDEN'), false), null);
    assert.equal(joinRetry(refused('ROOM_FULL'), false), null);
    // Prose that looks like a reason is not one.
    assert.equal(joinRetry(new Error('FORBIDDEN password_required'), false), null);
  });

  it('words each refusal', () => {
    assert.match(describeJoinFailure(refused('ROOM_FULL'), 'x'), /“x” is full/);
    assert.match(
      describeJoinFailure(refused('FORBIDDEN', 'room_not_in_token'), 'x'),
      /invitation does not include/,
    );
    assert.match(describeJoinFailure(refused('FORBIDDEN'), 'x'), /You may not join “x”: refused: FORBIDDEN/);
    assert.equal(
      describeJoinFailure(refused('FORBIDDEN', 'e2ee_required'), 'x'),
      'This room requires end-to-end encryption: open the encrypted link.',
    );
    assert.match(describeJoinFailure(refused('TOO_MANY_ROOMS'), 'x'), /too many rooms/);
    assert.match(describeJoinFailure(new TypeError('network'), 'x'), /Check your connection/);
  });

  it('joins at once, passing the media, a typed password and the large-room mode', async () => {
    const room = new FakeRoom();
    const client = fakeClient([room]);
    const { s } = session(client, { password: 'pw', large: true });
    const result = await s.join();
    assert.deepEqual(result, { ok: true, room });
    assert.equal(s.room, room as unknown as Room);
    assert.deepEqual(client.calls, [
      { room: 'standup', options: { media: false, password: 'pw', mode: 'sfu' } },
    ]);
  });

  it('asks for the password until the server takes it', async () => {
    const room = new FakeRoom();
    const client = fakeClient([
      refused('FORBIDDEN', 'password_required'),
      refused('FORBIDDEN', 'password_wrong'),
      room,
    ]);
    const { s, asked } = session(client, { prompts: ['first', 'second'] });
    const result = await s.join();
    assert.equal(result.ok, true);
    assert.deepEqual(asked, [false, true]);
    assert.deepEqual(
      client.calls.map((c) => c.options?.password),
      [undefined, 'first', 'second'],
    );
  });

  it('gives up without a message when the person cancels the password prompt', async () => {
    const client = fakeClient([refused('FORBIDDEN', 'password_required')]);
    const { s } = session(client, { prompts: [null] });
    assert.deepEqual(await s.join(), { ok: false, message: null });
  });

  it('joins an open room as it is when a password was given, and says so', async () => {
    const room = new FakeRoom();
    const client = fakeClient([refused('FORBIDDEN', 'room_open'), room]);
    const { s } = session(client, { password: 'pw' });
    const notices: string[] = [];
    s.on('notice', (text) => notices.push(text));
    assert.equal((await s.join()).ok, true);
    assert.deepEqual(
      client.calls.map((c) => c.options?.password),
      ['pw', undefined],
    );
    assert.match(notices[0] ?? '', /already exists without a password/);
  });

  it('stops after ten refused attempts', async () => {
    const client = fakeClient(Array.from({ length: 10 }, () => refused('FORBIDDEN', 'password_wrong')));
    const { s, asked } = session(client, { prompts: Array.from({ length: 10 }, () => 'guess') });
    assert.deepEqual(await s.join(), { ok: false, message: 'Could not join the room.' });
    assert.equal(asked.length, 10);
  });

  it('leaves a room it got after the person went elsewhere', async () => {
    const room = new FakeRoom();
    let resolve!: (r: Room) => void;
    const client = { join: () => new Promise<Room>((r) => (resolve = r)) };
    const s = new RoomSession(client as never, 'standup', {
      media: { media: false },
      askPassword: async () => null,
    });
    const joining = s.join();
    s.close();
    resolve(room as unknown as Room);
    assert.deepEqual(await joining, { ok: false, message: null });
    assert.equal(room.left, 1);
    assert.equal(s.room, null);
  });
});

describe('web room session › mesh cap', () => {
  it('takes the cap from the server figures', () => {
    assert.equal(meshCap(undefined), MESH_VIDEO_PEOPLE);
    assert.equal(meshCap({ maxMembers: 50 }), MESH_VIDEO_PEOPLE);
    assert.equal(meshCap({ maxMembers: 50, sfuThreshold: 4 }), MESH_VIDEO_PEOPLE);
    // An operator who keeps rooms mesh for longer says so with the threshold.
    assert.equal(meshCap({ maxMembers: 50, sfuThreshold: 10 }), 10);
    // No room holds more than the server's own cap.
    assert.equal(meshCap({ maxMembers: 3 }), 3);
    assert.equal(meshCap({ maxMembers: 8, sfuThreshold: 10 }), 8);
  });

  it('refuses a mesh room past the cap, in words that match the server', () => {
    assert.equal(meshRefusal('x', 'mesh', 6, undefined), null);
    assert.equal(meshRefusal('x', 'sfu', 40, { maxMembers: 50 }), null);
    assert.match(meshRefusal('x', 'mesh', 7, undefined) ?? '', /already has 6 people.*peer to peer\. Try/);
    assert.match(meshRefusal('x', 'mesh', 7, { maxMembers: 50 }) ?? '', /no SFU for larger rooms/);
    assert.match(
      meshRefusal('x', 'mesh', 11, { maxMembers: 50, sfuThreshold: 10 }) ?? '',
      /already has 10 people and the server could not move it to its SFU/,
    );
    assert.equal(meshRefusal('x', 'mesh', 10, { maxMembers: 50, sfuThreshold: 10 }), null);
  });

  it('leaves a mesh room that is over the cap', async () => {
    const room = new FakeRoom(['a', 'b', 'c', 'd', 'e', 'f']);
    const client = fakeClient([room], { maxMembers: 50 });
    const { s } = session(client);
    const result = await s.join();
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : (result.message ?? ''), /already has 6 people/);
    assert.equal(room.left, 1);
  });

  it('enters a large room however many are in it', async () => {
    const room = new FakeRoom(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    room.mode = 'sfu';
    const { s } = session(fakeClient([room], { maxMembers: 50, sfuThreshold: 4 }));
    assert.equal((await s.join()).ok, true);
    assert.equal(room.left, 0);
  });
});

describe('web room session › following the room', () => {
  async function joined(room: FakeRoom) {
    const { s } = session(fakeClient([room]));
    assert.equal((await s.join()).ok, true);
    const seen: unknown[][] = [];
    for (const event of [
      'mode',
      'speaker',
      'peer-joined',
      'peer-left',
      'alone',
      'rejoining',
      'lost',
    ] as const)
      s.on(event, (...args: unknown[]) =>
        seen.push([event, ...args.map((a) => (a as PeerSession)?.remoteName ?? a)]),
      );
    return { s, seen };
  }

  it('emits the room as it is, then its changes', async () => {
    const room = new FakeRoom(['bob']);
    room.activeSpeaker = 'bob';
    const { s, seen } = await joined(room);
    s.follow();
    assert.deepEqual(seen, [
      ['mode', 'mesh', null],
      ['speaker', 'bob'],
      ['peer-joined', 'bob', false],
      ['alone', false],
    ]);
    seen.length = 0;
    const carol = fakePeer('carol');
    room.peers.set('carol', carol);
    room.fire('peer-joined', carol);
    room.peers.delete('bob');
    room.fire('peer-left', 'bob', 'gone');
    room.peers.delete('carol');
    room.fire('peer-left', 'carol', 'left');
    room.fire('mode', 'sfu');
    room.fire('mode', 'sfu');
    room.fire('mode', 'mesh');
    room.fire('active-speaker', undefined);
    assert.deepEqual(seen, [
      ['peer-joined', 'carol', true],
      ['alone', false],
      ['peer-left', 'bob', 'bob’s connection was lost'],
      ['alone', false],
      ['peer-left', 'carol', 'carol left'],
      ['alone', true],
      ['mode', 'sfu', 'Large room: video now goes through the server — a short freeze is normal.'],
      ['mode', 'sfu', 'Video through the server is back after an interruption.'],
      ['mode', 'mesh', 'Small room again: video goes straight between you — a short freeze is normal.'],
      ['speaker', undefined],
    ]);
  });

  it('says so when joined straight into a large room', async () => {
    const room = new FakeRoom();
    room.mode = 'sfu';
    const { s, seen } = await joined(room);
    s.follow();
    assert.deepEqual(seen[0], [
      'mode',
      'sfu',
      'Large room: video goes through the server, so everyone sends it only once.',
    ]);
    assert.deepEqual(seen.at(-1), ['alone', true]);
  });

  it('reports a rejoin, and losing the room unless we left it', async () => {
    const room = new FakeRoom();
    const { s, seen } = await joined(room);
    s.follow();
    seen.length = 0;
    room.fire('state', 'rejoining');
    room.fire('state', 'joined');
    room.fire('state', 'left', 'SFU_UNAVAILABLE');
    room.fire('state', 'left', 'left');
    assert.deepEqual(seen, [
      ['rejoining', true],
      ['rejoining', false],
      ['lost', 'You are no longer in “standup” (SFU_UNAVAILABLE).'],
      ['lost', 'You are no longer in “standup”.'],
    ]);
    seen.length = 0;
    s.leave();
    assert.equal(room.left, 1);
    room.fire('state', 'left', 'left');
    room.fire('peer-joined', fakePeer('late'));
    assert.deepEqual(seen, []);
    s.leave();
    assert.equal(room.left, 1);
  });
});
