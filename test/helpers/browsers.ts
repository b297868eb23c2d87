/**
 * One small, uniform layer over the two browser drivers, so an interop test names the browsers
 * it pairs and the rest of the test does not care which driver is underneath:
 * Chromium pages come from Playwright (test/helpers/browser.ts), Firefox pages from Puppeteer
 * over WebDriver BiDi (test/helpers/firefox.ts).
 *
 * Launches are lazy and shared: a {@link BrowserSet} starts at most one Chromium and one Firefox
 * (Firefox takes 2–4 s to start, Chromium under 0.5 s), and every page opened in it lives in
 * that browser. Chromium pages share one context, the fastest layout for calls between them.
 *
 * @example
 * const browsers = new BrowserSet();
 * after(() => browsers.close());
 * it('calls chromium↔firefox', async () => {
 *   const [a, b] = await browsers.pair(['chromium', 'firefox'], `${server.url}/page.html`);
 *   // … a.evaluate(…), b.waitFor(…)
 *   await browsers.closePages();
 * });
 */

import type { Browser as PwBrowser, BrowserContext as PwContext, Page as PwPage } from 'playwright-core';
import type { Browser as PpBrowser, Page as PpPage } from 'puppeteer-core';
import { launchChromium } from './browser.ts';
import { launchFirefox } from './firefox.ts';
import { type Truthy, until } from './wait.ts';

/** The browsers the interop suite can drive. */
export const BrowserKind = { chromium: 'chromium', firefox: 'firefox' } as const;
export type BrowserKind = (typeof BrowserKind)[keyof typeof BrowserKind];

/** Two browsers that take part in one call, e.g. `['chromium', 'firefox']`. */
export type Pairing = readonly [BrowserKind, BrowserKind];

/** Names a pairing for test titles and benchmark output: `chromium↔firefox`. */
export function pairingName(pairing: Pairing): string {
  return `${pairing[0]}↔${pairing[1]}`;
}

/** A function run inside the page. It must be self-contained: it is serialized as source text. */
export type PageFn<A, R> = (arg: A) => R | Promise<R>;

export interface WaitOptions<A> {
  /** Give up after this many milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Pause between polls in milliseconds (default 100). */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
  /** Argument passed to the polled function. */
  arg?: A;
}

/** A page in either browser, with the few operations interop tests need. */
export interface TestPage {
  readonly kind: BrowserKind;
  /** Unique within its BrowserSet, e.g. `firefox#2`; used in messages and logs. */
  readonly label: string;
  /** Runs `fn(arg)` in the page and returns its (structured-clone-able) result. */
  evaluate<R, A = undefined>(fn: PageFn<A, R>, arg?: A): Promise<R>;
  /**
   * Polls `fn(arg)` in the page until it returns a truthy value and returns that value; throws
   * with the last value seen when the time runs out. Use it for getStats() conditions.
   */
  waitFor<R, A = undefined>(fn: PageFn<A, R>, options?: WaitOptions<A>): Promise<Truthy<R>>;
  /** Closes the page (its peer connections die with it). Idempotent. */
  close(): Promise<void>;
}

export interface BrowserSetOptions {
  /** Extra Chromium command-line flags. */
  chromiumArgs?: string[];
  /** Extra Firefox preferences, e.g. `media.peerconnection.ice.obfuscate_host_addresses: false`. */
  firefoxPrefs?: Record<string, string | number | boolean>;
}

/** Holds at most one browser of each kind, launched on first use, and the pages opened in them. */
export class BrowserSet {
  readonly #options: BrowserSetOptions;
  #chromium: Promise<{ browser: PwBrowser; context: PwContext }> | undefined;
  #firefox: Promise<PpBrowser> | undefined;
  readonly #pages = new Set<TestPage>();
  #count = 0;
  #closed = false;

  constructor(options: BrowserSetOptions = {}) {
    this.#options = options;
  }

