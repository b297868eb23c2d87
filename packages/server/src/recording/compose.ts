/**
 * The ffmpeg command that composes one file from a recording's tracks: every camera in a grid
 * (screen shares take a cell like cameras), every microphone mixed, each track placed at the
 * moment it started (its offset from the recording's start), the whole cut to the recording's
 * length. Pure: it only builds arguments; post-process.ts runs them. Imports nothing.
 */

/** One track of a recording, after janus-pp-rec. */
export interface ComposeTrack {
  readonly path: string;
  readonly kind: 'audio' | 'video';
  /** Seconds from the recording's start to this track's first packet. */
  readonly offsetS: number;
}

/** The composite's canvas and rate. */
export const CANVAS = { width: 1280, height: 720, fps: 15 } as const;

/** Columns and rows of a grid for `n` cells (as square as can be, wider than tall). */
export function gridOf(n: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  return { cols, rows: Math.max(1, Math.ceil(n / cols)) };
}

const even = (x: number) => Math.max(2, Math.floor(x / 2) * 2);
const secs = (x: number) => Math.max(0, x).toFixed(3);

/** ffmpeg's arguments to compose `tracks` into `output` (WebM: VP8 + Opus), `durationS` long. */
export function composeArgs(tracks: readonly ComposeTrack[], durationS: number, output: string): string[] {
  const videos = tracks.filter((t) => t.kind === 'video');
  const audios = tracks.filter((t) => t.kind === 'audio');
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1'];
  for (const t of [...videos, ...audios]) args.push('-i', t.path);
  const filters: string[] = [];
  const { width, height, fps } = CANVAS;
  const d = secs(durationS);
  if (videos.length === 0) {
    filters.push(`color=c=black:s=${width}x${height}:r=${fps}:d=${d}[v]`);
  } else {
    const { cols, rows } = gridOf(videos.length);
    const w = even(width / cols);
    const h = even(height / rows);
    videos.forEach((t, i) => {
      // Each cell: the camera fitted in, black before it started and its last frame after it ended.
      filters.push(
        `[${i}:v]setpts=PTS-STARTPTS,fps=${fps},scale=${w}:${h}:force_original_aspect_ratio=decrease,` +
          `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,` +
          `tpad=start_duration=${secs(t.offsetS)}:color=black:stop_mode=clone:stop_duration=${d}[c${i}]`,
      );
    });
    if (videos.length === 1) filters.push(`[c0]null[g]`);
    else {
      const layout = videos.map((_, i) => `${(i % cols) * w}_${Math.floor(i / cols) * h}`).join('|');
      const cells = videos.map((_, i) => `[c${i}]`).join('');
      filters.push(`${cells}xstack=inputs=${videos.length}:layout=${layout}:fill=black[g]`);
    }
    filters.push(`[g]pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,trim=duration=${d}[v]`);
  }
  if (audios.length === 0) {
    filters.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${d}[a]`);
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
    filters.push(`${mix},apad,atrim=duration=${d}[a]`);
  }
  args.push('-filter_complex', filters.join(';'), '-map', '[v]', '-map', '[a]');
  args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k');
  args.push('-c:a', 'libopus', '-b:a', '96k', '-t', d, output);
  return args;
}
