/**
 * Post-processing of stopped recordings, outside the signaling process: each Janus dump goes
 * through `janus-pp-rec` (to WebM or Opus, no transcoding) into `tracks/`; `ffmpeg` measures each
 * microphone's loudness per half second (who speaks when: speakers.ts), then one `ffmpeg` run
 * composes `composite.webm` or `.mp4` (compose.ts). Both run as child processes under `nice`, one recording at a
 * time by default (`PARLEY_RECORDING_JOBS`); the rest wait in order. Progress is reported as it
 * goes. A dump with no media (a stream that never sent a packet) is skipped, and a dump cut short
 * by a crash is converted as far as it goes. Imports Node, the store, compose.ts and speakers.ts.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { type ComposeFormat, type ComposeTrack, composeArgs } from './compose.ts';
import type { RecordingManifest, RecordingsStore } from './recordings-store.ts';
import { LEVELS_FILTER, type LevelSeries, parseLevels, speakerTimeline } from './speakers.ts';

/** What the member who started a recording is told as it is processed. */
export interface ProgressReport {
  readonly stage: 'queued' | 'converting' | 'composing' | 'done' | 'failed';
  readonly percent: number;
  readonly files?: string[];
}

export interface PostProcessOptions {
  readonly store: RecordingsStore;
  readonly log: Logger;
  /** Jobs at once. */
  readonly jobs: number;
  /** `nice` level. */
  readonly nice: number;
  /** The composite's container (default webm). */
  readonly format?: ComposeFormat;
  /** Called on every step of every job. */
  readonly onProgress: (m: RecordingManifest, p: ProgressReport) => void;
  /** Paths of the tools (default: looked up on PATH). */
  readonly janusPpRec?: string;
  readonly ffmpeg?: string;
}

/** `videoroom-<room>-user-<feed>-<time>-<audio|video>-<mindex>.mjr`, as Janus names its dumps. */
const DUMP = /^videoroom-\d+-user-(\d+)-\d+-(audio|video)-(\d+)\.mjr$/;

/** A file-name-safe form of a member name (names may start with a dot). */
const safe = (name: string) => name.replace(/^\./, '_');

/** The post-processing queue. */
export class PostProcessor {
  readonly #o: PostProcessOptions;
  readonly #queue: RecordingManifest[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #children = new Set<import('node:child_process').ChildProcess>();
  #closed = false;

  constructor(o: PostProcessOptions) {
    this.#o = o;
  }

  /** Recordings waiting or being processed. */
  get pending(): number {
    return this.#queue.length + this.#running.size;
  }