  /** Starts the browsers a test file will need ahead of time (e.g. in `before`). */
  async warmUp(kinds: readonly BrowserKind[]): Promise<void> {
    await Promise.all(
      [...new Set(kinds)].map((kind) => (kind === 'chromium' ? this.#getChromium() : this.#getFirefox())),
    );
  }

  /** The version string of the browser of that kind (launching it if needed), for reports. */
  async version(kind: BrowserKind): Promise<string> {
    if (kind === 'chromium') return `chromium/${(await this.#getChromium()).browser.version()}`;
    return (await this.#getFirefox()).version();
  }

  /** Opens a page in a browser of the given kind and navigates it to `url`. */
  async openPage(kind: BrowserKind, url: string): Promise<TestPage> {
    if (this.#closed) throw new Error('BrowserSet is closed');
    const label = `${kind}#${++this.#count}`;
    const page =
      kind === 'chromium' ? await this.#openChromium(label, url) : await this.#openFirefox(label, url);
    this.#pages.add(page);
    return page;
  }

  /** Opens one page per browser named in `pairing`, in that order, all at `url`. */
  async pair(pairing: Pairing, url: string): Promise<[TestPage, TestPage]> {
    const [a, b] = await Promise.all([this.openPage(pairing[0], url), this.openPage(pairing[1], url)]);
    return [a, b];
  }

  /** Closes every page opened so far, keeping the browsers for the next test. */
  async closePages(): Promise<void> {
    const pages = [...this.#pages];
    this.#pages.clear();
    await Promise.allSettled(pages.map((p) => p.close()));
  }

  /** Closes all pages and both browsers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closePages();
    const chromium = this.#chromium;
    const firefox = this.#firefox;
    this.#chromium = undefined;
    this.#firefox = undefined;
    await Promise.allSettled([
      chromium?.then(({ browser }) => browser.close()),
      firefox?.then((browser) => browser.close()),
    ]);
  }

  #getChromium(): Promise<{ browser: PwBrowser; context: PwContext }> {
    this.#chromium ??= (async () => {
      const browser = await launchChromium(this.#options.chromiumArgs);
      return { browser, context: await browser.newContext() };
    })();
    return this.#chromium;
  }

  #getFirefox(): Promise<PpBrowser> {
    this.#firefox ??= launchFirefox({ prefs: this.#options.firefoxPrefs ?? {} });
    return this.#firefox;
  }

  async #openChromium(label: string, url: string): Promise<TestPage> {
    const { context } = await this.#getChromium();
    const page: PwPage = await context.newPage();
    page.on('pageerror', (err) => console.error(`[${label}] pageerror:`, err.message));
    if (process.env.PARLEY_TEST_VERBOSE) {
      page.on('console', (msg) => console.log(`[${label}] ${msg.type()}: ${msg.text()}`));
    }
    await page.goto(url);
    return this.#wrap(
      'chromium',
      label,
      (fn, arg) => page.evaluate(fn, arg),
      () => page.close(),
    );
  }

  async #openFirefox(label: string, url: string): Promise<TestPage> {
    const browser = await this.#getFirefox();
    const page: PpPage = await browser.newPage();
    page.on('pageerror', (err) =>
      console.error(`[${label}] pageerror:`, err instanceof Error ? err.message : String(err)),
    );
    if (process.env.PARLEY_TEST_VERBOSE) {
      page.on('console', (msg) => console.log(`[${label}] ${msg.type()}: ${msg.text()}`));
    }
    await page.goto(url);
    return this.#wrap(
      'firefox',
      label,
      // Puppeteer spreads arguments; pass exactly one so both drivers call fn(arg) alike.
      (fn, arg) => page.evaluate(fn as (a: unknown) => unknown, arg),
      () => page.close(),
    );
  }

  #wrap(
    kind: BrowserKind,
    label: string,
    run: (fn: PageFn<unknown, unknown>, arg: unknown) => Promise<unknown>,
    closePage: () => Promise<void>,
  ): TestPage {
    let closed = false;
    const pages = this.#pages;
    const page: TestPage = {
      kind,
      label,
      evaluate: <R, A>(fn: PageFn<A, R>, arg?: A) => run(fn as PageFn<unknown, unknown>, arg) as Promise<R>,
      async waitFor<R, A>(fn: PageFn<A, R>, options: WaitOptions<A> = {}): Promise<Truthy<R>> {
        const { timeoutMs = 15_000, intervalMs = 100, what = 'condition', arg } = options;
        return until(() => run(fn as PageFn<unknown, unknown>, arg) as Promise<R>, {
          what: `${what} in ${label}`,
          timeoutMs,
          intervalMs,
        });
      },
      async close() {
        if (closed) return;
        closed = true;
        pages.delete(page);
        await closePage().catch(() => {
          // The browser may already be gone (closed by BrowserSet.close or crashed): nothing to do.
        });
      },
    };
    return page;
  }
}
