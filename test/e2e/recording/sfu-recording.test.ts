// @needs chromium, janus, janus-tools, ffmpeg
/**
 * Server recording of an SFU room end to end: real Chromium, the real server, a real Janus,
 * janus-pp-rec and ffmpeg. Three members publish a camera and a tone; one records the room for
 * `PARLEY_TEST_RECORD_S` seconds (default 10). Every member must get the notice; the composite
 * must pass ffprobe with one video and one audio stream of the recorded length (± 1 s) and audio
 * that is not silent (volumedetect); the per-person tracks must exist. Then a recording cut by
 * the server shutting down is processed by the next server on the same folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, Page } from 'playwright-core';
import { STAGE } from '../../../packages/server/src/recording/compose.ts';
import { bundlePages, launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { janusEnv, startJanus, type TestJanus } from '../../helpers/janus.ts';
import { startServer } from '../../helpers/server.ts';
import { until } from '../../helpers/wait.ts';
import type {} from './record-page.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const RECORD_S = Number(process.env.PARLEY_TEST_RECORD_S ?? 10);

/** ffprobe's streams and duration of `file`. */
function probe(file: string): { streams: { codec_type: string }[]; format: { duration: string } } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** signalstats's averages (Y, U, V) of the composite's stage region in the frame at `atS`. */
function stageColour(file: string, atS: number): { y: number; u: number; v: number } {
  const { x, y, width, height } = STAGE;
  // Decoded from the start and trimmed in the filter: exact, whatever the keyframes.
  const filter = `trim=start=${atS},crop=${width}:${height}:${x}:${y},signalstats,metadata=print:file=pipe\\\\:1`;
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      filter,
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  const avg = (k: string) =>
    Number(new RegExp(`signalstats\\.${k}AVG=([\\d.]+)`).exec(r.stdout)?.[1] ?? Number.NaN);
  const out = { y: avg('Y'), u: avg('U'), v: avg('V') };
  assert.ok(Number.isFinite(out.y), `no stats at ${atS} s: ${r.stderr.slice(-1000)}`);
  return out;
}

/** The mean volume of `file`'s audio, dB (volumedetect). */
function meanVolumeDb(file: string): number {
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-i', file, '-af', 'volumedetect', '-f', 'null', '-'],
    {
      encoding: 'utf8',
    },
  );
  const m = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(r.stderr);
  assert.ok(m, r.stderr.slice(-2000));
  return m[1] === '-inf' ? -Infinity : Number(m[1]);
}

