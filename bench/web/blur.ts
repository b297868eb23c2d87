/**
 * What background blur costs in Chromium: one headless Chromium page shows its fake camera in a
 * preview (as the web app's self view does), with the browser's own blur (the camera track's
 * `backgroundBlur` constraint, what packages/web/src/media/background-blur.ts switches) off and
 * on, alternately `ROUNDS` times for `WINDOW_S` seconds each. Measures CPU seconds per second of
 * the whole Chromium process tree (from /proc) and the frames per second the preview rendered.
 * Where the browser lists no `backgroundBlur: true` capability (the app then offers no switch),
 * the "on" rounds cannot run: the JSON says so (`available: false`) and gives the "off" figures.
 *
 *   node --import tsx bench/web/blur.ts
 *   EXTRA_ARGS=--enable-experimental-web-platform-features node --import tsx bench/web/blur.ts
 *
 * (Debian's Chromium lists the capability only with experimental web platform features on, and
 * then as `[false]`: Linux has no platform blur behind it.)
 *
 * May import the test helpers (Chromium launch) and bench/sfu/process-tree.ts (CPU from /proc).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { launchChromium, newMediaContext } from '../../test/helpers/browser.ts';
import { chromiumPids, cpuMsByPid } from '../sfu/process-tree.ts';

const WINDOW_S = Number(process.env.WINDOW_S ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const EXTRA_ARGS = (process.env.EXTRA_ARGS ?? '').split(' ').filter(Boolean);

const PAGE = `<!doctype html><meta charset="utf-8"><title>blur bench</title>
<video id="v" autoplay muted playsinline width="640" height="480"></video>`;

function totalCpuMs(): number {
  let sum = 0;
  for (const ms of cpuMsByPid(chromiumPids()).values()) sum += ms;
  return sum;
}

/** Turns the blur on or off; resolves to what the track's settings say afterwards. */
function setBlur(page: Page, on: boolean): Promise<boolean | null> {
  return page.evaluate(async (want) => {
    const track = (
      document.getElementById('v') as HTMLVideoElement & { srcObject: MediaStream }
    ).srcObject.getVideoTracks()[0]!;
    const caps = track.getCapabilities() as { backgroundBlur?: boolean[] };
    if (!caps.backgroundBlur?.includes(want)) return null;
    try {
      // What the app asks first (its other constraints kept), then the blur alone: Chromium
      // refuses to mix this "image capture" constraint with size or device constraints.
      await track
        .applyConstraints({ ...track.getConstraints(), backgroundBlur: want } as MediaTrackConstraints)
        .catch(() => track.applyConstraints({ backgroundBlur: want } as MediaTrackConstraints));
    } catch {
      return null;
    }
    return (track.getSettings() as { backgroundBlur?: boolean }).backgroundBlur === true;
  }, on);
}

function renderedFrames(page: Page): Promise<number> {
  return page.evaluate(
    () => (document.getElementById('v') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames,
  );
}

async function window(page: Page): Promise<{ cpuPerS: number; fps: number }> {
  const f0 = await renderedFrames(page);
  const c0 = totalCpuMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const c1 = totalCpuMs();
  const f1 = await renderedFrames(page);
  const s = (performance.now() - t0) / 1000;
  return { cpuPerS: (c1 - c0) / 1000 / s, fps: (f1 - f0) / s };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const round = (x: number, d = 3) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

async function main(): Promise<void> {
  const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const browser = await launchChromium(EXTRA_ARGS);
  try {
    const page = await (await newMediaContext(browser, origin)).newPage();
    await page.goto(origin);
    const capabilities = await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      const video = document.getElementById('v') as HTMLVideoElement;
      video.srcObject = stream;
      await video.play();
      const caps = stream.getVideoTracks()[0]!.getCapabilities() as { backgroundBlur?: boolean[] };
      return { backgroundBlur: caps.backgroundBlur ?? null, userAgent: navigator.userAgent };
    });
    await new Promise((r) => setTimeout(r, 2000)); // warm up
    const available = (await setBlur(page, true)) === true;
    const off: { cpuPerS: number; fps: number }[] = [];
    const on: { cpuPerS: number; fps: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await setBlur(page, false);
      off.push(await window(page));
      if (available && (await setBlur(page, true))) on.push(await window(page));
    }
    const offCpu = mean(off.map((x) => x.cpuPerS));
    const onCpu = mean(on.map((x) => x.cpuPerS));
    const result = {
      bench: 'web background blur (browser backgroundBlur constraint), one 640x480 fake camera preview',
      available,
      capabilities,
      chromiumArgs: EXTRA_ARGS,
      windowS: WINDOW_S,
      rounds: ROUNDS,
      off: { cpuSecondsPerSecond: round(offCpu), fps: round(mean(off.map((x) => x.fps)), 1) },
      on: available ? { cpuSecondsPerSecond: round(onCpu), fps: round(mean(on.map((x) => x.fps)), 1) } : null,
      cpuRatioOnToOff: available ? round(onCpu / offCpu, 2) : null,
      samples: { off, on },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await browser.close();
    http.close();
  }
}

await main();
