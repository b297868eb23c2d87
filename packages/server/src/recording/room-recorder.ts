/**
 * Server recording of SFU rooms (issue 23), as `recording.start` / `recording.stop` drive it:
 * checks who may record (recording-policy.ts), the disk guard and end-to-end encryption, makes
 * the recording's folder (recordings-store.ts), has Janus record every publisher into it, tells
 * every member (`recording.state`; newcomers by `room.joined {recording}` and the same frame),
 * and once stopped hands it to post-processing (post-process.ts), whose progress goes to the
 * member who started it and to every host of the room (`recording.progress`).
 *
 * While a room is recorded, a watch every `watchMs` notes who publishes (to name the tracks),
 * stops the recording when the room emptied, when free space fell below half the guard, or at
 * the time limit. At shutdown running recordings are stopped (reason `shutdown`) and, like
 * those a crash left behind, processed at the next start.
 *
 * The recording runs on the node where it was started; members on other nodes are told through
 * the relay, and the room's shared state carries a mark (rooms/recording-mark.ts) by which every node
 * tells its newcomers and refuses a second start. Imports the protocol, the wire frames, the log's type and this folder.
 */
import { type ClientMessageOf, ParleyError } from '@parley/protocol';
import type { Logger } from '../log.ts';
import { type Frame, frame } from '../wire/frames.ts';
import { PostProcessor, type ProgressReport } from './post-process.ts';
import { mayRecord, type Recorder, type RecordingPolicyConfig } from './recording-policy.ts';
import { newRecordingId, type RecordingManifest, RecordingsStore } from './recordings-store.ts';

/** What the recorder reads of the configuration. */
export interface RoomRecorderConfig extends RecordingPolicyConfig {
  readonly recordingMaxS: number;
  readonly recordingMinFreeMb: number;
  readonly recordingRetentionDays: number;
  readonly recordingJobs: number;
  readonly recordingNice: number;
  readonly recordingFormat?: 'webm' | 'mp4';
}

/** A running recording as every node sees it. */
export interface RecordingMarkValue {
  readonly id: string;
  readonly by: string;
}

/** The room's shared recording mark and hosts (rooms/recording-mark.ts keeps them in the directory). */
export interface RecordingShared {
  recording(room: string): Promise<RecordingMarkValue | undefined>;
  /** Sets the mark when none is there (false: another recording holds it). */
  claim(room: string, mark: RecordingMarkValue): Promise<boolean>;
  /** Clears the mark if it is recording `id`'s. */
  release(room: string, id: string): Promise<void>;
  hosts(room: string): Promise<string[]>;
}

/** A session as the recorder sees it. */
export interface RecordingSession extends Recorder {
  readonly rooms: ReadonlySet<string>;
  send(frame: Frame): void;
}

/** The recorder's collaborators. */
export interface RoomRecorderDeps {
  readonly config: RoomRecorderConfig;
  /** The SFU (sfu-rooms.ts): turns Janus's recording on and off, and names publishers. */
  readonly sfu: {
    record(room: string, dir: string | undefined): Promise<void>;
    publisherIds(room: string): Promise<Map<string, number>>;
    /** Feed id → m-line indexes published as screen shares (the composite's stage). */
    screenMindexes?(room: string, feeds: Iterable<number>): Promise<Map<number, number[]>>;
  };
  /** Who is in a room (every node). */
  readonly members: (room: string) => Promise<readonly string[]>;
  /** The relay: to every member of a room, and to one name wherever it is. */
  readonly broadcast: (room: string, frame: Frame) => Promise<void>;
  readonly deliver: (name: string, frame: Frame) => void;
  readonly log: Logger;
  /** Whether the room is end-to-end encrypted (then the server cannot record it). */
  readonly isE2ee?: (room: string) => boolean | Promise<boolean>;
  /** Whether the session holds the room's host role (moderation, issue 21). */
  readonly isHost?: (session: Recorder, room: string) => boolean | Promise<boolean>;
  /** The room's shared recording mark and hosts (every node); without it, this node's only. */
  readonly shared?: RecordingShared;
  /** Signs download links for the finished files (http/recording-links.ts). */
  readonly links?: { sign(id: string, room: string, files: readonly string[]): unknown };
  /** How often a running recording is checked. Default 2 s. */
  readonly watchMs?: number;
  /** Where stopped recordings go (default: the post-processing queue); a seam for tests. */
  readonly enqueue?: (m: RecordingManifest) => void;
}

