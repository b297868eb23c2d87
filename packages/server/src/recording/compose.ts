/**
 * The ffmpeg command that composes one file from a recording's tracks, in one ffmpeg run.
 *
 * Layout on a 1280×720 canvas: with one camera and no screen share, that camera fills it. With
 * more, a stage (1024×576, top centre) shows the active speaker (speakers.ts's timeline: each
 * camera's large copy is overlaid only during its segments) above a strip of every camera; while
 * someone shares a screen, the screen takes the stage (overlaid last, from the moment it started
 * until its track ends) and the cameras stay in the strip. Every microphone is mixed; each track
 * is placed at the moment it started (its offset from the recording's start); the whole is cut
 * to the recording's length. WebM (VP8 + Opus) or MP4 (H.264 + AAC).
 *
 * Pure: it only builds arguments; post-process.ts runs them. Imports speakers.ts's types only.
 */
import type { SpeakerSegment } from './speakers.ts';

/** One track of a recording, after janus-pp-rec. */
export interface ComposeTrack {
  readonly path: string;
  readonly kind: 'audio' | 'video';
  /** Seconds from the recording's start to this track's first packet. */
  readonly offsetS: number;
  /** Janus feed id of the member it belongs to. */
  readonly feed?: string;
  /** A screen share rather than a camera. */
  readonly screen?: boolean;
}

/** The composite's container and codecs. */
export type ComposeFormat = 'webm' | 'mp4';

export interface ComposeOptions {
  readonly format?: ComposeFormat;
  /** Who holds the stage when (feed ids); without it the first camera does. */
  readonly speakers?: readonly SpeakerSegment[];
}

/** The composite's canvas and rate. */
export const CANVAS = { width: 1280, height: 720, fps: 15 } as const;
/** The large region: the active speaker, or a shared screen. */
export const STAGE = { x: 128, y: 0, width: 1024, height: 576 } as const;
/** The strip of cameras under the stage. */
export const STRIP = { y: 576, height: 144, maxTileWidth: 256 } as const;

const even = (x: number) => Math.max(2, Math.floor(x / 2) * 2);
const secs = (x: number) => Math.max(0, x).toFixed(3);

/** Where each of `n` camera tiles goes in the strip (centred, 16:9, as wide as fits). */
export function stripTiles(n: number): { x: number; y: number; width: number; height: number }[] {
  if (n === 0) return [];
  const width = even(Math.min(STRIP.maxTileWidth, CANVAS.width / n));
  const height = even(Math.min(STRIP.height, (width * 9) / 16));
  const x0 = Math.floor((CANVAS.width - n * width) / 4) * 2;
  const y = STRIP.y + Math.floor((STRIP.height - height) / 4) * 2;
  return Array.from({ length: n }, (_, i) => ({ x: x0 + i * width, y, width, height }));
}

/** A scale-to-fit, letterboxed to `w`×`h`, square pixels. */
const fit = (w: number, h: number) =>
  `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1`;

/** Black before the camera started, its last frame after it ended (long enough to outlast the cut). */
const hold = (offsetS: number, d: string) =>
  `tpad=start_duration=${secs(offsetS)}:color=black:stop_mode=clone:stop_duration=${d}`;

/** An overlay `enable` expression true during `segments`. */
export function enableDuring(segments: readonly { from: number; to: number }[]): string {
  return segments.map((s) => `between(t,${secs(s.from)},${secs(s.to)})`).join('+');
}

