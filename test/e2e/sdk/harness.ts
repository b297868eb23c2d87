/**
 * Shared setup of the SDK's end-to-end tests: bundles ./page.ts (the SDK on `window`) into a
 * temporary folder with a blank page, starts a real Parley server that serves that folder
 * (PARLEY_WEB_DIR), and opens pages in one headless Chromium. Either in-process
 * (`startServer`) or as a child process (`spawnServer`), for tests that kill the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ParleyServer } from '@parley/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bundlePages, launchChromium, newMediaContext, removeDir, tracePage } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

/** Builds the test page folder: `sdk.js` (bundle of page.ts) and `sdk.html`. */
export function buildSdkPages(): Promise<string> {
  return bundlePages({ sdk: join(ROOT, 'test/e2e/sdk/page.ts') });
}

/** Everything one test file opens; close it in `after`. */
export interface SdkEnv {
  dir: string;
  server: ParleyServer;
  browser: Browser;
  context: BrowserContext;
  /** Opens the test page as a fresh tab, with the SDK loaded. */
  page(label: string): Promise<Page>;
  close(): Promise<void>;
}

/** In-process server + browser. `env` overrides server config (PARLEY_GRACE_S, …). */
export async function startSdkEnv(env: Record<string, string> = {}): Promise<SdkEnv> {
  const dir = await buildSdkPages();
  const server = await startServer({ PARLEY_WEB_DIR: dir, ...env });
  const browser = await launchChromium();
  const context = await newMediaContext(browser, server.url);
  return {
    dir,
    server,
    browser,
    context,
    page: (label) => openPage(context, `${server.url}/sdk.html`, label),
    close: async () => {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      removeDir(dir);
    },
  };
}

/** Opens `url` in a new tab and waits for the SDK bundle to load. */
export async function openPage(context: BrowserContext, url: string, label: string): Promise<Page> {
  const page = await context.newPage();
  tracePage(page, label);
  await page.goto(url);
  await page.waitForFunction(() => typeof window.T === 'object');
  return page;
}

/** A free TCP port on 127.0.0.1 (released before returning; the kernel rarely reuses it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A Parley server in a child process (so a test can SIGKILL it like a crash). */
export interface SpawnedServer {
  url: string;
  port: number;
  /** SIGKILL: no draining, no close frames; sockets just die. */
  kill(): Promise<void>;
}

/** Runs packages/server/src/main.ts on `port` and resolves once /healthz answers. */
export async function spawnServer(port: number, env: Record<string, string>): Promise<SpawnedServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'packages/server/src/main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PARLEY_HOST: '127.0.0.1',
        PARLEY_PORT: String(port),
        PARLEY_STUN_PORT: '0',
        PARLEY_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // A tsx start takes ~8 s on a busy 2-core machine and passed 20 s at load ~35 (seen once):
  // starting is not what these tests measure, so the deadline only guards against a hang.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
