/**
 * Recording's costs on this machine (issue 23), printed as one JSON document (progress on
 * stderr); not a test. For 3 and 6 people in an SFU room (real Janus, headless Chromium, each
 * publishing a 320x240 camera at 15 fps and a tone): Janus's CPU over a window without recording
 * and over the same window while recording (the extra is what recording costs Janus), then the
 * post-processing time (janus-pp-rec for every track, ffmpeg's composite) per minute recorded.
 *
 *   node --import tsx bench/recording/run.ts [--sizes 3,6] [--record-s 60] [--window-s 20]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type {} from '../../test/e2e/recording/record-page.ts';
import { bundlePages, launchChromium, newMediaContext, removeDir } from '../../test/helpers/browser.ts';
import { janusEnv, startJanus } from '../../test/helpers/janus.ts';
import { startServer } from '../../test/helpers/server.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '3,6' },
    'record-s': { type: 'string', default: '60' },
    'window-s': { type: 'string', default: '20' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const RECORD_S = Number(values['record-s']);
const WINDOW_S = Math.min(Number(values['window-s']), RECORD_S - 2);
const ROOT = new URL('../..', import.meta.url).pathname;
const TICK = 100; // USER_HZ on Linux

/** utime+stime of `pid`, seconds. */
function cpuS(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICK;
}

async function cpuPercentOver(pid: number, seconds: number): Promise<number> {
  const a = cpuS(pid);
  await sleep(seconds * 1000);
  return Math.round(((cpuS(pid) - a) / seconds) * 1000) / 10;
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const web = await bundlePages({ rec: join(ROOT, 'test/e2e/recording/record-page.ts') });
const cells = [];
for (const size of SIZES) {
  const janus = await startJanus({ rtpPorts: 120 });
  const dir = mkdtempSync(join(tmpdir(), 'parley-rec-bench-'));
  const server = await startServer({
    PARLEY_WEB_DIR: web,
    ...janusEnv(janus),
    PARLEY_RECORDING: 'anyone',
    PARLEY_RECORDINGS_DIR: dir,
    PARLEY_RECORDING_MIN_FREE_MB: '1',
  });
  const browser = await launchChromium();
  try {
    const page = await (await newMediaContext(browser, server.url)).newPage();
    await page.goto(`${server.url}/rec.html`);
    await page.waitForFunction(() => typeof window.REC === 'object');
    const names = Array.from({ length: size }, (_, i) => `b${i}`);
    for (const [i, n] of names.entries())
      await page.evaluate(([n, hz, m]) => window.REC.join(n, 'bench', hz, m), [
        n,
        300 + 50 * i,
        i === 0 ? 'sfu' : undefined,
      ] as const);
    log(`${size} people: joined; settling`);
    await sleep(5000);
    const idle = await cpuPercentOver(janus.pid!, WINDOW_S);
    const id = await page.evaluate(() => window.REC.start('b0', 'bench'));
    await sleep(2000);
    const recording = await cpuPercentOver(janus.pid!, WINDOW_S);
    await sleep(Math.max(0, (RECORD_S - 2 - WINDOW_S) * 1000));
    await page.evaluate(() => window.REC.stop('b0', 'bench'));
    log(`${size} people: recorded; processing`);
    const manifestFile = join(dir, id, 'recording.json');
    let m: { phase: string; processingS?: number; startedAt: number; stoppedAt: number; files?: string[] };
    for (;;) {
      m = JSON.parse(readFileSync(manifestFile, 'utf8'));
      if (m.phase === 'done' || m.phase === 'failed') break;
      await sleep(500);
    }
    const recordedS = (m.stoppedAt - m.startedAt) / 1000;
    cells.push({
      people: size,
      recordedS,
      phase: m.phase,
      files: m.files?.length ?? 0,
      processingS: m.processingS,
      processingSPerMinute: m.processingS ? Math.round((m.processingS / (recordedS / 60)) * 10) / 10 : null,
      janusCpuPercent: { idle, recording, extra: Math.round((recording - idle) * 10) / 10 },
    });
    await page.evaluate(() => window.REC.closeAll());
  } finally {
    await browser.close().catch(() => {});
    await server.close();
    await janus.close();
    removeDir(dir);
  }
}
removeDir(web);
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'recording',
      machine: { cpus: availableParallelism(), model: cpus()[0]?.model.trim(), loadavg: loadavg() },
      recordS: RECORD_S,
      windowS: WINDOW_S,
      cpu: 'utime+stime of the Janus process from /proc over the window; percent of one core',
      cells,
    },
    null,
    2,
  )}\n`,
);
