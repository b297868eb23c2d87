/**
 * Which simulcast layer of each member's camera a subscriber asks the SFU for: pure decisions,
 * so unit tests drive them without a browser (as `peer/negotiation.ts` does for negotiation).
 *
 * - {@link chooseFeedLayer}: from the tile's rendered size (CSS pixels × devicePixelRatio), one
 *   layer higher for the active speaker, paused when hidden, never above the link's cap.
 * - {@link judgeLinkHealth}: is the subscriber connection struggling, from two `getStats()`
 *   reports (packet loss, frames the decoder dropped, jitter-buffer delay)?
 * - {@link nextLinkCap}: the cap follows the health: down one layer at once when the link
 *   struggles, up one layer only after a quiet period (a probe); a probe that fails makes the
 *   next quiet period twice as long.
 *
 * Layers: 0 is the lowest (a quarter of the camera's width), 2 the full resolution.
 */
import type { StatsReportLike } from '../features/stats.ts';

/** A simulcast layer index: 0 lowest … 2 highest. */
export type Substream = 0 | 1 | 2;

/**
 * How the app shows a member's camera video: its rendered size in CSS pixels, or `hidden`
 * (off screen, minimised, another page of the grid).
 */
export type VideoView = { width: number; height: number } | 'hidden';

/** What the subscriber wants from one feed. */
export interface FeedLayer {
  substream: Substream;
  paused: boolean;
}

/** Device pixels of height up to which each layer is enough: ≤ 200 → 0, ≤ 400 → 1, else 2. */
export const LAYER_MAX_HEIGHT_PX = [200, 400] as const;

/** The layer whose height fits a tile `heightPx` device pixels high. */
export function layerForHeight(heightPx: number): Substream {
  if (heightPx <= LAYER_MAX_HEIGHT_PX[0]) return 0;
  if (heightPx <= LAYER_MAX_HEIGHT_PX[1]) return 1;
  return 2;
}

/** Input of {@link chooseFeedLayer}. */
export interface FeedLayerInput {
  /** The app's view of this member; undefined when it never said (a middle layer). */
  view: VideoView | undefined;
  /** window.devicePixelRatio (1 where unknown). */
  devicePixelRatio: number;
  /** Whether this member is the active speaker (one layer higher). */
  speaking: boolean;
  /** The highest layer the subscriber link carries now (see {@link nextLinkCap}). */
  cap: Substream;
}

/** The layer (or pause) one feed should get. */
export function chooseFeedLayer(input: FeedLayerInput): FeedLayer {
  const { view } = input;
  // The layer of a paused feed only matters if something resumes it: the lowest, the cheapest.
  if (view === 'hidden') return { substream: 0, paused: true };
  const dpr =
    Number.isFinite(input.devicePixelRatio) && input.devicePixelRatio > 0 ? input.devicePixelRatio : 1;
  let layer: number = view === undefined ? 1 : layerForHeight(Math.max(0, view.height) * dpr);
  if (input.speaking) layer += 1;
  return { substream: Math.min(layer, 2, input.cap) as Substream, paused: false };
}

/** The part of a feed's layer that differs from what was last sent, or null when nothing does. */
export function layerChange(
  wanted: FeedLayer,
  sent: FeedLayer | undefined,
): { substream?: Substream; paused?: boolean } | null {
  if (!sent) return { substream: wanted.substream, paused: wanted.paused };
  const change: { substream?: Substream; paused?: boolean } = {};
  if (wanted.paused !== sent.paused) change.paused = wanted.paused;
  // A paused feed's layer is irrelevant until it resumes; send it with the resume.
  if (!wanted.paused && (wanted.substream !== sent.substream || change.paused === false))
    change.substream = wanted.substream;
  return Object.keys(change).length > 0 ? change : null;
}

// ---- link health ------------------------------------------------------------------------------

/** Thresholds of {@link judgeLinkHealth}. */
export const LINK_LIMITS = {
  /** Video packets lost over the interval, percent of those expected. */
  lossPct: 5,
  /** Fewer packets than this over the interval say nothing about loss. */
  minPackets: 40,
  /** Frames the decoder dropped (could not keep up), percent of frames received. */
  droppedPct: 20,
  /** Mean time frames spent in the jitter buffer over the interval, milliseconds. */
  jitterBufferMs: 400,
} as const;

