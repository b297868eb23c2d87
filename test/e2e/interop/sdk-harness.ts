/**
 * Node side of the SDK interop tests: bundles the SDK page (test/e2e/interop/pages/sdk-peer.ts,
 * which imports the client SDK from source) into a folder that a real Parley server serves
 * (PARLEY_WEB_DIR), and small helpers to drive two such pages into a call.
 * Also used by bench/interop/pairings.ts.
 */

import { fileURLToPath } from 'node:url';
import { servePages } from '../../helpers/browser.ts';
import type { TestPage } from '../../helpers/browsers.ts';
import { startServer } from '../../helpers/server.ts';
import type { CallTimeline, FileOutcome, MediaReport, PeerLogRecord } from './pages/sdk-peer.ts';

export type { CallTimeline, FileOutcome, MediaReport, PeerLogRecord };

const SDK_PEER_SOURCE = fileURLToPath(new URL('./pages/sdk-peer.ts', import.meta.url));

export interface SdkSite {
  /** The page that loads `window.sdkPeer`, served by the Parley server itself. */
  pageUrl: string;
  /** The server's WebSocket URL. */
  wsUrl: string;
  close(): Promise<void>;
}

/** Bundles the SDK page and starts a Parley server (127.0.0.1, free port) that serves it. */
export async function startSdkSite(env: Record<string, string> = {}): Promise<SdkSite> {
  const site = await servePages({ 'sdk-peer': SDK_PEER_SOURCE }, (dir) =>
    startServer({ PARLEY_WEB_DIR: dir, ...env }),
  );
  return { pageUrl: site.page('sdk-peer'), wsUrl: site.server.wsUrl, close: site.close };
}

/** Waits for the page's SDK bundle, then connects it to the server as `name`. */
export async function connectSdkPeer(
  page: TestPage,
  wsUrl: string,
  name: string,
  { trace = false } = {},
): Promise<void> {
  await page.waitFor(() => typeof window.sdkPeer === 'object', { timeoutMs: 10_000, what: 'sdkPeer' });
  await page.evaluate(([url, n, t]) => window.sdkPeer.connect(url, n, { trace: t }), [
    wsUrl,
    name,
    trace,
  ] as const);
}

/** `caller` calls `callee` (who accepts) and both reach the call state `connected`. */
export async function sdkCall(caller: TestPage, callee: TestPage, calleeName: string): Promise<void> {
  await caller.evaluate((n) => window.sdkPeer.call(n), calleeName);
  try {
    await Promise.all(
      [caller, callee].map((p) =>
        p.waitFor(() => window.sdkPeer.callState() === 'connected', { what: 'call connected' }),
      ),
    );
  } catch (error) {
    const details = await Promise.all([caller, callee].map((p) => negotiationSummary(p)));
    throw new Error(`${(error as Error).message}\n${details.join('\n')}`, { cause: error });
  }
}

/**
 * One line per page on how negotiation went, for failure messages: call state, ICE state,
 * candidates gathered, and counts of the SDK's peer-layer log messages (offers, ignored offers,
 * failed steps…). A call stuck in `connecting` is told apart from a slow one this way.
 */
export async function negotiationSummary(page: TestPage): Promise<string> {
  try {
    const [state, ice, log] = await Promise.all([
      page.evaluate(() => window.sdkPeer.callState()),
      page.evaluate(() => window.sdkPeer.iceDebug()),
      page.evaluate(() => window.sdkPeer.peerLog()),
    ]);
    const counts: Record<string, number> = {};
    for (const r of log) counts[r.msg] = (counts[r.msg] ?? 0) + 1;
    const failures = log.filter((r) => r.msg === 'negotiation step failed').map((r) => String(r.ctx?.error));
    return `${page.label}: call ${state}, ice ${ice.ice}/${ice.gathering}, gathered ${JSON.stringify(ice.gathered)}, log ${JSON.stringify(counts)}${failures.length ? `, failures: ${failures.slice(0, 2).join(' | ')}` : ''}`;
  } catch (error) {
    return `${page.label}: no diagnostics (${String(error)})`;
  }
}

/**
 * Polls until `streams` remote video streams each decoded at least `frames` frames (beyond
 * `baseline`, frames decoded per track id at an earlier point) and audio arrived.
 */
export function waitForVideo(
  page: TestPage,
  { streams = 1, frames = 5, baseline = {} as Record<string, number>, timeoutMs = 15_000 } = {},
): Promise<MediaReport> {
  return page.waitFor(
    async ({ n, min, base }) => {
      const r = await window.sdkPeer.media();
      const flowing = r.video.filter((v) => v.framesDecoded - (base[v.trackIdentifier] ?? 0) >= min);
      return flowing.length >= n && r.audioBytes > 0 ? r : null;
    },
    {
      arg: { n: streams, min: frames, base: baseline },
      timeoutMs,
      what: `${streams} remote video stream(s) with ${frames}+ new decoded frames, and audio`,
    },
  );
}

/** Frames decoded so far per remote video track id. */
export async function framesByTrack(page: TestPage): Promise<Record<string, number>> {
  const r = await page.evaluate(() => window.sdkPeer.media());
  return Object.fromEntries(r.video.map((v) => [v.trackIdentifier, v.framesDecoded]));
}
