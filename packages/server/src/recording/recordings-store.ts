/**
 * The recordings folder (`PARLEY_RECORDINGS_DIR`): one subfolder per recording, named by its id,
 * holding `recording.json` (the manifest: room, who started it, times, state, which Janus feed
 * was whom), `raw/` (Janus's `.mjr` dumps, written while recording), `tracks/` (one file per
 * person and kind, from janus-pp-rec) and `composite.webm` (ffmpeg). Manifests are written
 * atomically (temporary file, then rename), so a crash leaves the last complete one.
 *
 * Every path a caller names is checked here: ids and file names match fixed patterns (no `/`, no
 * leading dot), so nothing outside the folder can be reached. Also: free space (the disk guard)
 * and retention. Imports Node only.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a recording is in its life. */
export type RecordingPhase = 'recording' | 'stopped' | 'processing' | 'done' | 'failed';

/** What `recording.json` holds. */
export interface RecordingManifest {
  readonly id: string;
  readonly room: string;
  /** Who started it. */
  readonly by: string;
  /** Unix ms (when Janus started recording). */
  startedAt: number;
  stoppedAt?: number;
  /** Why it stopped: `stop` (a member asked), or the server's reason. */
  stopReason?: string;
  phase: RecordingPhase;
  /** Janus feed id (as text) → member name, gathered while recording. */
  feeds: Record<string, string>;
  /** Janus feed id (as text) → the m-line indexes it published as a screen share. */
  screens?: Record<string, number[]>;
  /** Files made by post-processing, relative to the recording's folder. */
  files?: string[];
  /** Seconds post-processing took (janus-pp-rec and ffmpeg together). */
  processingS?: number;
  error?: string;
}

/** A recording id: `rec-<utc time>-<random>`; never a path. */
export const RECORDING_ID = /^rec-\d{8}T\d{6}Z-[a-z0-9]{8}$/;
/** A file a client may name: the composite, or a track (`tracks/<file>`), no dots at the start. */
const FILE = /^(composite\.(?:webm|mp4)|tracks\/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127})$/;

/** Makes a fresh recording id for a start at `now`. */
export function newRecordingId(now = new Date()): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const rand = [...randomBytes(8)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return `rec-${t}-${rand}`;
}

/** The recordings folder. */
export class RecordingsStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The folder of recording `id` (which must be a valid id). */
  folder(id: string): string {
    if (!RECORDING_ID.test(id)) throw new Error(`not a recording id: ${id}`);
    return join(this.dir, id);
  }

  /** Creates the folder of a new recording and its manifest; returns where Janus writes. */
  async create(m: RecordingManifest): Promise<string> {
    const raw = join(this.folder(m.id), 'raw');
    await mkdir(raw, { recursive: true });
    await this.save(m);
    return raw;
  }

  /** Writes the manifest atomically. */
  async save(m: RecordingManifest): Promise<void> {
    const dir = this.folder(m.id);
    const tmp = join(dir, `.recording.json.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`);
    await rename(tmp, join(dir, 'recording.json'));
  }

  /** The manifest of `id`, or undefined (no such recording, unreadable). */
  async read(id: string): Promise<RecordingManifest | undefined> {
    if (!RECORDING_ID.test(id)) return undefined;
    try {
      const m = JSON.parse(
        await readFile(join(this.folder(id), 'recording.json'), 'utf8'),
      ) as RecordingManifest;
      return m.id === id ? m : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every recording's manifest, newest first. */
  async list(): Promise<RecordingManifest[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: RecordingManifest[] = [];
    for (const name of names.filter((n) => RECORDING_ID.test(n))) {
      const m = await this.read(name);
      if (m) out.push(m);
    }
    return out.sort((a, b) => b.startedAt - a.startedAt);
  }

  /** Deletes recording `id`; false when there is none. */
  async remove(id: string): Promise<boolean> {
    if (!(await this.read(id))) return false;
    await rm(this.folder(id), { recursive: true, force: true });
    return true;
  }

  /**
   * The absolute path of `file` of recording `id` and its size, when both are valid names and
   * the file is a regular file listed in the manifest; else undefined.
   */
  async file(id: string, file: string): Promise<{ path: string; size: number } | undefined> {
    if (!FILE.test(file) || file.includes('..')) return undefined;
    const m = await this.read(id);
    if (!m?.files?.includes(file)) return undefined;
    const path = join(this.folder(id), file);
    try {
      const s = await stat(path);
      return s.isFile() ? { path, size: s.size } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Free bytes on the folder's file system (creating the folder if need be). */
  async freeBytes(): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /** Deletes finished recordings that started more than `days` ago; returns their ids. */
  async sweep(days: number, now = Date.now()): Promise<string[]> {
    if (days <= 0) return [];
    const gone: string[] = [];
    for (const m of await this.list()) {
      if (m.phase === 'recording' || m.phase === 'processing') continue;
      if (now - m.startedAt > days * 86_400_000 && (await this.remove(m.id))) gone.push(m.id);
    }
    return gone;
  }
}