/** `bad`: the link struggles; `good`: it does not; `unknown`: too little traffic to say. */
export type LinkHealth = 'good' | 'bad' | 'unknown';

type Stat = Record<string, unknown>;

function n(s: Stat | undefined, key: string): number {
  const v = s?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Judges the subscriber connection over the interval between two reports, from its received
 * video streams: `bad` when loss, decoder drops or jitter-buffer delay pass {@link LINK_LIMITS}.
 * Returns the figures as well, for logs.
 */
export function judgeLinkHealth(
  prev: StatsReportLike,
  curr: StatsReportLike,
): { health: LinkHealth; lossPct: number; droppedPct: number; jitterBufferMs: number } {
  let lost = 0;
  let received = 0;
  let framesReceived = 0;
  let framesDropped = 0;
  let bufferDelayS = 0;
  let emitted = 0;
  for (const v of curr.values()) {
    const s = v as Stat;
    if (typeof s !== 'object' || s === null || s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
    const p = prev.get(String(s.id)) as Stat | undefined;
    if (!p) continue;
    lost += Math.max(0, n(s, 'packetsLost') - n(p, 'packetsLost'));
    received += Math.max(0, n(s, 'packetsReceived') - n(p, 'packetsReceived'));
    framesReceived += Math.max(0, n(s, 'framesReceived') - n(p, 'framesReceived'));
    framesDropped += Math.max(0, n(s, 'framesDropped') - n(p, 'framesDropped'));
    bufferDelayS += Math.max(0, n(s, 'jitterBufferDelay') - n(p, 'jitterBufferDelay'));
    emitted += Math.max(0, n(s, 'jitterBufferEmittedCount') - n(p, 'jitterBufferEmittedCount'));
  }
  const expected = lost + received;
  const lossPct = expected > 0 ? (100 * lost) / expected : 0;
  const droppedPct = framesReceived > 0 ? (100 * framesDropped) / framesReceived : 0;
  const jitterBufferMs = emitted > 0 ? (1000 * bufferDelayS) / emitted : 0;
  if (expected < LINK_LIMITS.minPackets && framesReceived === 0)
    return { health: 'unknown', lossPct, droppedPct, jitterBufferMs };
  const bad =
    (expected >= LINK_LIMITS.minPackets && lossPct > LINK_LIMITS.lossPct) ||
    (framesReceived >= 10 && droppedPct > LINK_LIMITS.droppedPct) ||
    (emitted >= 10 && jitterBufferMs > LINK_LIMITS.jitterBufferMs);
  return { health: bad ? 'bad' : 'good', lossPct, droppedPct, jitterBufferMs };
}

// ---- the cap ------------------------------------------------------------------------------------

/** State of {@link nextLinkCap}. */
export interface LinkCapState {
  /** Highest layer allowed now. */
  cap: Substream;
  /** When the cap last changed (ms). */
  changedMs: number;
  /** When the link was last judged bad (ms), or -Infinity. */
  badMs: number;
  /** Quiet time needed before the next step up (ms); doubles after a failed probe. */
  upgradeWaitMs: number;
  /** Until when the last step up counts as a probe (a `bad` before then fails it); 0: none. */
  probeUntilMs: number;
}

/** Timing of the cap. */
export const LINK_CAP_TIMING = {
  /** A downgrade needs this long since the last change (the previous one must take effect). */
  downgradeCooldownMs: 2_000,
  /** First quiet period before stepping up. */
  upgradeWaitMs: 8_000,
  /** Longest quiet period before stepping up (after repeated failed probes). */
  maxUpgradeWaitMs: 64_000,
  /** How long after a step up a `bad` counts as the probe failing. */
  probeMs: 6_000,
} as const;

/** A link not known to struggle: everything allowed. */
export function initialLinkCap(nowMs: number): LinkCapState {
  return {
    cap: 2,
    changedMs: nowMs,
    badMs: Number.NEGATIVE_INFINITY,
    upgradeWaitMs: LINK_CAP_TIMING.upgradeWaitMs,
    probeUntilMs: 0,
  };
}

/** The cap after one health sample. */
export function nextLinkCap(state: LinkCapState, health: LinkHealth, nowMs: number): LinkCapState {
  const t = LINK_CAP_TIMING;
  if (health === 'bad') {
    const probeFailed = state.probeUntilMs !== 0 && nowMs < state.probeUntilMs;
    const upgradeWaitMs = probeFailed
      ? Math.min(t.maxUpgradeWaitMs, state.upgradeWaitMs * 2)
      : state.upgradeWaitMs;
    if (state.cap > 0 && (probeFailed || nowMs - state.changedMs >= t.downgradeCooldownMs)) {
      return {
        cap: (state.cap - 1) as Substream,
        changedMs: nowMs,
        badMs: nowMs,
        upgradeWaitMs,
        probeUntilMs: 0,
      };
    }
    return { ...state, badMs: nowMs, upgradeWaitMs };
  }
  if (health === 'good') {
    // A probe that lasted its period without trouble resets the wait.
    let { upgradeWaitMs, probeUntilMs } = state;
    if (probeUntilMs !== 0 && nowMs >= probeUntilMs) {
      upgradeWaitMs = t.upgradeWaitMs;
      probeUntilMs = 0;
    }
    const quietSinceMs = Math.max(state.changedMs, state.badMs);
    if (state.cap < 2 && nowMs - quietSinceMs >= upgradeWaitMs) {
      return {
        cap: (state.cap + 1) as Substream,
        changedMs: nowMs,
        badMs: state.badMs,
        upgradeWaitMs,
        probeUntilMs: nowMs + t.probeMs,
      };
    }
    return { ...state, upgradeWaitMs, probeUntilMs };
  }
  return state;
}

// ---- switches that do not happen --------------------------------------------------------------

/**
 * A layer change the subscriber waits to see: Janus switches a subscriber to another layer (or
 * resumes it) only on a keyframe of the new layer, and asks the publisher for one once per
 * change. If that request is lost or throttled, nothing else asks (the subscriber decodes the
 * old layer happily), so it stays where it was: seen in Chromium with a real Janus, a large view
 * stuck at 320 px for 30 s, a hidden one at 1280 px. The session watches such changes in the subscriber's stats and, when nothing happened,
 * says the change again (through another layer, so Janus sees a change and asks again).
 */
export interface PendingSwitch {
  /** `up` / `down`: a higher / lower layer was asked for; `resume`: the feed was resumed. */
  kind: 'up' | 'down' | 'resume';
  /** The camera's received frame height and frames decoded when the change was sent. */
  baseHeight: number;
  baseFrames: number;
  /** When the change (or the last nudge) was sent, ms. */
  sinceMs: number;
  /** Nudges sent so far. */
  nudges: number;
}

/** Timing of {@link judgeSwitch}. */
export const SWITCH_TIMING = {
  /** How long a switch may take before it counts as stalled (it took 0.2–0.5 s when it worked). */
  stallMs: 1_000,
  /** Nudges per change at most (a single-layer publisher never switches: give up quietly). */
  maxNudges: 2,
} as const;

/**
 * Whether a pending switch happened (`done`), may still happen (`wait`), needs saying again
 * (`nudge`), or will not happen (`give-up`), from the camera's received frame height and frames
 * decoded now.
 */
export function judgeSwitch(
  p: PendingSwitch,
  now: { frameHeight: number; framesDecoded: number },
  nowMs: number,
): 'done' | 'wait' | 'nudge' | 'give-up' {
  const happened =
    p.kind === 'up'
      ? now.frameHeight > p.baseHeight
      : p.kind === 'down'
        ? now.frameHeight > 0 && now.frameHeight < p.baseHeight
        : now.framesDecoded > p.baseFrames + 2;
  if (happened) return 'done';
  if (nowMs - p.sinceMs < SWITCH_TIMING.stallMs) return 'wait';
  return p.nudges < SWITCH_TIMING.maxNudges ? 'nudge' : 'give-up';
}
