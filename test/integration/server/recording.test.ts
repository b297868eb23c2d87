/**
 * Recording's refusals and its HTTP endpoint, without media: who may start a recording (policy,
 * token grant, forbidden rooms, membership, disk guard, mesh rooms), malformed requests, and the
 * operator's list/download/delete behind a token, attacked (traversal, unlisted files, ranges).
 * The server points at a Janus that is not there: every refusal comes before Janus is asked.
 * The recording itself is tested end to end in test/e2e/recording/sfu-recording.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signAccessToken } from '@parley/server/tools';
import { SignJWT } from 'jose';
import { freePort } from '../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';
import { closeAllClients, connectClient, type TestClient } from '../../helpers/ws-client.ts';

const SECRET = 'recording-test-secret-recording-test-secret';
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'parley-rec-it-'));
  dirs.push(d);
  return d;
};

after(async () => {
  await closeAllClients();
  await stopAllServers();
});

async function serverWith(env: Record<string, string>) {
  const janus = `ws://127.0.0.1:${await freePort()}`;
  return startServer({ PARLEY_JANUS_URL: janus, PARLEY_RECORDINGS_DIR: tempDir(), ...env });
}

async function member(wsUrl: string, name: string, room: string, token?: string): Promise<TestClient> {
  const c = await connectClient(wsUrl);
  await c.hello(name, token ? { token } : {});
  c.send({ type: 'room.join', id: 'j', room });
  await c.next('room.joined');
  return c;
}

async function refusal(c: TestClient, msg: Record<string, unknown>) {
  c.send({ id: 'r', ...msg });
  const e = await c.next('error');
  assert.equal(e.re, 'r');
  return { code: e.code, reason: e.reason };
}

describe('recording › who may record', () => {
  it('off by default: recording_off', async () => {
    const s = await serverWith({});
    const c = await member(s.wsUrl, 'off-a', 'room1');
    assert.deepEqual(await refusal(c, { type: 'recording.start', room: 'room1' }), {
      code: 'RECORDING_REFUSED',
      reason: 'recording_off',
    });
  });

  it('without an SFU: recording_off', async () => {
    const s = await startServer({ PARLEY_RECORDING: 'anyone', PARLEY_RECORDINGS_DIR: tempDir() });
    const c = await member(s.wsUrl, 'nosfu-a', 'room1');
    assert.deepEqual(await refusal(c, { type: 'recording.start', room: 'room1' }), {
      code: 'RECORDING_REFUSED',
      reason: 'recording_off',
    });
  });

  it('hosts: a member who is not a host, without the grant, is refused (recording_not_allowed), start and stop alike; the host passes', async () => {
    const s = await serverWith({ PARLEY_RECORDING: 'hosts' });
    // The first joiner of a new room is its host (issue 21); the second is a member.
    const host = await member(s.wsUrl, 'h-a', 'room1');
    const c = await member(s.wsUrl, 'h-b', 'room1');
    for (const type of ['recording.start', 'recording.stop'])
      assert.deepEqual(await refusal(c, { type, room: 'room1' }), {
        code: 'RECORDING_REFUSED',
        reason: 'recording_not_allowed',
      });
    // The host passes the policy; a mesh room is then refused for what it is.
    assert.deepEqual(await refusal(host, { type: 'recording.start', room: 'room1' }), {
      code: 'RECORDING_REFUSED',
      reason: 'recording_not_sfu',
    });
  });

  it('hosts: a token with "record": true passes the policy (a mesh room is then recording_not_sfu)', async () => {
    const s = await serverWith({ PARLEY_RECORDING: 'hosts', PARLEY_AUTH_SECRET: SECRET });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(SECRET));
    // The signer behind `npm run token -- --record` sets the claim.
    const token = await signAccessToken({ name: 'g-a', ttlS: 600, secret: SECRET, record: true });
    const granted = await member(s.wsUrl, 'g-a', 'room1', token);
    assert.deepEqual(await refusal(granted, { type: 'recording.start', room: 'room1' }), {
      code: 'RECORDING_REFUSED',
      reason: 'recording_not_sfu',
    });
    // `record` must be exactly true: a string does not grant it.
    const plain = await member(s.wsUrl, 'g-b', 'room1', await sign({ name: 'g-b', record: 'true' }));
    assert.equal(
      (await refusal(plain, { type: 'recording.start', room: 'room1' })).reason,
      'recording_not_allowed',
    );
  });

  it('a room the operator forbids: recording_room_forbidden', async () => {
    const s = await serverWith({
      PARLEY_RECORDING: 'anyone',
      PARLEY_RECORDING_FORBIDDEN_ROOMS: 'hr-*, board',
    });
    const c = await member(s.wsUrl, 'f-a', 'hr-talks');
    assert.equal(
      (await refusal(c, { type: 'recording.start', room: 'hr-talks' })).reason,
      'recording_room_forbidden',
    );
  });

  it('not a member: NOT_IN_ROOM; low disk: recording_disk_low; nothing recorded: recording_busy on stop', async () => {
    const s = await serverWith({ PARLEY_RECORDING: 'anyone', PARLEY_RECORDING_MIN_FREE_MB: '10000000' });
    const c = await member(s.wsUrl, 'd-a', 'room1');
    assert.equal((await refusal(c, { type: 'recording.start', room: 'elsewhere' })).code, 'NOT_IN_ROOM');
    assert.equal((await refusal(c, { type: 'recording.start', room: 'room1' })).reason, 'recording_disk_low');
    assert.equal((await refusal(c, { type: 'recording.stop', room: 'room1' })).reason, 'recording_busy');
  });

  it('malformed requests: BAD_MESSAGE, the connection stays', async () => {
    const s = await serverWith({ PARLEY_RECORDING: 'anyone' });
    const c = await member(s.wsUrl, 'm-a', 'room1');
    for (const bad of [
      { type: 'recording.start', room: 'room1', by: 'someone-else' },
      { type: 'recording.start', room: 'x'.repeat(65) },
      { type: 'recording.start', room: '../etc' },
      { type: 'recording.stop' },
      { type: 'recording.start', room: 7 },
    ])
      assert.equal((await refusal(c, bad)).code, 'BAD_MESSAGE', JSON.stringify(bad));
    c.send({ type: 'ping', id: 'p' });
    assert.equal((await c.next('pong')).re, 'p');
  });
});

describe('recording › HTTP list, download, delete', () => {
  const TOKEN = 'a-recordings-token-of-some-length';
  const ID = 'rec-20261207T220000Z-abcdefgh';

  /** A processed recording on disk, as post-processing leaves it. */
  function fakeRecording(dir: string, phase = 'done', id = ID): Buffer {
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    mkdirSync(join(dir, id, 'tracks'), { recursive: true });
    mkdirSync(join(dir, id, 'raw'), { recursive: true });
    writeFileSync(join(dir, id, 'composite.webm'), body);
    writeFileSync(join(dir, id, 'tracks', 'ann-audio-0-1.opus'), 'opus');
    writeFileSync(join(dir, id, 'raw', 'secret.mjr'), 'raw');
    const manifest = {
      id,
      room: 'r',
      by: 'ann',
      startedAt: Date.now(),
      phase,
      feeds: {},
      files: ['composite.webm', 'tracks/ann-audio-0-1.opus'],
    };
    writeFileSync(join(dir, id, 'recording.json'), JSON.stringify(manifest));
    return body;
  }

  it('no token configured: 404 for every /recordings path', async () => {
    const s = await serverWith({ PARLEY_RECORDING: 'anyone' });
    for (const path of ['/recordings', `/recordings/${ID}/composite.webm`])
      assert.equal(
        (await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
        404,
      );
  });

  it('with the token: list, download whole and by range, delete; attacks refused', async () => {
    const dir = tempDir();
    const body = fakeRecording(dir);
    const s = await serverWith({
      PARLEY_RECORDING: 'anyone',
      PARLEY_RECORDINGS_DIR: dir,
      PARLEY_RECORDINGS_TOKEN: TOKEN,
    });
    // Written after the start: one found at start would be processed (resumed) at once.
    fakeRecording(dir, 'processing', 'rec-20261207T220000Z-zzzzzzzz');
    const auth = { authorization: `Bearer ${TOKEN}` };
    const get = (path: string, headers: Record<string, string> = auth, method = 'GET') =>
      fetch(`${s.url}${path}`, { headers, method });

    assert.equal((await get('/recordings', {})).status, 401);
    assert.equal((await get('/recordings', { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    assert.equal((await get('/recordings', { authorization: `Basic ${TOKEN}` })).status, 401);
    const list = (await (await get('/recordings')).json()) as { recordings: { id: string }[] };
    assert.deepEqual(list.recordings.map((r) => r.id).sort(), [ID, 'rec-20261207T220000Z-zzzzzzzz']);

    const whole = await get(`/recordings/${ID}/composite.webm`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'video/webm');
    assert.match(whole.headers.get('content-disposition') ?? '', /^attachment/);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), body);
    const part = await get(`/recordings/${ID}/composite.webm`, { ...auth, range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 10-19/1000');
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(10, 20));
    // A huge end is clamped to the file; a start past it is unsatisfiable; a suffix range works.
    const huge = await get(`/recordings/${ID}/composite.webm`, {
      ...auth,
      range: 'bytes=990-999999999999999',
    });
    assert.equal(huge.status, 206);
    assert.equal((await huge.arrayBuffer()).byteLength, 10);
    assert.equal(
      (await get(`/recordings/${ID}/composite.webm`, { ...auth, range: 'bytes=5000-' })).status,
      416,
    );
    assert.equal(
      (await (await get(`/recordings/${ID}/composite.webm`, { ...auth, range: 'bytes=-4' })).arrayBuffer())
        .byteLength,
      4,
    );
    // Several ranges: answered whole (allowed), never several parts.
    assert.equal(
      (await get(`/recordings/${ID}/composite.webm`, { ...auth, range: 'bytes=0-1,5-6' })).status,
      200,
    );
    assert.equal(
      (await get(`/recordings/${ID}/tracks/ann-audio-0-1.opus`)).headers.get('content-type'),
      'audio/ogg',
    );

    // Traversal, unlisted files, raw dumps, the manifest, bad escapes, other ids.
    for (const path of [
      `/recordings/${ID}/recording.json`,
      `/recordings/${ID}/raw/secret.mjr`,
      `/recordings/${ID}/tracks/..%2F..%2Frecording.json`,
      `/recordings/${ID}/..%2F..%2F..%2Fetc%2Fpasswd`,
      '/recordings/..%2F..%2Fetc/passwd',
      `/recordings/${ID}/tracks/.hidden`,
      '/recordings/rec-20261207T220000Z-nothere0/composite.webm',
    ])
      assert.equal((await get(path)).status, 404, path);
    assert.equal((await get(`/recordings/${ID}/%E0%A4%A`)).status, 400);
    assert.equal((await get('/recordings', auth, 'DELETE')).status, 405);
    assert.equal((await get(`/recordings/${ID}/composite.webm`, auth, 'DELETE')).status, 405);

    // Deleting: not while processing; a finished one goes, once.
    assert.equal((await get('/recordings/rec-20261207T220000Z-zzzzzzzz', auth, 'DELETE')).status, 409);
    assert.equal((await get(`/recordings/${ID}`, {}, 'DELETE')).status, 401);
    assert.equal((await get(`/recordings/${ID}`, auth, 'DELETE')).status, 204);
    assert.equal((await get(`/recordings/${ID}`, auth, 'DELETE')).status, 404);
    assert.equal((await get(`/recordings/${ID}/composite.webm`)).status, 404);
  });
});
