/**
 * Recording in the browser (issue 23), for rooms and calls that never touch a server (mesh):
 * what this person sees and hears — every playing video drawn into one canvas as a grid, every
 * audio track mixed with Web Audio — goes through MediaRecorder (WebM, VP8 + Opus) in one-second
 * chunks. Where the browser can write a file as it goes (`showSaveFilePicker`, Chromium) the
 * chunks go straight to disk, so a long recording holds nothing in memory; elsewhere they are
 * kept as Blobs (which the browser may page to disk) and downloaded when it stops.
 *
 * The media layer: imports nothing of the app.
 */

/** Where the recording's chunks go. */
export type RecordingSink = 'auto' | 'download';

export interface BrowserRecorderOptions {
  /** The videos to draw, asked for on every frame (people come and go). */
  videos(): readonly HTMLVideoElement[];
  /** The audio to mix, asked for every second (new tracks are added, ended ones dropped). */
  audio(): readonly MediaStreamTrack[];
  /** The file name offered (`.webm`). */
  fileName: string;
  /** `auto`: write to a file as it goes where the browser can, else download at the end. */
  sink?: RecordingSink;
  /** Frames per second of the composed video. Default 15. */
  fps?: number;
}

/** A recording in progress. */
export interface BrowserRecording {
  /** Bytes recorded so far. */
  readonly bytes: number;
  /** Where it goes: written as it goes (`file`) or downloaded at the end (`download`). */
  readonly sink: 'file' | 'download';
  /** Stops, finishes the file (or downloads it) and resolves with it as a Blob when downloaded. */
  stop(): Promise<Blob | undefined>;
}

type Writable = { write(data: Blob): Promise<void>; close(): Promise<void> };
type SavePicker = (o: object) => Promise<{ createWritable(): Promise<Writable> }>;

const WIDTH = 1280;
const HEIGHT = 720;

/** Draws `videos` into a grid on `ctx`, each fitted in its cell. */
function drawGrid(ctx: CanvasRenderingContext2D, videos: readonly HTMLVideoElement[]): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  const live = videos.filter((v) => v.videoWidth > 0 && v.readyState >= 2);
  if (live.length === 0) return;
  const cols = Math.ceil(Math.sqrt(live.length));
  const rows = Math.ceil(live.length / cols);
  const w = WIDTH / cols;
  const h = HEIGHT / rows;
  live.forEach((v, i) => {
    const scale = Math.min(w / v.videoWidth, h / v.videoHeight);
    const dw = v.videoWidth * scale;
    const dh = v.videoHeight * scale;
    ctx.drawImage(v, (i % cols) * w + (w - dw) / 2, Math.floor(i / cols) * h + (h - dh) / 2, dw, dh);
  });
}

/** Starts recording; rejects when the browser cannot (no MediaRecorder, or no file chosen). */
export async function recordInBrowser(o: BrowserRecorderOptions): Promise<BrowserRecording> {
  const fps = o.fps ?? 15;
  const picker = (globalThis as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
  // Asked first, while the click that started this still counts as a user gesture.
  const file =
    (o.sink ?? 'auto') === 'auto' && picker
      ? await (
          await picker({
            suggestedName: o.fileName,
            types: [{ description: 'WebM video', accept: { 'video/webm': ['.webm'] } }],
          })
        ).createWritable()
      : undefined;
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const ctx = canvas.getContext('2d')!;
  // Frames are pushed after each drawing (a canvas stream otherwise sends one only when it
  // notices a change, which may be seldom).
  const video = canvas.captureStream(0).getVideoTracks()[0] as MediaStreamTrack & { requestFrame?(): void };
  const paint = () => {
    drawGrid(ctx, o.videos());
    video.requestFrame?.();
  };
  paint();
  const draw = setInterval(paint, 1000 / fps);
  const audio = new AudioContext();
  await audio.resume().catch(() => {});
  const mix = audio.createMediaStreamDestination();
  const sources = new Map<string, MediaStreamAudioSourceNode>();
  const follow = () => {
    const now = new Set<string>();
    for (const t of o.audio()) {
      if (t.readyState !== 'live') continue;
      now.add(t.id);
      if (!sources.has(t.id)) {
        const s = audio.createMediaStreamSource(new MediaStream([t]));
        s.connect(mix);
        sources.set(t.id, s);
      }
    }
    for (const [id, s] of sources)
      if (!now.has(id)) {
        s.disconnect();
        sources.delete(id);
      }
  };
  follow();
  const audioTimer = setInterval(follow, 1000);
  const stream = new MediaStream([video, ...mix.stream.getAudioTracks()]);
  const mimeType = ['video/webm;codecs=vp8,opus', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, {
    ...(mimeType ? { mimeType } : {}),
    videoBitsPerSecond: 1_500_000,
  });
  const chunks: Blob[] = [];
  let bytes = 0;
  // Writes are chained so chunks reach the file in order.
  let writing = Promise.resolve();
  recorder.ondataavailable = (e) => {
    if (e.data.size === 0) return;
    bytes += e.data.size;
    if (file) writing = writing.then(() => file.write(e.data));
    else chunks.push(e.data);
  };
  recorder.start(1000);
  let stopped: Promise<Blob | undefined> | undefined;
  return {
    get bytes() {
      return bytes;
    },
    sink: file ? 'file' : 'download',
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        recorder.onstop = () => resolve();
        recorder.stop();
      }).then(async () => {
        clearInterval(draw);
        clearInterval(audioTimer);
        for (const t of stream.getTracks()) t.stop();
        await audio.close().catch(() => {});
        await writing;
        if (file) {
          await file.close();
          return undefined;
        }
        const blob = new Blob(chunks, { type: 'video/webm' });
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = o.fileName;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
        return blob;
      });
      return stopped;
    },
  };
}
