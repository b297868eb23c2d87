/**
 * Signed download links for recordings (http/recording-links.ts): a host downloads a finished
 * recording's file with the link alone, no operator token (none is even configured here), and a
 * stranger gets nowhere with an expired, tampered, foreign-room, other-recording, other-file or
 * wrongly keyed link, path tricks, or another method. Recordings are written on disk as
 * post-processing leaves them; the server points at a Janus that is not there.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import { RecordingLinks } from '../../../packages/server/src/http/recording-links.ts';
import { removeDir } from '../../helpers/browser.ts';
import { freePort } from '../../helpers/redis.ts';
import { startServer, stopAllServers } from '../../helpers/server.ts';

const SECRET = 'links-test-secret-links-test-secret-links';
const ID = 'rec-20261208T010000Z-aaaaaaaa';
const OTHER = 'rec-20261208T010000Z-bbbbbbbb';
const TTL = 600;

function fakeRecording(dir: string, id: string, room: string): Buffer {
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
  mkdirSync(join(dir, id, 'tracks'), { recursive: true });
  mkdirSync(join(dir, id, 'raw'), { recursive: true });
  writeFileSync(join(dir, id, 'composite.webm'), body);
  writeFileSync(join(dir, id, 'tracks', 'ann-audio-0-1.opus'), 'opus');
  writeFileSync(join(dir, id, 'raw', 'secret.mjr'), 'raw');
  const manifest = {
    id,
    room,
    by: 'ann',
    startedAt: Date.now() - 60_000,
    stoppedAt: Date.now() - 30_000,
    phase: 'done',
    feeds: {},
    files: ['composite.webm', 'tracks/ann-audio-0-1.opus'],
  };
  writeFileSync(join(dir, id, 'recording.json'), JSON.stringify(manifest));
  return body;
}

describe('recording › signed download links', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-rec-links-'));
  let server: ParleyServer;
  let body: Buffer;
  const links = new RecordingLinks(RecordingLinks.keyFrom([SECRET]), TTL);
  const url = (id: string, room: string, file: string, signer = links) =>
    signer.sign(id, room, [file]).links[0]!.url;
  const get = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);

  before(async () => {
    body = fakeRecording(dir, ID, 'standup');
    fakeRecording(dir, OTHER, 'standup');
    server = await startServer({
      PARLEY_JANUS_URL: `ws://127.0.0.1:${await freePort()}`,
      PARLEY_RECORDING: 'anyone',
      PARLEY_RECORDINGS_DIR: dir,
      PARLEY_AUTH_SECRET: SECRET,
      PARLEY_RECORDING_LINK_TTL_S: String(TTL),
    });
  });
  after(async () => {
    await stopAllServers();
    removeDir(dir);
  });

  it('a valid link downloads the file without any token (whole, HEAD, by range); the bare path stays 404', async () => {
    const path = url(ID, 'standup', 'composite.webm');
    assert.match(path, /^\/recordings\/rec-[^/?]+\/composite\.webm\?exp=\d+&sig=[\w-]{43}$/);
    const whole = await get(path);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'video/webm');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), body);
    assert.equal((await get(path, { method: 'HEAD' })).status, 200);
    const part = await get(path, { headers: { range: 'bytes=0-9' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(0, 10));
    const track = await get(url(ID, 'standup', 'tracks/ann-audio-0-1.opus'));
    assert.equal(track.status, 200);
    assert.equal(await track.text(), 'opus');
    // No operator token is configured: without a signature every path is 404, as before.
    assert.equal((await get(`/recordings/${ID}/composite.webm`)).status, 404);
    assert.equal((await get('/recordings')).status, 404);
  });

  it('expired, tampered, other room, other recording, other file, other key: 403', async () => {
    const good = url(ID, 'standup', 'composite.webm');
    const q = new URL(good, 'http://x').searchParams;
    const exp = Number(q.get('exp'));
    const sig = q.get('sig')!;
    const past = new RecordingLinks(RecordingLinks.keyFrom([SECRET]), 60, () => Date.now() - 3_600_000);
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const cases: [string, string][] = [
      ['expired', url(ID, 'standup', 'composite.webm', past)],
      ['signature changed', `/recordings/${ID}/composite.webm?exp=${exp}&sig=${flipped}`],
      ['expiry extended', `/recordings/${ID}/composite.webm?exp=${exp + 86_400}&sig=${sig}`],
      ['signed for another room', url(ID, 'other-room', 'composite.webm')],
      ['used on another recording', good.replace(ID, OTHER)],
      ['used on another file', good.replace('composite.webm', 'tracks/ann-audio-0-1.opus')],
      [
        'another key',
        url(
          ID,
          'standup',
          'composite.webm',
          new RecordingLinks(RecordingLinks.keyFrom(['x'.repeat(40)]), TTL),
        ),
      ],
      ['no signature', `/recordings/${ID}/composite.webm?exp=${exp}`],
      ['no expiry', `/recordings/${ID}/composite.webm?sig=${sig}`],
      ['signature too long', `/recordings/${ID}/composite.webm?exp=${exp}&sig=${sig}AAAA`],
      ['expiry not digits', `/recordings/${ID}/composite.webm?exp=1e99&sig=${sig}`],
      ['expiry 13 digits', `/recordings/${ID}/composite.webm?exp=9999999999999&sig=${sig}`],
      ['two signatures', `${good}&sig=${flipped}`.replace(`sig=${sig}&`, '')],
      ['recording that does not exist', url('rec-20261208T010000Z-nothere0', 'standup', 'composite.webm')],
      ['the listing', `/recordings?exp=${exp}&sig=${sig}`],
    ];
    for (const [what, path] of cases) assert.equal((await get(path)).status, 403, what);
  });

  it('path tricks and unlisted files signed by the server itself still find nothing; only GET and HEAD', async () => {
    // Signed, but not a file the manifest lists (or, once the client folds `..`, no file at all).
    for (const file of [
      'recording.json',
      'raw/secret.mjr',
      '../recording.json',
      'tracks/../recording.json',
      '.hidden',
    ]) {
      const status = (await get(url(ID, 'standup', file))).status;
      assert.ok(status === 404 || status === 403, `${file}: ${status}`);
    }
    const good = url(ID, 'standup', 'composite.webm');
    for (const method of ['DELETE', 'PUT', 'POST'])
      assert.equal((await get(good, { method })).status, 403, method);
    assert.equal((await get(good)).status, 200, 'still there after the DELETE attempt');
    const id = url(`${ID}/..`, 'standup', 'composite.webm');
    assert.ok([403, 404].includes((await get(id)).status));
  });
});