  /** Queues a stopped recording. */
  enqueue(m: RecordingManifest): void {
    if (this.#closed || this.#queue.some((q) => q.id === m.id)) return;
    this.#queue.push(m);
    this.#o.onProgress(m, { stage: 'queued', percent: 0 });
    this.#pump();
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Stops taking jobs and kills the running tools (their recordings are processed at next start). */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    for (const c of this.#children) c.kill('SIGKILL');
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#o.jobs && this.#queue.length > 0) {
      const m = this.#queue.shift()!;
      const job = this.#process(m).finally(() => {
        this.#running.delete(job);
        this.#pump();
      });
      this.#running.add(job);
    }
  }

  async #process(m: RecordingManifest): Promise<void> {
    const { store, log } = this.#o;
    const t0 = performance.now();
    m.phase = 'processing';
    await store.save(m);
    try {
      const files = await this.#convert(m);
      const tracks = files.map((f) => f.track);
      const durationS = Math.max(1, ((m.stoppedAt ?? Date.now()) - m.startedAt) / 1000);
      const speakers = await this.#speakers(tracks, durationS);
      this.#o.onProgress(m, { stage: 'composing', percent: 0 });
      const format = this.#o.format ?? 'webm';
      const composite = `composite.${format}`;
      const output = join(store.folder(m.id), composite);
      await this.#run(
        this.#o.ffmpeg ?? 'ffmpeg',
        composeArgs(tracks, durationS, output, { format, speakers }),
        this.#o.nice,
        (line) => {
          const us = /^out_time_us=(\d+)/.exec(line);
          if (us) {
            const percent = Math.min(99, Math.round(Number(us[1]) / 1e4 / durationS));
            this.#o.onProgress(m, { stage: 'composing', percent });
          }
        },
      );
      if (this.#closed) return;
      m.files = [composite, ...files.map((f) => f.file)];
      m.phase = 'done';
      m.processingS = Math.round((performance.now() - t0) / 10) / 100;
      await store.save(m);
      log.info({ recording: m.id, room: m.room, seconds: m.processingS }, 'recording processed');
      this.#o.onProgress(m, { stage: 'done', percent: 100, files: m.files });
    } catch (err) {
      if (this.#closed) return; // killed by shutdown: processed again at the next start
      m.phase = 'failed';
      m.error = String((err as Error).message).slice(0, 2000);
      await store.save(m).catch(() => {});
      log.error({ err, recording: m.id }, 'recording processing failed');
      this.#o.onProgress(m, { stage: 'failed', percent: 100 });
    }
  }

  /**
   * Who speaks when: each microphone's level per window (one ffmpeg per track, decoding only),
   * among members with a camera to show. A track that cannot be measured is left out.
   */
  async #speakers(tracks: readonly ComposeTrack[], durationS: number) {
    const withCamera = new Set(tracks.filter((t) => t.kind === 'video' && !t.screen).map((t) => t.feed));
    const series: LevelSeries[] = [];
    for (const t of tracks) {
      if (this.#closed) break;
      if (t.kind !== 'audio' || !withCamera.has(t.feed)) continue;
      let text = '';
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', t.path];
      try {
        await this.#run(
          this.#o.ffmpeg ?? 'ffmpeg',
          [...args, '-af', LEVELS_FILTER, '-f', 'null', '-'],
          this.#o.nice,
          (line) => {
            text += `${line}\n`;
          },
        );
      } catch (err) {
        this.#o.log.warn({ err, track: t.path }, 'recording: could not measure a microphone; left out');
        continue;
      }
      series.push({ feed: t.feed!, offsetS: t.offsetS, levels: parseLevels(text) });
    }
    const firstCamera = tracks.find((t) => t.kind === 'video' && !t.screen)?.feed;
    return speakerTimeline(series, durationS, firstCamera);
  }

  /** janus-pp-rec on every dump; returns the tracks made (empty dumps skipped). */
  async #convert(m: RecordingManifest): Promise<{ file: string; track: ComposeTrack }[]> {
    const folder = this.#o.store.folder(m.id);
    const raw = join(folder, 'raw');
    await mkdir(join(folder, 'tracks'), { recursive: true });
    const dumps = (await readdir(raw).catch(() => [] as string[])).filter((f) => DUMP.test(f)).sort();
    const out: { file: string; track: ComposeTrack }[] = [];
    const ppRec = this.#o.janusPpRec ?? 'janus-pp-rec';
    for (const [i, dump] of dumps.entries()) {
      if (this.#closed) break;
      this.#o.onProgress(m, { stage: 'converting', percent: Math.round((i / dumps.length) * 100) });
      const [, feed, kind, mindex] = DUMP.exec(dump)!;
      const src = join(raw, dump);
      let header: { u?: number; c?: string };
      try {
        let text = '';
        await this.#run(ppRec, ['-j', src], undefined, (line) => {
          text += line;
        });
        header = JSON.parse(text.slice(text.indexOf('{'))) as { u?: number; c?: string };
      } catch {
        continue; // no header: Janus never wrote a packet
      }
      if (typeof header.u !== 'number' || header.u <= 0) continue;
      const name = m.feeds[feed!] ?? `feed-${feed}`;
      const ext = kind === 'audio' ? 'opus' : 'webm';
      const file = `tracks/${safe(name)}-${kind}-${mindex}-${feed}.${ext}`;
      try {
        await this.#run(ppRec, ['-d', '2', src, join(folder, file)], this.#o.nice);
      } catch (err) {
        this.#o.log.warn({ err, dump }, 'recording: a dump could not be converted; skipped');
        continue;
      }
      const offsetS = header.u / 1000 / 1000 - m.startedAt / 1000;
      const screen = kind === 'video' && (m.screens?.[feed!] ?? []).includes(Number(mindex));
      const path = join(folder, file);
      const track: ComposeTrack = { path, kind: kind as 'audio' | 'video', offsetS, feed: feed!, screen };
      out.push({ file, track });
    }
    return out;
  }

  /** Runs a tool (under `nice` when `niceLevel` is given); rejects on a non-zero exit. */
  #run(bin: string, args: string[], niceLevel: number | undefined, onLine?: (line: string) => void) {
    return new Promise<void>((resolve, reject) => {
      const [cmd, argv] =
        niceLevel === undefined ? [bin, args] : ['nice', ['-n', String(niceLevel), bin, ...args]];
      const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.#children.add(child);
      let err = '';
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          onLine?.(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
      });
      child.stderr.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-4000);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        this.#children.delete(child);
        if (buf) onLine?.(buf);
        if (code === 0) resolve();
        else reject(new Error(`${bin} exited with ${code}: ${err.trim().slice(-1000)}`));
      });
    });
  }
}
