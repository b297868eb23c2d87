/**
 * The rig of the SFU integration tests that drive a browser's WebRTC by hand: a real Janus, a
 * Parley server using it, and a blank media page in a fresh Chromium (`openBlankMediaPage`); the
 * test signals with plain WebSocket clients (ws-client.ts). Imports only the other test helpers.
 */
import { after, before } from 'node:test';
import type { ParleyServer } from '@parley/server';
import type { Page } from 'playwright-core';
import { type BlankMediaPage, openBlankMediaPage } from './browser.ts';
import { janusEnv, type StartJanusOptions, startJanus, type TestJanus } from './janus.ts';
import { startServer } from './server.ts';
import { closeAllClients, type TestClient } from './ws-client.ts';

export interface SfuPageRig {
  readonly janus: TestJanus;
  readonly server: ParleyServer;
  /** The blank page (`BlankMediaWindow`: `gathered(pc)`). */
  readonly page: Page;
  /** Closes the test's WebSocket clients, the page's browser, the server and Janus. */
  close(): Promise<void>;
}

export interface SfuPageOptions {
  /** HTML inside the blank page (e.g. a canvas standing in for a screen share). */
  body?: string;
  /** How to start Janus. */
  janus?: StartJanusOptions;
  /** Server settings on top of `janusEnv(janus)` (PARLEY_* strings). */
  env?: Record<string, string>;
}

/**
 * Starts Janus, then a Parley server on it, then the blank page (traced as `label`). What started
 * is closed again if a later step fails.
 */
export async function startSfuPage(label: string, options: SfuPageOptions = {}): Promise<SfuPageRig> {
  const janus = await startJanus(options.janus);
  let server: ParleyServer | undefined;
  let blank: BlankMediaPage | undefined;
  const close = async () => {
    try {
      await closeAllClients();
    } finally {
      await blank?.close();
      await server?.close();
      await janus.close();
    }
  };
  try {
    server = await startServer({ ...janusEnv(janus), ...options.env });
    blank = await openBlankMediaPage(label, options.body);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { janus, server, page: blank.page, close };
}

/**
 * The rig for one `describe`: started in `before`, closed in `after`. Its fields are there
 * once `before` ran (in the tests and later hooks).
 */
export function useSfuPage(label: string, options: SfuPageOptions = {}): SfuPageRig {
  let rig: SfuPageRig | undefined;
  before(async () => {
    rig = await startSfuPage(label, options);
  });
  after(() => rig?.close());
  const live = () => {
    if (!rig) throw new Error(`the ${label} SFU rig is not started (used outside a test?)`);
    return rig;
  };
  return {
    get janus() {
      return live().janus;
    },
    get server() {
      return live().server;
    },
    get page() {
      return live().page;
    },
    close: () => live().close(),
  };
}

/** Reads `sfu.feeds` frames on `client` until one lists `name` (its media is up in Janus). */
export async function feedListed(client: TestClient, name: string, timeoutMs = 15_000): Promise<void> {
  for (;;) {
    const feeds = await client.next('sfu.feeds', { timeoutMs });
    if (feeds.feeds.some((f) => f.name === name)) return;
  }
}
