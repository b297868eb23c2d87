/**
 * Recording's costs on this machine (issue 23), printed as one JSON document (progress on
 * stderr); not a test. For 3 and 6 people in an SFU room (real Janus, headless Chromium, each
 * publishing a 320x240 camera at 15 fps and a tone): Janus's CPU over a window without recording
 * and over the same window while recording (the extra is what recording costs Janus), then the
 * post-processing per minute recorded (janus-pp-rec for every track, ffmpeg's composite): its
 * wall time (under `nice`, so it stretches on a busy machine) and the CPU seconds its tools used
 * (sampled from /proc every 200 ms: the tools whose command line names the recording's folder).
 * Each cell's figures also go to stderr as they come.
 *
 *   node --import tsx bench/recording/run.ts [--sizes 3,6] [--record-s 30] [--window-s 15] [--nice 10]
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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
    'record-s': { type: 'string', default: '30' },
    'window-s': { type: 'string', default: '15' },
    nice: { type: 'string', default: '10' },
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

/** CPU seconds of the processes whose command line contains `needle`, sampled until stopped. */
function sampleTools(needle: string): { stop(): number } {
  const seen = new Map<number, number>();
  const timer = setInterval(() => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (!cmd.includes(needle) || cmd.includes('node')) continue;
        seen.set(Number(d), Math.max(seen.get(Number(d)) ?? 0, cpuS(Number(d))));
      } catch {}
    }
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      return Math.round([...seen.values()].reduce((a, b) => a + b, 0) * 10) / 10;
    },
  };
}
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
    PARLEY_RECORDING_NICE: values.nice,
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
    const tools = sampleTools(dir);
    await page.evaluate(() => window.REC.stop('b0', 'bench'));
    log(`${size} people: recorded; processing`);
    const manifestFile = join(dir, id, 'recording.json');
    let m: { phase: string; processingS?: number; startedAt: number; stoppedAt: number; files?: string[] };
    for (;;) {
      m = JSON.parse(readFileSync(manifestFile, 'utf8'));
      if (m.phase === 'done' || m.phase === 'failed') break;
      await sleep(500);
    }
    const toolCpuS = tools.stop();
    const recordedS = (m.stoppedAt - m.startedAt) / 1000;
    cells.push({
      people: size,
      recordedS,
      phase: m.phase,
      files: m.files?.length ?? 0,
      processingS: m.processingS,
      processingSPerMinute: m.processingS ? Math.round((m.processingS / (recordedS / 60)) * 10) / 10 : null,
      toolCpuS,
      toolCpuSPerMinute: Math.round((toolCpuS / (recordedS / 60)) * 10) / 10,
      janusCpuPercent: { idle, recording, extra: Math.round((recording - idle) * 10) / 10 },
    });
    log(JSON.stringify(cells.at(-1)));
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
      nice: Number(values.nice),
      cells,
    },
    null,
    2,
  )}\n`,
);