/** The video half of the graph, ending in `[v]`. */
function videoGraph(
  videos: readonly ComposeTrack[],
  d: string,
  speakers: readonly SpeakerSegment[] | undefined,
): string[] {
  const { width, height, fps } = CANVAS;
  const cameras = videos.filter((t) => !t.screen);
  const screens = videos.filter((t) => t.screen);
  const input = (t: ComposeTrack) => videos.indexOf(t);
  if (videos.length === 0) return [`color=c=black:s=${width}x${height}:r=${fps}:d=${d}[v]`];
  if (screens.length === 0 && cameras.length === 1) {
    const t = cameras[0]!;
    return [
      `[${input(t)}:v]setpts=PTS-STARTPTS,fps=${fps},${fit(width, height)},${hold(t.offsetS, d)},trim=duration=${d}[v]`,
    ];
  }
  const out: string[] = [`color=c=black:s=${width}x${height}:r=${fps}:d=${d}[bg]`];
  // Each camera's stage segments: its own feed's, or (no timeline) the first camera throughout.
  const stageOf = (t: ComposeTrack, i: number) => {
    if (!speakers || speakers.length === 0) return i === 0 ? [{ from: 0, to: Number(d) }] : [];
    // A feed with two cameras shows its first on the stage.
    const first = cameras.find((c) => c.feed === t.feed);
    return t.feed !== undefined && first === t ? speakers.filter((s) => s.feed === t.feed) : [];
  };
  const tiles = stripTiles(cameras.length);
  let last = 'bg';
  let n = 0;
  const overlay = (label: string, x: number, y: number, extra = '') => {
    const next = `o${n++}`;
    out.push(`[${last}][${label}]overlay=x=${x}:y=${y}${extra}[${next}]`);
    last = next;
  };
  const stage: { label: string; enable: string }[] = [];
  cameras.forEach((t, i) => {
    const tile = tiles[i]!;
    const onStage = stageOf(t, i);
    const src = `[${input(t)}:v]setpts=PTS-STARTPTS,fps=${fps}`;
    if (onStage.length === 0) {
      out.push(`${src},${fit(tile.width, tile.height)},${hold(t.offsetS, d)}[t${i}]`);
    } else {
      out.push(`${src},split=2[ts${i}][ls${i}]`);
      out.push(`[ts${i}]${fit(tile.width, tile.height)},${hold(t.offsetS, d)}[t${i}]`);
      out.push(`[ls${i}]${fit(STAGE.width, STAGE.height)},${hold(t.offsetS, d)}[l${i}]`);
      stage.push({ label: `l${i}`, enable: enableDuring(onStage) });
    }
  });
  for (const [i, tile] of tiles.entries()) overlay(`t${i}`, tile.x, tile.y);
  for (const s of stage) overlay(s.label, STAGE.x, STAGE.y, `:enable='${s.enable}'`);
  // Screens last, so they cover the speaker; each from its start until its track ends.
  screens.forEach((t, i) => {
    out.push(
      `[${input(t)}:v]setpts=PTS-STARTPTS+${secs(t.offsetS)}/TB,fps=${fps},${fit(STAGE.width, STAGE.height)}[s${i}]`,
    );
    overlay(`s${i}`, STAGE.x, STAGE.y, ':eof_action=pass');
  });
  out.push(`[${last}]trim=duration=${d},format=yuv420p[v]`);
  return out;
}

/** ffmpeg's arguments to compose `tracks` into `output`, `durationS` long. */
export function composeArgs(
  tracks: readonly ComposeTrack[],
  durationS: number,
  output: string,
  options: ComposeOptions = {},
): string[] {
  const videos = tracks.filter((t) => t.kind === 'video');
  const audios = tracks.filter((t) => t.kind === 'audio');
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1'];
  for (const t of [...videos, ...audios]) args.push('-i', t.path);
  const d = secs(durationS);
  const filters = videoGraph(videos, d, options.speakers);
  // The encoder's frame size (libopus takes 960 samples, AAC 1024): silence comes in other sizes.
  const frames = `asetnsamples=n=${options.format === 'mp4' ? 1024 : 960}:p=0`;
  if (audios.length === 0) {
    filters.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${d},${frames}[a]`);
  } else {
    audios.forEach((t, i) => {
      const ms = Math.round(Math.max(0, t.offsetS) * 1000);
      filters.push(`[${videos.length + i}:a]aresample=48000,asetpts=PTS-STARTPTS,adelay=${ms}:all=1[m${i}]`);
    });
    const mics = audios.map((_, i) => `[m${i}]`).join('');
    const mix =
      audios.length === 1
        ? `${mics}anull`
        : `${mics}amix=inputs=${audios.length}:duration=longest:normalize=0`;
    filters.push(`${mix},apad,atrim=duration=${d},${frames}[a]`);
  }
  args.push('-filter_complex', filters.join(';'), '-map', '[v]', '-map', '[a]');
  if (options.format === 'mp4') {
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-pix_fmt', 'yuv420p');
    args.push('-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart');
  } else {
    args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k');
    args.push('-c:a', 'libopus', '-b:a', '96k');
  }
  args.push('-t', d, output);
  return args;
}
