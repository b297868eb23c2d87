/**
 * rooms/moderation.ts with the SFU's side of a host's mute (issue 21): `host.mute`/`mute_all`
 * ask the media to stop the audio only after a host's mute is stored, the member's own unmute
 * lifts it first, and when the SFU fails nothing stays half done (the mute is set back, or the
 * unmute refused). The directory is the in-memory one; the SFU a fake that can fail.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { type ClientMessage, ParleyError } from '@parley/protocol';
import { MemoryDirectory } from '../../../packages/server/src/directory/memory.ts';
import type { Relay } from '../../../packages/server/src/relay/relay.ts';
import { type MediaMute, RoomModeration } from '../../../packages/server/src/rooms/moderation.ts';
import { parseControl } from '../../../packages/server/src/rooms/room-control.ts';
import type { Session } from '../../../packages/server/src/session/session.ts';

const ROOM = 'r1';

function session(name: string): Session {
  return { name, rooms: new Set([ROOM]), send: () => {} } as unknown as Session;
}

describe('moderation › SFU mute', () => {
  let directory: MemoryDirectory;
  let calls: [string, string[], boolean][];
  let fail: boolean;
  let mod: RoomModeration;
  const amy = session('amy');
  const bob = session('bob');
  const cat = session('cat');

  beforeEach(async () => {
    directory = new MemoryDirectory();
    for (const n of ['amy', 'bob', 'cat']) await directory.joinRoom(ROOM, n, { maxPeers: 8 });
    calls = [];
    fail = false;
    const media: MediaMute = {
      async muteAudio(room, names, mute) {
        calls.push([room, [...names], mute]);
        if (fail) throw new ParleyError('SFU_UNAVAILABLE', 'the SFU could not handle this request');
      },
    };
    const relay = { broadcast: async () => {}, deliver: () => true } as unknown as Relay;
    mod = new RoomModeration(directory, relay, undefined, async () => {}, media);
  });

  async function person(name: string) {
    return parseControl((await directory.roomControl(ROOM)).text).people[name];
  }
  const host = (s: Session, msg: Record<string, unknown>) =>
    mod.host(s, { id: '1', room: ROOM, ...msg } as unknown as Extract<ClientMessage, { type: 'host.mute' }>);
  const unmute = (s: Session) =>
    mod.state(s, { type: 'participant.state', id: '2', room: ROOM, muted: false });

  it("a host's mute reaches the SFU; the member's own unmute lifts it there first", async () => {
    await host(amy, { type: 'host.mute', name: 'bob' });
    assert.deepEqual(calls, [[ROOM, ['bob'], true]]);
    assert.equal((await person('bob'))?.mutedBy, 'amy');
    await unmute(bob);
    assert.deepEqual(calls[1], [ROOM, ['bob'], false]);
    assert.equal((await person('bob'))?.muted, false);
    // A self-unmute with no host's mute on it costs the SFU nothing.
    await unmute(bob);
    assert.equal(calls.length, 2);
  });

  it('mute_all reaches the SFU for everyone it muted; a member asking gets NOT_HOST and the SFU hears nothing', async () => {
    await assert.rejects(host(bob, { type: 'host.mute', name: 'cat' }), { code: 'NOT_HOST' });
    await assert.rejects(host(bob, { type: 'host.mute_all' }), { code: 'NOT_HOST' });
    assert.deepEqual(calls, []);
    await host(amy, { type: 'host.mute_all' });
    assert.deepEqual(calls, [[ROOM, ['bob', 'cat'], true]]);
  });

  it('when the SFU fails, the mute is set back and the host hears why; a failed unmute keeps the mute', async () => {
    fail = true;
    await assert.rejects(host(amy, { type: 'host.mute', name: 'bob' }), { code: 'SFU_UNAVAILABLE' });
    const b = await person('bob');
    assert.equal(b?.mutedBy, undefined);
    assert.notEqual(b?.muted, true);
    fail = false;
    await host(amy, { type: 'host.mute', name: 'bob' });
    fail = true;
    await assert.rejects(unmute(bob), { code: 'SFU_UNAVAILABLE' });
    assert.equal((await person('bob'))?.mutedBy, 'amy');
  });
});
