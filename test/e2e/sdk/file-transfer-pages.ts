/**
 * Node side of the data-channel e2e tests: bundles file-transfer-entry.ts, serves it, opens two
 * pages of one browser context and connects their peer connections by passing descriptions.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FileTransferOptions } from '../../../packages/client/src/features/file-transfer.ts';
import {
  launchChromium,
  pollPage,
  type StaticServer,
  servePages,
  serveStatic,
  tracePage,
} from '../../helpers/browser.ts';
import { until } from '../../helpers/wait.ts';

/**
 * Without camera permission Chromium hides host addresses behind mDNS names; the pages here
 * connect over the machine's own address, so turn the obfuscation off.
 */
export const DATA_CHANNEL_ARGS = ['--disable-features=WebRtcHideLocalIpsWithMdns'];

export interface DataChannelRig {
  browser: Browser;
  server: StaticServer;
  dir: string;
  /** The page that loads the harness (`window.h`). */
  pageUrl: string;
  close(): Promise<void>;
}

/** Bundles the entry, serves it and launches Chromium. */
export async function startRig(): Promise<DataChannelRig> {
  const site = await servePages(
    { entry: new URL('./file-transfer-entry.ts', import.meta.url).pathname },
    serveStatic,
  );
  const browser = await launchChromium(DATA_CHANNEL_ARGS);
  return {
    browser,
    server: site.server,
    dir: site.dir,
    pageUrl: site.page('entry'),
    close: async () => {
      await browser.close();
      await site.close();
    },
  };
}

export interface PagePair {
  context: BrowserContext;
  a: Page;
  b: Page;
  close(): Promise<void>;
}

/** Two pages of one context, each with the harness loaded (`window.h`). */
export async function openPair(rig: DataChannelRig, { camera = false } = {}): Promise<PagePair> {
  const context = await rig.browser.newContext();
  if (camera) await context.grantPermissions(['camera', 'microphone'], { origin: rig.server.url });
  const a = await context.newPage();
  const b = await context.newPage();
  tracePage(a, 'a');
  tracePage(b, 'b');
  for (const p of [a, b]) {
    await p.goto(rig.pageUrl);
    await p.waitForFunction(() => window.h !== undefined);
  }
  return { context, a, b, close: () => context.close() };
}

/** Polls `fn(arg)` in the page until it returns a truthy value (pollPage with an argument). */
export async function pollWith<A, T>(
  page: Page,
  fn: (arg: A) => T | Promise<T>,
  arg: A,
  { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  return until(() => page.evaluate(fn as Parameters<Page['evaluate']>[0], arg as never) as Promise<T>, {
    what,
    timeoutMs,
    intervalMs,
  });
}

/**
 * Creates fresh connections on both pages (the pages' `FileTransfers` survive and re-attach)
 * and connects them, `a` offering. Resolves once both are connected and the chat channel is open.
 */
export async function connect(
  pair: PagePair,
  {
    options = {},
    camera = false,
    rawChatOnA = false,
    beforeOffer,
  }: {
    options?: FileTransferOptions;
    camera?: boolean;
    rawChatOnA?: boolean;
    /** Runs once both pages have their new connection, before the offer (e.g. to send early). */
    beforeOffer?: () => Promise<void>;
  } = {},
): Promise<void> {
  const { a, b } = pair;
  await a.evaluate(([o, raw]) => window.h.newConnection(o as FileTransferOptions, raw as boolean), [
    options,
    rawChatOnA,
  ] as const);
  await b.evaluate((o) => window.h.newConnection(o), options);
  if (camera) {
    await a.evaluate(() => window.h.addCamera());
    await b.evaluate(() => window.h.addCamera());
  }
  await beforeOffer?.();
  const offer = await a.evaluate(() => window.h.offer());
  const answer = await b.evaluate((o) => window.h.answer(o), offer);
  await a.evaluate((x) => window.h.accept(x), answer);
  for (const p of [a, b]) {
    await pollPage(p, () => window.h.pc?.connectionState === 'connected' && window.h.chatOpen(), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'connected with chat open',
    });
  }
}
