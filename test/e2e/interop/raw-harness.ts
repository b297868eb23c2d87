/**
 * Node side of the server-less interop proofs: serves the raw-peer page and relays signals
 * between two pages through the test process (drain one page's outbox, hand it to the other).
 * Also used by bench/interop/pairings.ts.
 */

import { fileURLToPath } from 'node:url';
import { servePages, serveStatic } from '../../helpers/browser.ts';
import type { TestPage } from '../../helpers/browsers.ts';
import { until } from '../../helpers/wait.ts';
import type { InboundReport, PeerState, RawSignal, Timeline } from './pages/raw-peer.ts';

export type { InboundReport, PeerState, RawSignal, Timeline };

const RAW_PEER_SOURCE = fileURLToPath(new URL('./pages/raw-peer.ts', import.meta.url));

export interface RawSite {
  /** URL of the page that loads `window.rawPeer`. */
  pageUrl: string;
  close(): Promise<void>;
}

/** Bundles the raw-peer page script and serves it on 127.0.0.1 at a free port. */
export async function startRawSite(): Promise<RawSite> {
  const site = await servePages({ 'raw-peer': RAW_PEER_SOURCE }, serveStatic);
  return { pageUrl: site.page('raw-peer'), close: site.close };
}

/** Waits until the page's module script has installed `window.rawPeer`, then resets it. */
export async function initRawPeer(page: TestPage): Promise<void> {
  await page.waitFor(() => typeof window.rawPeer === 'object', { timeoutMs: 10_000, what: 'rawPeer' });
  await page.evaluate(() => window.rawPeer.init());
}

/**
 * Relays signals both ways between `a` and `b` until `done()` is true (checked after each round)
 * or `timeoutMs` passes. Rounds are `intervalMs` apart (default 20 ms); that pause plus the
 * evaluate round trips is the signaling delay the relay adds.
 */
export async function relayUntil(
  a: TestPage,
  b: TestPage,
  done: () => Promise<boolean>,
  { timeoutMs = 15_000, intervalMs = 20, what = 'condition' } = {},
): Promise<void> {
  await until(
    async () => {
      const fromA = await a.evaluate(() => window.rawPeer.drain());
      if (fromA.length > 0) await b.evaluate((s) => window.rawPeer.receive(s), fromA);
      const fromB = await b.evaluate(() => window.rawPeer.drain());
      if (fromB.length > 0) await a.evaluate((s) => window.rawPeer.receive(s), fromB);
      return done();
    },
    { what: `${what} (relaying between ${a.label} and ${b.label})`, timeoutMs, intervalMs },
  );
}

/** The page's peer connection state. */
export function stateOf(page: TestPage): Promise<PeerState> {
  return page.evaluate(() => window.rawPeer.state());
}

/** True once ICE is connected (or completed) on the page. */
export async function iceConnected(page: TestPage): Promise<boolean> {
  const { ice } = await stateOf(page);
  return ice === 'connected' || ice === 'completed';
}

/** What the page receives, from getStats(). */
export function inboundOf(page: TestPage): Promise<InboundReport> {
  return page.evaluate(() => window.rawPeer.inbound());
}

/** Polls until the page has decoded at least `frames` remote video frames and received audio. */
export function waitForMedia(page: TestPage, frames = 5, timeoutMs = 15_000): Promise<InboundReport> {
  return page.waitFor(
    async (min) => {
      const r = await window.rawPeer.inbound();
      return r.videoFramesDecoded >= min && r.audioBytes > 0 ? r : null;
    },
    { arg: frames, timeoutMs, what: `${frames} decoded frames and audio bytes` },
  );
}

/** Parses the payload names of the first m-line of `kind` in an SDP, in preference order. */
export function codecsInSdp(sdp: string, kind: 'audio' | 'video'): string[] {
  const sections = sdp.split(/\r?\n(?=m=)/);
  const section = sections.find((s) => s.startsWith(`m=${kind} `));
  if (!section) return [];
  const order = section.split(/\r?\n/, 1)[0]!.split(' ').slice(3);
  const names = new Map<string, string>();
  for (const m of section.matchAll(/^a=rtpmap:(\d+) ([^/\r\n]+)/gm)) names.set(m[1]!, m[2]!);
  return order.map((pt) => names.get(pt) ?? pt);
}

/**
 * Glare at call setup, in the order the SDK produced it: both pages create a negotiated data
 * channel; the impolite page adds camera and microphone and offers; the polite page offers too
 * (its offer holds only the data channel), then receives the impolite offer, which rolls its
 * own back, adds its media and answers. Relays until ICE is connected on both sides.
 * Returns the polite page's answer.
 */
export async function glareOverDataOnlyOffer(polite: TestPage, impolite: TestPage): Promise<string> {
  for (const page of [polite, impolite]) {
    await page.waitFor(() => typeof window.rawPeer === 'object', { timeoutMs: 10_000, what: 'rawPeer' });
  }
  await polite.evaluate(() => window.rawPeer.init());
  await impolite.evaluate(() => window.rawPeer.init({ impolite: true }));
  await polite.evaluate(() => window.rawPeer.createChannel(true));
  await impolite.evaluate(() => window.rawPeer.createChannel(true));
  await impolite.evaluate(() => window.rawPeer.addCamera());
  await impolite.evaluate(() => window.rawPeer.offer());
  const fromImpolite = await impolite.evaluate(() => window.rawPeer.drain());
  const offer = fromImpolite.find((s) => s.kind === 'description');
  if (offer?.kind !== 'description') throw new Error('the impolite page made no offer');
  await polite.evaluate(
    (d) => window.rawPeer.offerThenAnswer(d, { cameraBeforeAnswer: true }),
    offer.description,
  );
  await polite.evaluate(
    (s) => window.rawPeer.receive(s),
    fromImpolite.filter((s) => s.kind === 'candidate'),
  );
  await relayUntil(
    polite,
    impolite,
    async () => (await iceConnected(polite)) && (await iceConnected(impolite)),
    {
      what: 'ICE connected after the glare',
    },
  );
  const { local } = await polite.evaluate(() => window.rawPeer.descriptions());
  return local ?? '';
}

/** The port of the first m-section of `kind` in an SDP (0 = rejected), or null if absent. */
export function mediaPort(sdp: string, kind: 'audio' | 'video' | 'application'): number | null {
  const line = sdp.split(/\r?\n/).find((l) => l.startsWith(`m=${kind} `));
  return line ? Number(line.split(' ')[1]) : null;
}
