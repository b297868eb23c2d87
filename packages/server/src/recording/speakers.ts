/**
 * Who speaks when, for the composite's large region: each microphone's loudness per half second
 * (ffmpeg's astats, measured by post-process.ts, parsed here) turned into a timeline of speaker
 * segments. The loudest microphone above a speech threshold takes the stage once it has led for
 * `HOLD_WINDOWS` windows in a row, so a cough or a short overlap does not flip the picture; the
 * first speaker holds the stage from the start, and a silent stretch keeps whoever spoke last.
 * Pure; imports nothing.
 */

/** Length of one loudness window, seconds (astats is reset every window). */
export const WINDOW_S = 0.5;
/** RMS level above which a window counts as speech, dBFS. */
export const SPEECH_DB = -45;
/** Windows a new speaker must lead in a row to take the stage (1.5 s). */
export const HOLD_WINDOWS = 3;
/** At most this many segments (the filter graph stays well under an argument's size limit). */
export const MAX_SEGMENTS = 1500;

/**
 * The ffmpeg filter that prints one RMS level per window of a 48 kHz track to stdout. `pipe:1`
 * is escaped twice (graph, then option); `/dev/stdout` cannot be opened when stdout is the
 * socket Node gives a child.
 */
export const LEVELS_FILTER =
  `aresample=48000,asetpts=PTS-STARTPTS,asetnsamples=n=${48000 * WINDOW_S}:p=0,` +
  'astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=RMS_level,' +
  'ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file=pipe\\\\:1';

/** One microphone's levels: its feed, when it started, and `[seconds from its start, dB]`. */
export interface LevelSeries {
  readonly feed: string;
  readonly offsetS: number;
  readonly levels: readonly (readonly [number, number])[];
}

/** A stretch of the recording with one speaker on the stage, seconds from its start. */
export interface SpeakerSegment {
  readonly feed: string;
  readonly from: number;
  readonly to: number;
}

/** Parses `ametadata=mode=print` output (`frame:… pts_time:T` then `…RMS_level=L` lines). */
export function parseLevels(text: string): [number, number][] {
  const out: [number, number][] = [];
  let t: number | undefined;
  for (const line of text.split('\n')) {
    const time = /pts_time:(-?[\d.]+)/.exec(line);
    if (time) {
      t = Number(time[1]);
      continue;
    }
    const level = /RMS_level=(-?inf|-?[\d.]+)/.exec(line);
    if (level && t !== undefined && Number.isFinite(t)) {
      const db = level[1]!.endsWith('inf') ? -Infinity : Number(level[1]);
      out.push([t, db]);
      t = undefined;
    }
  }
  return out;
}

/** The speaker timeline of a recording `durationS` long; `fallback` holds the stage before anyone speaks (or throughout, in silence). */
export function speakerTimeline(
  series: readonly LevelSeries[],
  durationS: number,
  fallback?: string,
): SpeakerSegment[] {
  const n = Math.max(1, Math.ceil(durationS / WINDOW_S));
  // Per window, the loudest feed above the threshold.
  const best: { feed: string; db: number }[] = new Array(n);
  for (const s of series) {
    for (const [t, db] of s.levels) {
      if (!(db > SPEECH_DB)) continue;
      const k = Math.floor((s.offsetS + t) / WINDOW_S + 1e-6);
      if (k < 0 || k >= n) continue;
      const cur = best[k];
      if (!cur || db > cur.db) best[k] = { feed: s.feed, db };
    }
  }
  const onStage: (string | undefined)[] = new Array(n);
  let current: string | undefined;
  let candidate: string | undefined;
  let run = 0;
  for (let k = 0; k < n; k++) {
    const lead = best[k]?.feed;
    if (lead === undefined || lead === current) {
      candidate = undefined;
      run = 0;
    } else if (current === undefined) {
      current = lead;
    } else {
      run = lead === candidate ? run + 1 : 1;
      candidate = lead;
      if (run >= HOLD_WINDOWS) {
        // The switch happens where the new speaker started leading.
        for (let j = k - run + 1; j < k; j++) onStage[j] = lead;
        current = lead;
        candidate = undefined;
        run = 0;
      }
    }
    onStage[k] = current;
  }
  const first = onStage.find((f) => f !== undefined) ?? fallback;
  if (first === undefined) return [];
  const segments: SpeakerSegment[] = [];
  for (let k = 0; k < n; k++) {
    const feed = onStage[k] ?? first;
    const from = k * WINDOW_S;
    const to = Math.min(durationS, (k + 1) * WINDOW_S);
    const last = segments.at(-1);
    if (last && last.feed === feed) segments[segments.length - 1] = { feed, from: last.from, to };
    else segments.push({ feed, from, to });
  }
  return capSegments(segments, MAX_SEGMENTS);
}

/** Merges the shortest segments into their neighbours until at most `max` remain. */
export function capSegments(segments: readonly SpeakerSegment[], max: number): SpeakerSegment[] {
  const out = [...segments];
  while (out.length > max) {
    let shortest = 0;
    for (let i = 1; i < out.length; i++) {
      if (out[i]!.to - out[i]!.from < out[shortest]!.to - out[shortest]!.from) shortest = i;
    }
    const s = out[shortest]!;
    if (shortest > 0) {
      const prev = out[shortest - 1]!;
      out.splice(shortest - 1, 2, { feed: prev.feed, from: prev.from, to: s.to });
    } else {
      const next = out[1]!;
      out.splice(0, 2, { feed: next.feed, from: s.from, to: next.to });
    }
    // Neighbours that now name the same feed become one.
    for (let i = out.length - 1; i > 0; i--) {
      if (out[i]!.feed === out[i - 1]!.feed) out.splice(i - 1, 2, { ...out[i - 1]!, to: out[i]!.to });
    }
  }
  return out;
}
