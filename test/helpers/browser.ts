/**
 * Headless Chromium for end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core,
 * with fake camera and microphone (see ../shared/TESTING-WEBRTC.md for why each flag is here).
 * Also bundles browser entry points with esbuild and serves them from a throwaway static server.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type LaunchOptions, type Page } from 'playwright-core';
import { until } from './wait.ts';

export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--enable-precise-memory-info',
  // Keep timers running at full speed in background pages (several pages share one browser).
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** Launches headless Chromium. Extra args are appended (e.g. to deny the fake camera). */
export async function launchChromium(
  extraArgs: string[] = [],
  options: LaunchOptions = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    ...options,
  });
}

/** A context whose pages may use camera and microphone on the given origin without prompts. */
export async function newMediaContext(browser: Browser, origin?: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  if (origin) await context.grantPermissions(['camera', 'microphone'], { origin });
  return context;
}

/** Forwards a page's console errors and uncaught exceptions to the test output (when verbose). */
export function tracePage(page: Page, label: string): void {
  page.on('pageerror', (err) => console.error(`[${label}] pageerror:`, err.message));
  if (process.env.PARLEY_TEST_VERBOSE) {
    page.on('console', (msg) => console.log(`[${label}] ${msg.type()}: ${msg.text()}`));
  }
}

/**
 * Bundles browser entry points (TypeScript) into one folder with esbuild, as ES modules.
 * `entries` maps an output name (without extension) to a source file. Returns the folder.
 */
export async function bundleForBrowser(entries: Record<string, string>, outdir?: string): Promise<string> {
  const dir = outdir ?? mkdtempSync(join(tmpdir(), 'parley-bundle-'));
  await build({
    entryPoints: entries,
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  return dir;
}

/**
 * Bundles each entry (as `bundleForBrowser`) and writes `<name>.html`, a page that loads it as a
 * module. Returns the folder.
 */
export async function bundlePages(entries: Record<string, string>, outdir?: string): Promise<string> {
  const dir = await bundleForBrowser(entries, outdir);
  for (const name of Object.keys(entries)) {
    writePage(
      dir,
      `${name}.html`,
      `<!doctype html><meta charset="utf-8"><script type="module" src="/${name}.js"></script>`,
    );
  }
  return dir;
}

/** A folder of bundled pages and the server that serves it. */
export interface PageSite<S extends { url: string; close(): Promise<unknown> }> {
  readonly server: S;
  readonly dir: string;
  /** The URL of the page bundled from entry `name`. */
  page(name: string): string;
  /** Stops the server and removes the folder. */
  close(): Promise<void>;
}

/**
 * Bundles `entries` as pages (`bundlePages`) and serves the folder with `serve`: `serveStatic`,
 * or a Parley server started with PARLEY_WEB_DIR set to it. The folder is removed with the
 * server, or at once if `serve` fails.
 */
export async function servePages<S extends { url: string; close(): Promise<unknown> }>(
  entries: Record<string, string>,
  serve: (dir: string) => Promise<S>,
): Promise<PageSite<S>> {
  const dir = await bundlePages(entries);
  let server: S;
  try {
    server = await serve(dir);
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  return {
    server,
    dir,
    page: (name) => `${server.url}/${name}.html`,
    async close() {
      await server.close();
      removeDir(dir);
    },
  };
}

/** Writes a file into a served folder (test pages next to their bundles). */
export function writePage(dir: string, name: string, html: string): void {
  writeFileSync(join(dir, name), html);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};

export interface StaticServer {
  /** Origin such as http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** Serves a folder on 127.0.0.1 at a free port (for pages that need no Parley server of their own). */
export async function serveStatic(dir: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What `openBlankMediaPage` adds to its page's window for code the test evaluates there. */
export interface BlankMediaWindow {
  /** Resolves once `pc` finished gathering ICE candidates (its description is then complete). */
  gathered(pc: RTCPeerConnection): Promise<void>;
}

/** A page of its own in a fresh Chromium with fake devices: WebRTC driven by the test. */
export interface BlankMediaPage {
  readonly browser: Browser;
  readonly page: Page;
  /** Closes the browser and the page's server, removes its folder. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a blank page (`body` inside it), served over HTTP from 127.0.0.1 so the media APIs
 * work, in a fresh Chromium; its console and errors are traced under `label`.
 */
export async function openBlankMediaPage(label: string, body = ''): Promise<BlankMediaPage> {
  const dir = mkdtempSync(join(tmpdir(), `parley-${label}-`));
  writePage(dir, 'index.html', `<!doctype html><title>${label}</title>${body}`);
  const site = await serveStatic(dir);
  const browser = await launchChromium();
  const context = await newMediaContext(browser, site.url);
  const page = await context.newPage();
  tracePage(page, label);
  await page.addInitScript(() => {
    (window as unknown as BlankMediaWindow).gathered = (pc) =>
      new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') resolve();
        });
      });
  });
  await page.goto(`${site.url}/index.html`);
  let closed = false;
  return {
    browser,
    page,
    async close() {
      if (closed) return;
      closed = true;
      await browser.close().catch(() => {});
      await site.close();
      removeDir(dir);
    },
  };
}

/** Removes a temporary folder made by bundleForBrowser. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Polls `fn` in the page until it returns a truthy value, and returns that value.
 * Use for conditions read from getStats(): frames decoded, bytes received.
 */
export async function pollPage<T>(
  page: Page,
  fn: () => Promise<T> | T,
  { timeoutMs = 15_000, intervalMs = 200, what = 'condition' } = {},
): Promise<T> {
  return until(() => page.evaluate(fn) as Promise<T>, { what, timeoutMs, intervalMs });
}
