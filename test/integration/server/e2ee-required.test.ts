/**
 * Rooms whose creator required end-to-end encryption (docs/PROTOCOL.md, "End-to-end encryption"):
 * the option on `room.join`, its announcement in `room.joined`, the refusal of a join that does not
 * declare `e2ee`, what is ignored, hostile values, forgetting it with the room, and the recorder's
 * refusal. The server cannot check encryption: these tests check the declaration only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { freePort } from '../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

let server: ParleyServer;

async function client(name: string, url = server.wsUrl): Promise<TestClient> {
  const c = await connectClient(url);
  await c.hello(name);
  return c;
}

/** Sends `msg` as request `id` and answers the reply (`room.joined` or `error`) to it. */
async function ask(c: TestClient, id: string, msg: Record<string, unknown>) {
  c.send({ id, ...msg });
  for (;;) {
    const f = (await c.next()) as {
      type: string;
      re?: unknown;
      code?: string;
      reason?: string;
      e2ee?: string;
    };
    if (f.re === id) return f;
  }
}

describe('rooms that require end-to-end encryption', () => {
  before(async () => {
    server = await startServer({ PARLEY_RATE_PER_S: '100000', PARLEY_RATE_BURST: '100000' });
  });
  after(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('the creator requires it: announced to everyone; a plain join is refused (e2ee_required) and unseen', async () => {
    const owner = await client('req-owner');
    const joined = await ask(owner, 'a', {
      type: 'room.join',
      room: 'sealed',
      e2ee: true,
      requireE2ee: true,
    });
    assert.equal(joined.type, 'room.joined');
    assert.equal(joined.e2ee, 'required');

    const plain = await client('req-plain');
    const refused = await ask(plain, 'b', { type: 'room.join', room: 'sealed' });
    assert.deepEqual([refused.type, refused.code, refused.reason], ['error', 'FORBIDDEN', 'e2ee_required']);
    // `e2ee: false` is no declaration either.
    const no = await ask(plain, 'c', { type: 'room.join', room: 'sealed', e2ee: false });
    assert.deepEqual([no.code, no.reason], ['FORBIDDEN', 'e2ee_required']);

    const enc = await client('req-enc');
    const ok = await ask(enc, 'd', { type: 'room.join', room: 'sealed', e2ee: true });
    assert.equal(ok.type, 'room.joined');
    assert.equal(ok.e2ee, 'required');
    assert.deepEqual((ok as unknown as { peers: string[] }).peers, ['req-owner']);
    // The owner heard of the encrypting member only: the refused one never entered.
    const pj = await owner.next('peer.joined');
    assert.equal(pj.name, 'req-enc');
    assert.ok(!owner.frames.some((f) => f.type === 'peer.joined'), 'no other peer.joined');
    // A later `requireE2ee: false` from a member changes nothing.
    const again = await ask(enc, 'e', { type: 'room.join', room: 'sealed', e2ee: true, requireE2ee: false });
    assert.equal(again.e2ee, 'required');
  });

  it('requireE2ee without e2ee is refused; requireE2ee on an existing room is ignored', async () => {
    const a = await client('ign-a');
    const bad = await ask(a, 'a', { type: 'room.join', room: 'open1', requireE2ee: true });
    assert.deepEqual([bad.code, bad.reason], ['FORBIDDEN', 'e2ee_required']);
    const open = await ask(a, 'b', { type: 'room.join', room: 'open1' });
    assert.equal(open.type, 'room.joined');
    assert.equal(open.e2ee, undefined);
    const b = await client('ign-b');
    const late = await ask(b, 'c', { type: 'room.join', room: 'open1', e2ee: true, requireE2ee: true });
    assert.equal(late.type, 'room.joined');
    assert.equal(late.e2ee, undefined, 'only the creator sets it');
    const c = await client('ign-c');
    assert.equal((await ask(c, 'd', { type: 'room.join', room: 'open1' })).type, 'room.joined');
  });

  it('goes with the room: once it empties, the same name is a new room without the requirement', async () => {
    const a = await client('gone-a');
    await ask(a, 'a', { type: 'room.join', room: 'brief', e2ee: true, requireE2ee: true });
    assert.equal((await ask(a, 'b', { type: 'room.leave', room: 'brief' })).type, 'room.left');
    const b = await client('gone-b');
    const fresh = await ask(b, 'c', { type: 'room.join', room: 'brief' });
    assert.equal(fresh.type, 'room.joined');
    assert.equal(fresh.e2ee, undefined);
  });

  it('hostile values are BAD_MESSAGE and join nothing', async () => {
    const h = await client('hostile');
    for (const extra of [{ e2ee: 'required' }, { e2ee: 1 }, { requireE2ee: 'yes' }, { e2ee: { x: 1 } }]) {
      const r = await ask(h, 'x', { type: 'room.join', room: 'host1', ...extra });
      assert.equal(r.code, 'BAD_MESSAGE', JSON.stringify(extra));
    }
    const ok = await ask(h, 'y', { type: 'room.join', room: 'host1' });
    assert.equal(ok.type, 'room.joined', 'the session still works');
  });
});

describe('rooms that require end-to-end encryption › recording', () => {
  // Its own server (with a Janus address nobody answers, which keeps retrying): stopped here, or
  // the file never exits.
  after(async () => {
    await closeAllClients();
    await stopAllServers();
  });

  it('the recorder refuses such a room (recording_e2ee); a plain room gets past that check', async () => {
    const janus = `ws://127.0.0.1:${await freePort()}`;
    const s = await startServer({
      PARLEY_JANUS_URL: janus,
      PARLEY_RECORDING: 'anyone',
      PARLEY_RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'parley-e2ee-rec-')),
    });
    const a = await client('rec-a', s.wsUrl);
    await ask(a, 'a', { type: 'room.join', room: 'rec-sealed', e2ee: true, requireE2ee: true });
    const r = await ask(a, 'b', { type: 'recording.start', room: 'rec-sealed' });
    assert.deepEqual([r.code, r.reason], ['RECORDING_REFUSED', 'recording_e2ee']);
    const b = await client('rec-b', s.wsUrl);
    await ask(b, 'c', { type: 'room.join', room: 'rec-plain' });
    const p = await ask(b, 'd', { type: 'recording.start', room: 'rec-plain' });
    assert.deepEqual([p.code, p.reason], ['RECORDING_REFUSED', 'recording_not_sfu']);
  });
});
