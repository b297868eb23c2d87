/**
 * Shared setup of the background-tab tests: a real Parley server serving the SDK test page
 * (test/e2e/sdk/page.ts, `window.T`), and Debian Chromium driven by puppeteer-core with
 * background throttling left ON (Playwright keeps every page visible, and puppeteer's default
 * flags switch throttling off: see /work/shared/TESTING-WEBRTC.md "Background tabs").
 * Intensive wake-up throttling (one timer wake-up a minute) starts after 10 s hidden instead of
 * 5 minutes.
 */
import type { ParleyServer } from '@parley/server';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, removeDir } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';
import { buildSdkPages } from '../sdk/harness.ts';

/** The flags puppeteer adds by default that switch background throttling off. */
export const THROTTLING_OFF_FLAGS = [
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
];

/** Chromium with background throttling as a user has it, intensive throttling after 10 s. */
export function launchThrottledChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...CHROMIUM_ARGS.filter((a) => !THROTTLING_OFF_FLAGS.includes(a)),
      '--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/10',
    ],
    ignoreDefaultArgs: THROTTLING_OFF_FLAGS,
  });
}

/** Server + throttled browser; `page()` opens the SDK test page in a new tab. */
export interface BackgroundEnv {
  server: ParleyServer;
  browser: Browser;
  page(label: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startBackgroundEnv(env: Record<string, string> = {}): Promise<BackgroundEnv> {
  const dir = await buildSdkPages();
  const server = await startServer({ PARLEY_WEB_DIR: dir, ...env });
  const browser = await launchThrottledChromium();
  const origin = server.url;
  await browser.defaultBrowserContext().overridePermissions(origin, ['notifications']);
  return {
    server,
    browser,
    page: async (label) => {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.log(`# [${label}] pageerror ${String(e)}`));
      await page.goto(`${origin}/sdk.html`);
      await page.waitForFunction(() => typeof window.T === 'object');
      return page;
    },
    close: async () => {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      removeDir(dir);
    },
  };
}

/** Seconds from an env var, or the default. */
export function envSeconds(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
