/**
 * Who is speaking: the member whose received audio is loudest, from `getStats()`, with
 * hysteresis so the answer does not flicker between two people talking over each other.
 *
 * Levels come from the receiver's `inbound-rtp` audio stats (webrtc-stats,
 * "RTCInboundRtpStreamStats"): the mean level over the poll interval from `totalAudioEnergy` and
 * `totalSamplesDuration` (energy is the sum of squared sample levels times their duration, so
 * sqrt(Δenergy / Δduration) is the RMS level in 0..1) where the engine has them, else the
 * instantaneous `audioLevel`. The decisions are in {@link ActiveSpeakerDetector}, a pure state
 * machine fed with levels and a clock, so unit tests drive it without a browser.
 */
import type { StatsReportLike } from './stats.ts';

/** Tuning of {@link ActiveSpeakerDetector}. */
export interface ActiveSpeakerOptions {
  /**
   * Level (0..1, linear, as `audioLevel`) above which a member counts as speaking. Default 0.03
   * (about −30 dBov): above room noise and a quiet microphone, below normal speech.
   */
  speechLevel?: number;
  /** How long someone else must be loudest before they take over. Default 600 ms. */
  switchAfterMs?: number;
  /** A newcomer must be this many times louder than a still-speaking current speaker. Default 1.3. */
  switchRatio?: number;
  /** How long the current speaker may stay silent before there is no active speaker. Default 1500 ms. */
  silenceMs?: number;
}

const DEFAULTS: Required<ActiveSpeakerOptions> = {
  speechLevel: 0.03,
  switchAfterMs: 600,
  switchRatio: 1.3,
  silenceMs: 1500,
};

/**
 * Picks the active speaker from successive level samples. `update(levels, nowMs)` returns the
 * speaker after this sample (`undefined`: nobody above the speech level for a while).
 *
 * - Nobody speaks until someone is above {@link ActiveSpeakerOptions.speechLevel}.
 * - A member takes over after being the loudest speaker for `switchAfterMs` in a row, and, while
 *   the current speaker still speaks, only if `switchRatio` times louder than them.
 * - The current speaker keeps the floor through pauses shorter than `silenceMs`; a member who
 *   is no longer in `levels` (left, or stopped sending audio) loses it at once.
 */
export class ActiveSpeakerDetector {
  readonly #o: Required<ActiveSpeakerOptions>;
  #current: string | undefined;
  #lastHeardMs = 0;
  #candidate: string | undefined;
  #candidateSinceMs = 0;

  constructor(options: ActiveSpeakerOptions = {}) {
    this.#o = { ...DEFAULTS, ...options };
  }

  /** The active speaker now. */
  get current(): string | undefined {
    return this.#current;
  }

  /** Feeds one sample: each member's level (0..1). Returns the active speaker after it. */
  update(levels: ReadonlyMap<string, number>, nowMs: number): string | undefined {
    const o = this.#o;
    if (this.#current !== undefined && !levels.has(this.#current)) this.#current = undefined;
    const currentLevel = this.#current !== undefined ? (levels.get(this.#current) ?? 0) : 0;
    if (this.#current !== undefined && currentLevel >= o.speechLevel) this.#lastHeardMs = nowMs;

    let loudest: string | undefined;
    let loudestLevel = o.speechLevel;
    for (const [name, level] of levels) {
      if (level >= loudestLevel && (loudest === undefined || level > loudestLevel)) {
        loudest = name;
        loudestLevel = level;
      }
    }

    if (loudest === undefined || loudest === this.#current) {
      this.#candidate = undefined;
    } else {
      if (this.#candidate !== loudest) {
        this.#candidate = loudest;
        this.#candidateSinceMs = nowMs;
      }
      const currentSpeaking = this.#current !== undefined && currentLevel >= o.speechLevel;
      const held = nowMs - this.#candidateSinceMs >= o.switchAfterMs;
      const louderEnough = !currentSpeaking || loudestLevel >= currentLevel * o.switchRatio;
      // From silence the first speaker takes the floor at once; replacing someone needs the hold.
      if (this.#current === undefined || (held && louderEnough)) {
        this.#current = loudest;
        this.#lastHeardMs = nowMs;
        this.#candidate = undefined;
        return this.#current;
      }
    }

    if (this.#current !== undefined && nowMs - this.#lastHeardMs >= o.silenceMs) this.#current = undefined;
    return this.#current;
  }

  /** Forgets everything (e.g. the room changed how it carries media). */
  reset(): void {
    this.#current = undefined;
    this.#candidate = undefined;
  }
}

type Stat = Record<string, unknown>;

/**
 * Audio level (0..1) of each received audio stream between two reports of one connection,
 * keyed by `keyOf(stat)` (e.g. the member a track belongs to; `undefined` skips the stream). The
 * mean over the interval where energy counters exist, else the instantaneous `audioLevel`.
 * Several streams with one key keep the loudest.
 */
export function audioLevelsFromStats(
  prev: StatsReportLike | null,
  curr: StatsReportLike,
  keyOf: (stat: { trackIdentifier?: string; mid?: string }) => string | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of curr.values()) {
    const s = v as Stat;
    if (typeof s !== 'object' || s === null || s.type !== 'inbound-rtp' || s.kind !== 'audio') continue;
    const key = keyOf({
      ...(typeof s.trackIdentifier === 'string' ? { trackIdentifier: s.trackIdentifier } : {}),
      ...(typeof s.mid === 'string' ? { mid: s.mid } : {}),
    });
    if (key === undefined) continue;
    const level = intervalLevel(prev?.get(String(s.id)) as Stat | undefined, s);
    if (level === null) continue;
    out.set(key, Math.max(out.get(key) ?? 0, level));
  }
  return out;
}

function intervalLevel(prev: Stat | undefined, curr: Stat): number | null {
  const e1 = curr.totalAudioEnergy;
  const d1 = curr.totalSamplesDuration;
  const e0 = prev?.totalAudioEnergy;
  const d0 = prev?.totalSamplesDuration;
  if (
    typeof e1 === 'number' &&
    typeof d1 === 'number' &&
    typeof e0 === 'number' &&
    typeof d0 === 'number' &&
    d1 - d0 > 0.01
  ) {
    return Math.sqrt(Math.max(0, e1 - e0) / (d1 - d0));
  }
  return typeof curr.audioLevel === 'number' ? curr.audioLevel : null;
}