interface Running {
  readonly manifest: RecordingManifest;
  readonly timer: NodeJS.Timeout;
  stopping: Promise<void> | undefined;
}

const MB = 1024 * 1024;

/** This node's recordings. */
export class RoomRecorder {
  readonly #d: RoomRecorderDeps;
  readonly #store: RecordingsStore | undefined;
  readonly #post: PostProcessor | undefined;
  readonly #running = new Map<string, Running>();
  #retention: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: RoomRecorderDeps) {
    this.#d = deps;
    const dir = deps.config.recordingsDir;
    if (dir === undefined || deps.config.recording === 'off') return;
    this.#store = new RecordingsStore(dir);
    this.#post = new PostProcessor({
      store: this.#store,
      log: deps.log,
      jobs: deps.config.recordingJobs,
      nice: deps.config.recordingNice,
      format: deps.config.recordingFormat ?? 'webm',
      onProgress: (m, p) => void this.#progress(m, p),
    });
  }

  /** The recordings folder, when recording is on. */
  get store(): RecordingsStore | undefined {
    return this.#store;
  }

  /** Post-processing queue (for tests and health). */
  get postProcessor(): PostProcessor | undefined {
    return this.#post;
  }

  /** Hosts of each room whose recording is being processed, looked up once a second at most. */
  readonly #hosts = new Map<string, { at: number; names: Promise<string[]> }>();

  /** Tells the member who started `m` and every host of its room how processing goes. */
  async #progress(m: RecordingManifest, p: ProgressReport): Promise<void> {
    const download =
      p.stage === 'done' && p.files && this.#d.links
        ? (this.#d.links.sign(m.id, m.room, p.files) as {
            expires: number;
            links: { file: string; url: string }[];
          })
        : undefined;
    const f = frame({
      type: 'recording.progress',
      room: m.room,
      recording: m.id,
      ...p,
      ...(download ? { download } : {}),
    });
    let cached = this.#hosts.get(m.room);
    if (!cached || Date.now() - cached.at > 1000) {
      const names = this.#d.shared?.hosts(m.room).catch(() => []) ?? Promise.resolve([]);
      cached = { at: Date.now(), names };
      this.#hosts.set(m.room, cached);
    }
    const to = new Set([m.by, ...(await cached.names)]);
    if (p.stage === 'done' || p.stage === 'failed') this.#hosts.delete(m.room);
    for (const name of to) this.#d.deliver(name, f);
  }

  /** Processes what an earlier run left (stopped, crashed, interrupted) and starts retention. */
  async resume(): Promise<void> {
    const store = this.#store;
    if (!store) return;
    const sweep = () =>
      store
        .sweep(this.#d.config.recordingRetentionDays)
        .then((gone) => gone.length && this.#d.log.info({ gone }, 'old recordings deleted'))
        .catch((err: unknown) => this.#d.log.warn({ err }, 'recording retention failed'));
    await sweep();
    this.#retention = setInterval(sweep, 3_600_000);
    this.#retention.unref();
    for (const m of await store.list()) {
      if (m.phase === 'done' || m.phase === 'failed') continue;
      if (m.phase === 'recording') {
        // Left running by a crash: what Janus wrote is kept; it ended at the last watch's save.
        m.stoppedAt ??= Date.now();
        m.stopReason = 'crash';
        await this.#d.shared?.release(m.room, m.id).catch(() => {});
      }
      m.phase = 'stopped';
      await store.save(m);
      this.#d.log.info({ recording: m.id }, 'recording left by an earlier run: processing it');
      this.#enqueue(m);
    }
  }

  #enqueue(m: RecordingManifest): void {
    if (this.#d.enqueue) this.#d.enqueue(m);
    else this.#post!.enqueue(m);
  }

  /** True while `room` is recorded from this node. */
  isRecording(room: string): boolean {
    return this.#running.has(room);
  }

  /** The `recording.state` frame a newcomer to `room` gets, when it is recorded (from any node). */
  async stateFor(room: string): Promise<Frame | undefined> {
    const by =
      this.#running.get(room)?.manifest.by ??
      (await this.#d.shared?.recording(room).catch(() => undefined))?.by;
    return by === undefined ? undefined : frame({ type: 'recording.state', room, active: true, by });
  }

  /** `recording.start`: replies `recording.started`; every member gets `recording.state`. */
  async start(s: RecordingSession, msg: ClientMessageOf<'recording.start'>): Promise<void> {
    const { room } = msg;
    const { config } = this.#d;
    const host = (await this.#d.isHost?.(s, room)) ?? false;
    mayRecord(config, s, room, () => host);
    if (!s.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', 'join the room before recording it');
    if (await this.#d.isE2ee?.(room))
      throw new ParleyError(
        'RECORDING_REFUSED',
        'the room is end-to-end encrypted: the server cannot record it',
        {
          reason: 'recording_e2ee',
        },
      );
    if (this.#running.has(room))
      throw new ParleyError('RECORDING_REFUSED', 'the room is already being recorded', {
        reason: 'recording_busy',
      });
    const store = this.#store!;
    if ((await store.freeBytes()) < config.recordingMinFreeMb * MB)
      throw new ParleyError('RECORDING_REFUSED', 'not enough free disk space to record', {
        reason: 'recording_disk_low',
      });
    const manifest: RecordingManifest = {
      id: newRecordingId(),
      room,
      by: s.name,
      startedAt: Date.now(),
      phase: 'recording',
      feeds: {},
    };
    // Claimed on this node before the first await, so a second start in the meantime is refused,
    // then in the room's shared state, so a start on another node is too.
    const timer = setInterval(() => void this.#watch(room), this.#d.watchMs ?? 2000);
    timer.unref();
    const running: Running = { manifest, timer, stopping: undefined };
    this.#running.set(room, running);
    let claimed = false;
    try {
      if (this.#d.shared) {
        claimed = await this.#d.shared.claim(room, { id: manifest.id, by: s.name });
        if (!claimed)
          throw new ParleyError('RECORDING_REFUSED', 'the room is already being recorded', {
            reason: 'recording_busy',
          });
      }
      const raw = await store.create(manifest);
      await this.#d.sfu.record(room, raw);
    } catch (err) {
      clearInterval(timer);
      this.#running.delete(room);
      if (claimed) await this.#d.shared?.release(room, manifest.id).catch(() => {});
      await store.remove(manifest.id).catch(() => {});
      throw err;
    }
    // Janus's clock is this machine's: the tracks' offsets are measured from here.
    manifest.startedAt = Date.now();
    await this.#noteFeeds(running);
    s.send(frame({ type: 'recording.started', re: msg.id, room, recording: manifest.id }));
    await this.#d.broadcast(room, frame({ type: 'recording.state', room, active: true, by: s.name }));
    this.#d.log.info({ room, recording: manifest.id, by: s.name }, 'recording started');
  }

  /** `recording.stop`: replies `recording.stopped`; every member gets `recording.state`. */
  async stop(s: RecordingSession, msg: ClientMessageOf<'recording.stop'>): Promise<void> {
    const { room } = msg;
    const host = (await this.#d.isHost?.(s, room)) ?? false;
    mayRecord(this.#d.config, s, room, () => host);
    if (!s.rooms.has(room)) throw new ParleyError('NOT_IN_ROOM', 'join the room first');
    const r = this.#running.get(room);
    if (!r)
      throw new ParleyError('RECORDING_REFUSED', 'the room is not being recorded', {
        reason: 'recording_busy',
      });
    await this.#stop(room, 'stop', s.name);
    s.send(frame({ type: 'recording.stopped', re: msg.id, room, recording: r.manifest.id }));
  }

  /** Ends a recording: Janus stops, members hear, post-processing is queued. Idempotent. */
  #stop(room: string, reason: string, by?: string): Promise<void> {
    const r = this.#running.get(room);
    if (!r) return Promise.resolve();
    r.stopping ??= (async () => {
      clearInterval(r.timer);
      const m = r.manifest;
      await this.#noteFeeds(r);
      await this.#d.sfu.record(room, undefined).catch((err: unknown) => {
        // The room may be gone (emptied, Janus down): Janus closed its files then.
        this.#d.log.debug({ err, room }, 'recording: janus stop failed');
      });
      this.#running.delete(room);
      await this.#d.shared?.release(room, m.id).catch((err: unknown) => {
        this.#d.log.warn({ err, room }, 'recording: the shared mark could not be cleared');
      });
      m.stoppedAt = Date.now();
      m.stopReason = reason;
      m.phase = 'stopped';
      await this.#store!.save(m);
      const state = frame({
        type: 'recording.state',
        room,
        active: false,
        ...(by ? { by } : { reason }),
      });
      await this.#d.broadcast(room, state).catch(() => {});
      this.#d.log.info({ room, recording: m.id, reason }, 'recording stopped');
      if (!this.#closed) this.#enqueue(m);
    })();
    return r.stopping;
  }

  /** The periodic check of a running recording (see the module comment). */
  async #watch(room: string): Promise<void> {
    const r = this.#running.get(room);
    if (!r || r.stopping) return;
    try {
      const { config } = this.#d;
      const members = await this.#d.members(room);
      if (members.length === 0) return void (await this.#stop(room, 'empty'));
      if (Date.now() - r.manifest.startedAt >= config.recordingMaxS * 1000)
        return void (await this.#stop(room, 'limit'));
      if ((await this.#store!.freeBytes()) < (config.recordingMinFreeMb * MB) / 2)
        return void (await this.#stop(room, 'disk'));
      await this.#noteFeeds(r);
    } catch (err) {
      this.#d.log.warn({ err, room }, 'recording watch failed');
    }
  }

  /**
   * Notes who publishes (feed id → name) and which streams are screen shares (once a screen,
   * always: Janus writes one file per m-line), and saves the manifest when that changed.
   */
  async #noteFeeds(r: Running): Promise<void> {
    const m = r.manifest;
    let changed = false;
    const publishers = await this.#d.sfu.publisherIds(m.room);
    for (const [name, feed] of publishers) {
      if (m.feeds[String(feed)] !== name) {
        m.feeds[String(feed)] = name;
        changed = true;
      }
    }
    const screens = (await this.#d.sfu.screenMindexes?.(m.room, publishers.values())) ?? new Map();
    for (const [feed, mindexes] of screens) {
      m.screens ??= {};
      const known = m.screens[String(feed)] ?? [];
      const added = mindexes.filter((x: number) => !known.includes(x));
      if (added.length === 0) continue;
      m.screens[String(feed)] = [...known, ...added];
      changed = true;
    }
    // Saved on every watch while recording, so a crash leaves a manifest naming the tracks.
    if (changed || m.phase === 'recording') {
      m.stoppedAt = Date.now();
      await this.#store!.save(m);
      if (m.phase === 'recording') delete m.stoppedAt;
    }
  }

  /**
   * Shutdown: stops every running recording (reason `shutdown`; members hear), and stops
   * post-processing. What is not processed yet is processed at the next start.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#retention);
    await Promise.allSettled([...this.#running.keys()].map((room) => this.#stop(room, 'shutdown')));
    this.#post?.close();
  }
}