describe('SFU recording (real Janus, Chromium, janus-pp-rec, ffmpeg)', () => {
  let janus: TestJanus;
  let server: ParleyServer;
  let browser: Browser;
  let page: Page;
  let web: string;
  const recordings = mkdtempSync(join(tmpdir(), 'parley-rec-'));
  const env = () => ({
    PARLEY_WEB_DIR: web,
    ...janusEnv(janus),
    PARLEY_RECORDING: 'anyone',
    PARLEY_RECORDINGS_DIR: recordings,
    PARLEY_RECORDING_MIN_FREE_MB: '1',
    // Not niced here: on a shared, loaded test machine nice 10 starves processing for minutes.
    PARLEY_RECORDING_NICE: '0',
  });

  before(async () => {
    janus = await startJanus();
    web = await bundlePages({ rec: join(ROOT, 'test/e2e/recording/record-page.ts') });
    server = await startServer(env());
    browser = await launchChromium();
    page = await (await newMediaContext(browser, server.url)).newPage();
    tracePage(page, 'rec');
    await page.goto(`${server.url}/rec.html`);
    await page.waitForFunction(() => typeof window.REC === 'object');
  });
  after(async () => {
    await page?.evaluate(() => window.REC.closeAll()).catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await janus?.close();
    if (web) removeDir(web);
    removeDir(recordings);
  });

  const names = ['ra', 'rb', 'rc'];

  it('recording › three members recorded: notice to all, one composite of the right length with sound, tracks per person', async (t) => {
    const room = 'rec-room';
    for (const [i, name] of names.entries()) {
      const joined = await page.evaluate(([n, r, hz, m]) => window.REC.join(n, r, hz, m), [
        name,
        room,
        300 + 150 * i,
        i === 0 ? 'sfu' : undefined,
      ] as const);
      assert.equal(joined.mode, 'sfu');
    }
    // Media flows before recording: every member decodes the two others.
    await until(
      async () => {
        for (const n of names) {
          const d = await page.evaluate((x) => window.REC.decoded(x), n);
          if (d.length < 2 || d.some((f) => f < 5)) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, what: 'members decode each other' },
    );
    const id = await page.evaluate(([n, r]) => window.REC.start(n, r), ['ra', room] as const);
    assert.match(id, /^rec-/);
    await until(
      async () => {
        for (const n of names) {
          const got = await page.evaluate((x) => window.REC.notices(x), n);
          if (!got.some((s) => s.room === room && s.active && s.by === 'ra')) return false;
        }
        return true;
      },
      { timeoutMs: 5000, what: 'every member told recording is on' },
    );
    // A second start while recording is refused with its own reason.
    const again = await page.evaluate(([n, r]) => window.REC.startError(n, r), ['rb', room] as const);
    assert.deepEqual(again, { code: 'RECORDING_REFUSED', reason: 'recording_busy' });
    // Part way through, rb shares a solid red "screen": from then on it takes the stage.
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, RECORD_S * 400));
    await page.evaluate(([n]) => window.REC.share(n, '#ff0000'), ['rb'] as const);
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + RECORD_S * 1000 - Date.now())));
    assert.equal(await page.evaluate(([n, r]) => window.REC.stop(n, r), ['ra', room] as const), id);
    await until(
      async () => {
        for (const n of names) {
          const got = await page.evaluate((x) => window.REC.notices(x), n);
          if (!got.some((s) => s.room === room && !s.active)) return false;
        }
        return true;
      },
      { timeoutMs: 5000, what: 'every member told recording is off' },
    );
    await until(
      async () => (await page.evaluate((x) => window.REC.progress(x), 'ra')).some((p) => p.stage === 'done'),
      { timeoutMs: 300_000, what: 'post-processing done (progress to the recorder)' },
    );
    const stages = (await page.evaluate((x) => window.REC.progress(x), 'ra')).map((p) => p.stage);
    assert.ok(stages.includes('converting') && stages.includes('composing'), stages.join(','));
    const folder = join(recordings, id);
    const manifest = JSON.parse(readFileSync(join(folder, 'recording.json'), 'utf8'));
    assert.equal(manifest.phase, 'done');
    t.diagnostic(`processing took ${manifest.processingS} s for ${RECORD_S} s recorded`);
    const composite = join(folder, 'composite.webm');
    const p = probe(composite);
    assert.deepEqual(p.streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
    const duration = Number(p.format.duration);
    const recorded = (manifest.stoppedAt - manifest.startedAt) / 1000;
    assert.ok(Math.abs(duration - recorded) <= 1, `composite ${duration} s, recorded ${recorded} s`);
    assert.ok(Math.abs(duration - RECORD_S) <= 1.5, `composite ${duration} s, asked ${RECORD_S} s`);
    const db = meanVolumeDb(composite);
    assert.ok(db > -50, `mean volume ${db} dB`);
    const tracks = readdirSync(join(folder, 'tracks'));
    for (const n of names) {
      assert.ok(
        tracks.some((t) => t.startsWith(`${n}-audio-`) && t.endsWith('.opus')),
        `${n} audio: ${tracks}`,
      );
      assert.ok(
        tracks.some((t) => t.startsWith(`${n}-video-`) && t.endsWith('.webm')),
        `${n} video: ${tracks}`,
      );
    }
    for (const t of tracks) assert.ok(manifest.files.includes(`tracks/${t}`), t);
    // Layout: rb's screen was noted, and it fills the stage near the end; before it, a camera did.
    const rbFeed = Object.entries(manifest.feeds as Record<string, string>).find(([, n]) => n === 'rb')?.[0];
    assert.ok(rbFeed && manifest.screens?.[rbFeed]?.length === 1, JSON.stringify(manifest));
    const late = stageColour(composite, duration - 1.5);
    assert.ok(late.v > 200 && late.u < 110, `stage near the end is the red screen: ${JSON.stringify(late)}`);
    // Before the share (at 40 %): never the screen, and a camera once its first keyframe is in
    // (Janus starts each file on one; on a loaded machine that can take a few seconds).
    const early = [0.15, 0.2, 0.25, 0.3, 0.35].map((f) => stageColour(composite, RECORD_S * f));
    assert.ok(
      early.every((c) => c.v < 170),
      `no screen before the share: ${JSON.stringify(early)}`,
    );
    assert.ok(
      early.some((c) => c.y > 20),
      `a camera on the stage before the share: ${JSON.stringify(early)}`,
    );
  });

  it('recording › a recording cut by the server shutting down is processed by the next start', async () => {
    const room = 'rec-room';
    const id = await page.evaluate(([n, r]) => window.REC.start(n, r), ['ra', room] as const);
    await new Promise((r) => setTimeout(r, 3000));
    await page.evaluate(() => window.REC.closeAll());
    await server.close();
    const manifestFile = join(recordings, id, 'recording.json');
    const read = () => JSON.parse(readFileSync(manifestFile, 'utf8'));
    assert.equal(read().phase, 'stopped');
    assert.equal(read().stopReason, 'shutdown');
    server = await startServer(env());
    await until(() => read().phase === 'done', { timeoutMs: 120_000, what: 'processed after restart' });
    const p = probe(join(recordings, id, 'composite.webm'));
    assert.deepEqual(p.streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
    assert.ok(Number(p.format.duration) >= 2, p.format.duration);
  });
});
