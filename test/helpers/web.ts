/**
 * The web app for end-to-end tests: builds it with Vite into a temporary folder (once per source
 * version: the folder is keyed by a hash of the app's, the SDK's and the protocol's sources, so
 * the test files of one run share a build) and starts a real Parley server that serves it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, tracePage } from './browser.ts';
import { startServer, stopAllServers } from './server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const WEB = join(ROOT, 'packages/web');
const SOURCES = [
  'packages/web/src',
  'packages/web/index.html',
  'packages/web/vite.config.ts',
  'scripts/precompress.mjs',
  'packages/client/src',
  'packages/protocol/src',
];

function hashSources(): string {
  const hash = createHash('sha256');
  const walk = (path: string) => {
    const full = join(ROOT, path);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) walk(join(path, entry));
      return;
    }
    hash.update(relative(ROOT, full));
    hash.update(readFileSync(full));
  };
  for (const s of SOURCES) walk(s);
  return hash.digest('hex').slice(0, 16);
}

let built: Promise<string> | null = null;

/** Builds the app (or reuses a build of the same sources) and returns its folder. */
export function buildWeb(): Promise<string> {
  built ??= (async () => {
    const dir = join(tmpdir(), `parley-web-${hashSources()}`);
    if (existsSync(join(dir, 'index.html'))) return dir;
    // Build beside the target and rename, so a concurrent run never sees half a build.
    const staging = `${dir}.${process.pid}.tmp`;
    mkdirSync(staging, { recursive: true });
    const { build } = await import('vite');
    await build({
      configFile: join(WEB, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir: staging, emptyOutDir: true, sourcemap: false },
    });
    try {
      renameSync(staging, dir);
    } catch {
      // Another process finished the same build first: use theirs.
      rmSync(staging, { recursive: true, force: true });
    }
    return dir;
  })();
  return built;
}

/** Starts a Parley server that serves the built app (extra PARLEY_* settings in `env`). */
export async function startWebServer(env: Record<string, string> = {}): Promise<ParleyServer> {
  const webDir = await buildWeb();
  return startServer({ PARLEY_WEB_DIR: webDir, ...env });
}

/** Where screenshots go (git-ignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Saves a screenshot of `page` as test-artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A person in the test: a browser context of their own (own storage) and one page. */
export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
}

/**
 * Opens the app as a new person and signs in with `name` (at `path`, e.g. `/#/room/x`).
 * Camera and microphone are Chromium's fake devices, granted for the server's origin.
 */
export async function openPerson(
  browser: Browser,
  baseUrl: string,
  name: string,
  { path = '/', viewport = { width: 1280, height: 800 }, grant = true } = {},
): Promise<Person> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  if (grant) await context.grantPermissions(['camera', 'microphone'], { origin: baseUrl });
  const page = await context.newPage();
  tracePage(page, name);
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: /^(Continue|Join room)/ }).click();
  return { name, context, page };
}

/** What {@link webSuite} gives a suite. */
export interface WebSuite {
  /** The server of the suite (set once `before` ran). */
  readonly server: ParleyServer;
  /** The suite's Chromium (set once `before` ran). */
  readonly browser: Browser;
  /** Opens the app as a new person ({@link openPerson}); closed after the test. */
  person(name: string, options?: Parameters<typeof openPerson>[3]): Promise<Person>;
  /** Closes a person the test opened its own way after the test, too. */
  keep(person: Person): Person;
}

/**
 * The usual web e2e suite, called inside `describe`: one server serving the built app (with
 * `env`) and one Chromium for all its tests, every person opened through it closed after each
 * test, and the server and the browser after the suite.
 */
export function webSuite(env: Record<string, string> = {}): WebSuite {
  let server: ParleyServer | undefined;
  let browser: Browser | undefined;
  const people: Person[] = [];
  before(async () => {
    server = await startWebServer(env);
    browser = await launchForWeb();
  });
  afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });
  after(async () => {
    await browser?.close();
    await stopAllServers();
  });
  return {
    get server() {
      if (!server) throw new Error('webSuite: the server starts in `before`');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('webSuite: the browser starts in `before`');
      return browser;
    },
    async person(name, options = {}) {
      const p = await openPerson(this.browser, this.server.url, name, options);
      people.push(p);
      return p;
    },
    keep(person) {
      people.push(person);
      return person;
    },
  };
}

/** Launches Chromium for web tests. */
export function launchForWeb(extraArgs: string[] = []): Promise<Browser> {
  return launchChromium(extraArgs);
}

/** Replaces getDisplayMedia with a moving canvas, since headless Chromium has no screen picker. */
export async function fakeScreenCapture(page: Page): Promise<void> {
  await page.evaluate(() => {
    navigator.mediaDevices.getDisplayMedia = async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 360;
      const g = canvas.getContext('2d')!;
      let x = 0;
      setInterval(() => {
        g.fillStyle = '#223';
        g.fillRect(0, 0, 640, 360);
        g.fillStyle = '#5b8def';
        x = (x + 8) % 640;
        g.fillRect(x, 140, 80, 80);
      }, 50);
      return canvas.captureStream(15);
    };
  });
}
