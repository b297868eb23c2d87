/**
 * Headless Firefox ESR for browser-interop tests: Debian's /usr/bin/firefox-esr driven by
 * puppeteer-core over WebDriver BiDi (Playwright cannot drive a stock Firefox build).
 *
 * Facts this relies on (measured, see /work/shared/TESTING-WEBRTC.md "Firefox ESR"):
 * - fake camera and microphone need BOTH `media.navigator.streams.fake` and
 *   `media.navigator.permission.disabled`; one alone gives NotFoundError or a hang;
 * - BiDi has no camera/microphone permission override, no CDP sessions and no `page.metrics`;
 * - a launch takes 2–4 s, so a test file launches one Firefox and opens pages in it.
 *
 * The machine has no internet. Puppeteer's own profile defaults already blank the update,
 * Normandy, remote-settings and add-on URLs; {@link FIREFOX_PREFS} turns off the rest of the
 * background traffic (captive portal and connectivity probes, telemetry, Safe Browsing list
 * updates, speculative connections, DNS prefetch, GMP plugin downloads) so that a start is quiet
 * and fast and never waits on a lookup that cannot succeed.
 */

import { type Browser, launch } from 'puppeteer-core';

/** Firefox binary; override with PARLEY_FIREFOX to try another build. */
export const FIREFOX_PATH = process.env.PARLEY_FIREFOX ?? '/usr/bin/firefox-esr';

/** Preferences for a quiet, offline, prompt-free Firefox with fake media devices. */
export const FIREFOX_PREFS: Readonly<Record<string, string | number | boolean>> = {
  // Fake camera/microphone, no permission prompt. Both are required.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Autoplay of remote <video> elements without a user gesture (pages may attach streams).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,

  // Updates: the application, add-ons, search engines, and codec plugins (OpenH264/Widevine).
  'app.update.auto': false,
  'app.update.enabled': false,
  'app.update.staging.enabled': false,
  'extensions.update.autoUpdateDefault': false,
  'extensions.systemAddon.update.enabled': false,
  'extensions.blocklist.enabled': false,
  'browser.search.geoip.url': '',
  'media.gmp-manager.url': '',
  'media.gmp-gmpopenh264.autoupdate': false,
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-widevinecdm.enabled': false,
  'media.gmp-widevinecdm.autoupdate': false,

  // Telemetry, crash and health reports, studies, pings.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.newProfilePing.enabled': false,
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.firstShutdownPing.enabled': false,
  'toolkit.telemetry.updatePing.enabled': false,
  'toolkit.telemetry.bhrPing.enabled': false,
  'toolkit.coverage.opt-out': true,
  'app.shield.optoutstudies.enabled': false,
  'app.normandy.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.crashReports.unsubmittedCheck.enabled': false,
  'breakpad.reportURL': '',
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,

  // Connectivity probes: captive portal detection and the network connectivity service.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'captivedetect.canonicalURL': '',

  // Safe Browsing (list downloads at start).
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',

  // Speculative network work: predictor, prefetch, DNS prefetch, pre-connects.
  'network.predictor.enabled': false,
  'network.predictor.enable-prefetch': false,
  'network.prefetch-next': false,
  'network.dns.disablePrefetch': true,
  'network.http.speculative-parallel-limit': 0,
  'browser.urlbar.speculativeConnect.enabled': false,
  'browser.places.speculativeConnect.enabled': false,

  // Remote content: new-tab feeds, push, DoH, geolocation lookups, contile/suggest.
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.newtabpage.activity-stream.feeds.topsites': false,
  'browser.newtabpage.activity-stream.showSponsored': false,
  'browser.newtabpage.activity-stream.showSponsoredTopSites': false,
  'browser.topsites.contile.enabled': false,
  'browser.urlbar.quicksuggest.enabled': false,
  'dom.push.enabled': false,
  'dom.push.connection.enabled': false,
  'network.trr.mode': 5,
  'geo.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,

  // Keep pages in the background running at full speed (several pages share one browser).
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
};

export interface LaunchFirefoxOptions {
  /** Preferences merged over {@link FIREFOX_PREFS}, e.g. real host addresses instead of mDNS. */
  prefs?: Record<string, string | number | boolean>;
  /** Launch timeout in milliseconds (default 30 s: the first start after install is slow). */
  timeoutMs?: number;
}

/**
 * Launches headless Firefox ESR over WebDriver BiDi with fake media and a quiet profile.
 * Puppeteer makes a throwaway profile and deletes it when the browser closes.
 *
 * @example
 * const firefox = await launchFirefox();
 * const page = await firefox.newPage();
 * await page.goto(url);
 * // …
 * await firefox.close();
 */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<Browser> {
  return launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    timeout: options.timeoutMs ?? 30_000,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...options.prefs },
    // Release builds ignore the `services.settings.server` pref (Puppeteer points it at a dummy
    // data: URL) unless this variable is set; without it Firefox resolves
    // firefox.settings.services.mozilla.com at every start.
    env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
  });
}
