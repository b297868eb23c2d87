/**
 * The Redis directory: several server nodes (processes, machines) sharing one Redis act as one
 * deployment. It implements the same contract as `MemoryDirectory` (test/helpers/
 * directory-contract.ts) plus the session handoff that lets a client resume on any node.
 *
 * - Names are claimed atomically (a Lua script around `SET NX`), so of concurrent claims on
 *   different nodes exactly one wins. Rooms are Redis sets; joins check capacity and the stored
 *   password hash in one script.
 * - Routing: `deliver` runs one script that reads the holder of the name and `PUBLISH`es the
 *   frame on that node's channel (`P bus:<node>`), in the same atomic step, so frames from one
 *   sender keep their order even while the recipient moves between nodes. Frames for a parked
 *   session go to its bounded queue instead. The relay's local fast path never gets here.
 * - Liveness: each node refreshes `P node:<id>` (TTL `nodeTtlMs`) every third of the TTL. Every
 *   node also sweeps: a registered node whose key expired is dead; one survivor wins a lock and
 *   removes its names, rooms and tokens, and the winner's node tells the peers (`peer.left` gone,
 *   `call.ended` peer_gone). Parked sessions whose grace ran out are ended the same way. A dead
 *   node is therefore noticed within `nodeTtlMs` plus one sweep interval.
 * - Presence crosses in batches: each process gathers its logins and departures for 50 ms and
 *   publishes them as one message on `P presence:batch`, ignoring its own (it already told its
 *   nodes in-process). The one-name-per-message `P presence` channel of older versions is still
 *   heard, for a rolling upgrade.
 * - Outages: commands fail at once while Redis is unreachable (no offline queue), so callers get
 *   an error instead of hanging; `healthy()` is false (the node reports `degraded`), and
 *   sessions on the same node keep relaying through the local fast path. ioredis reconnects by
 *   itself; the first heartbeat that finds the node key missing (Redis restarted empty, or this
 *   node was reaped while cut off) registers the node's live names, tokens and rooms again.
 *
 * Over 500 lines because it implements the whole `Directory` contract plus the handoff on one
 * connection pair; its Lua lives in redis-scripts.ts and its connection options in
 * redis-connection.ts, so what is left is one method per contract entry.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type {
  ClusterNodeHandlers,
  DetachedSession,
  ParkedSession,
  SessionHandoff,
} from '../cluster/session-handoff.ts';
import type { Logger } from '../log.ts';
import type {
  Directory,
  MissedCallEntry,
  NodeHandlers,
  RoomJoinOptions,
  RoomJoinResult,
  RoomState,
  SfuPlacement,
  SfuRoomEntry,
} from './directory.ts';
import { MISSED_CALL_LIMITS } from './missed-calls.ts';
import { explainRedisError, sentinelOptions } from './redis-connection.ts';
import { ParkedReaper, type ReapStats } from './redis-reaper.ts';
import { SCRIPTS, type ScriptName } from './redis-scripts.ts';

/** What `locate` answers for a name whose session is parked (held by no node, still online). */
export const PARKED = '(parked)';

/** Options of `RedisDirectory`. */
export interface RedisDirectoryOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Key and channel prefix, so several deployments (or tests) can share one Redis. */
  prefix?: string;
  /** How long a node counts as alive after its last heartbeat. */
  nodeTtlMs?: number;
  /** Frames kept for a parked session; the oldest are dropped beyond it. */
  queueMax?: number;
  /** Bytes kept for a parked session; the oldest frames are dropped beyond it. */
  queueMaxBytes?: number;
  /** Called with the number of frames dropped from parked sessions' queues (for metrics). */
  onParkedDrop?: (count: number) => void;
  /** How long `take` waits for a session being parked, or for a live one to be let go. */
  takeTimeoutMs?: number;
  /** How often this process reaps parked sessions whose grace ended (ms; default 250). */
  reapIntervalMs?: number;
  /** Parked sessions reaped per script call (default 200; a tick calls until none is due). */
  reapBatch?: number;
  log?: Logger | undefined;
  /** Extra ioredis options (tests). */
  redis?: RedisOptions;
}

type Handlers = NodeHandlers & Partial<ClusterNodeHandlers>;
type Script = (...args: (string | number)[]) => Promise<unknown>;

const sorted = (names: string[]) => names.sort();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A `Directory` (and `SessionHandoff`) backed by Redis. Create with `RedisDirectory.connect`. */
/** Presence changes of a process cross Redis in one message per this many ms. */
const PRESENCE_BATCH_MS = 50;
/** Changes in one batch message at most (more go in several). */
const PRESENCE_BATCH_MAX = 1000;

export class RedisDirectory implements Directory, SessionHandoff {
  /** The command connection (shared with `RedisCallStore`). */
  readonly client: Redis;
  /** Key prefix, e.g. `parley:`. */
  readonly prefix: string;
  readonly #sub: Redis;
  readonly #instance = randomUUID().slice(0, 8);
  /** Presence changes of this process not yet published (see {@link RedisDirectory.#announce}). */
  #presenceOut: string[] = [];
  #presenceTimer: NodeJS.Timeout | undefined;
  readonly #nodes = new Map<string, Handlers>();
  readonly #nodeTtlMs: number;
  readonly #queueMax: number;
  readonly #queueMaxBytes: number;
  readonly #onParkedDrop: ((count: number) => void) | undefined;
  readonly #takeTimeoutMs: number;
  readonly #log: Logger | undefined;
  readonly #markers = new Map<string, () => void>();
  /** Takes in progress, and frames that found no local session meanwhile (see `take`). */
  #taking = 0;
  #stray: [string, string][] = [];
  #localIds = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastError = '';
  #sweeping = false;
  /** When the command connection last became ready (it judges other nodes a TTL after that). */
  #readySince = 0;
  #connectedOnce = false;
  readonly #reaper: ParkedReaper;

  private constructor(o: RedisDirectoryOptions) {
    this.prefix = o.prefix ?? 'parley:';
    this.#nodeTtlMs = o.nodeTtlMs ?? 15_000;
    this.#queueMax = o.queueMax ?? 256;
    this.#queueMaxBytes = o.queueMaxBytes ?? 1024 * 1024;
    this.#onParkedDrop = o.onParkedDrop;
    this.#takeTimeoutMs = o.takeTimeoutMs ?? 3000;
    this.#log = o.log;
    const common: RedisOptions = {
      lazyConnect: true,
      // Fail fast while disconnected: a caller gets an error, not a promise that hangs.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * times, 1000),
      ...o.redis,
    };
    // A Sentinel URL: ioredis asks the sentinels for the primary, and again after a failover.
    const sentinel = sentinelOptions(o.url);
    const open = (options: RedisOptions) =>
      sentinel ? new Redis({ ...sentinel, ...options }) : new Redis(o.url, options);
    this.client = open({ ...common, connectionName: `parley-cmd-${this.#instance}` });
    // The subscriber must queue its SUBSCRIBE commands until connected; ioredis resubscribes
    // by itself after a reconnect.
    this.#sub = open({
      ...common,
      enableOfflineQueue: true,
      connectionName: `parley-sub-${this.#instance}`,
    });
    for (const [name, lua] of Object.entries(SCRIPTS))
      this.client.defineCommand(name, { lua, numberOfKeys: 0 });
    for (const conn of [this.client, this.#sub]) {
      conn.on('error', (err: Error) => {
        // ioredis repeats the same error on every retry: log each distinct one once.
        if (err.message !== this.#lastError) this.#log?.error({ err: err.message }, 'redis unavailable');
        this.#lastError = err.message;
      });
    }
    this.client.on('ready', () => {
      if (this.#lastError) this.#log?.info('redis reachable again');
      this.#lastError = '';
      this.#readySince = Date.now();
      // After a reconnect (Redis restarted, or Sentinel promoted a replica that may have missed
      // the last writes) every live session is registered again; the first connect has none.
      const again = this.#connectedOnce;
      this.#connectedOnce = true;
      void this.#heartbeat(again);
    });
    this.#reaper = new ParkedReaper({
      reapDue: (batch) => this.#run('parleyReapDue', batch, ''),
      ping: () => this.client.ping(),
      probe: () => this.#run('parleyReapProbe'),
      ready: () => !this.#closed && this.client.status === 'ready' && this.#nodes.size > 0,
      onReaped: (name, rooms) => {
        this.#announce(name, false);
        const teller = this.#nodes.values().next().value as Handlers | undefined;
        teller?.reaped?.(name, rooms.sort());
      },
      intervalMs: o.reapIntervalMs ?? 250,
      batch: o.reapBatch ?? 200,
      onError: (err) => this.#log?.warn({ err: (err as Error).message }, 'reaping parked sessions failed'),
    });
    this.#sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
  }

  /** Connects both connections (command and subscriber); rejects when Redis cannot be reached. */
  static async connect(o: RedisDirectoryOptions): Promise<RedisDirectory> {
    const d = new RedisDirectory(o);
    // ioredis rejects with "Connection is closed."; the reason is an error it reported before
    // (WRONGPASS, an untrusted certificate…), not its own retry bookkeeping.
    const seen: string[] = [];
    const note = (err: Error) => seen.push(err.message);
    d.client.on('error', note);
    d.#sub.on('error', note);
    try {
      // A Sentinel deployment retries its sentinels without end: give up at startup after a while
      // (a plain URL fails at the first refusal).
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
      });
      await Promise.race([Promise.all([d.client.connect(), d.#sub.connect()]), giveUp]).finally(() =>
        clearTimeout(timer),
      );
      await d.#sub.subscribe(`${d.prefix}presence`, `${d.prefix}presence:batch`);
    } catch (err) {
      d.client.disconnect();
      d.#sub.disconnect();
      const cause = seen.find((m) => !/max retries per request/i.test(m)) ?? (err as Error).message;
      throw new Error(`cannot reach Redis at ${redactUrl(o.url)}: ${explainRedisError(cause)}`, {
        cause: err,
      });
    } finally {
      d.client.off('error', note);
      d.#sub.off('error', note);
    }
    const interval = Math.max(50, Math.round(d.#nodeTtlMs / 3));
    d.#timer = setInterval(() => void d.#heartbeat(false), interval);
    d.#timer.unref();
    d.#reaper.start();
    return d;
  }

  #run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return unavailable((this.client as unknown as Record<ScriptName, Script>)[name](this.prefix, ...args));
  }

  /**
   * Tells this process's nodes about a presence change at once, and the other processes with the
   * next batch: changes cross Redis as one message per {@link PRESENCE_BATCH_MS} per process
   * (`P presence:batch`, `b<instance>` then a line `1name` or `0name` per change), not one per
   * change. A batch lost with a dying process heals with the presence copy's periodic re-read.
   */
  #announce(name: string, online: boolean): void {
    const nodes = [...this.#nodes.values()];
    queueMicrotask(() => {
      for (const node of nodes) node.presence(name, online);
    });
    this.#presenceOut.push(`${online ? 1 : 0}${name}`);
    this.#presenceTimer ??= setTimeout(() => {
      if (!this.#closed) this.#flushPresence();
    }, PRESENCE_BATCH_MS);
  }

  #flushPresence(): void {
    this.#presenceTimer = undefined;
    const out = this.#presenceOut;
    this.#presenceOut = [];
    if (out.length === 0) return;
    for (let i = 0; i < out.length; i += PRESENCE_BATCH_MAX) {
      const message = `b${this.#instance}\n${out.slice(i, i + PRESENCE_BATCH_MAX).join('\n')}`;
      this.client.publish(`${this.prefix}presence:batch`, message).catch((err: unknown) => {
        this.#log?.warn({ err: (err as Error).message }, 'presence batch not published');
      });
    }
  }

  // ── Directory ────────────────────────────────────────────────────────────────────────────

  async attachNode(nodeId: string, handlers: NodeHandlers): Promise<void> {
    this.#nodes.set(nodeId, handlers as Handlers);
    this.#localIds = [...this.#nodes.keys()].join(',');
    await this.#sub.subscribe(`${this.prefix}bus:${nodeId}`);
    // A node restarted under the same id (PARLEY_NODE_ID) holds none of what its previous run
    // registered: release that now rather than leave those names taken by nobody.
    await this.#reapNode(nodeId, handlers as Handlers);
    await this.client
      .multi()
      .set(`${this.prefix}node:${nodeId}`, this.#instance, 'PX', this.#nodeTtlMs)
      .sadd(`${this.prefix}nodes`, nodeId)
      .exec();
  }

  async detachNode(nodeId: string): Promise<void> {
    if (!this.#nodes.delete(nodeId)) return;
    this.#localIds = [...this.#nodes.keys()].join(',');
    // The node's heartbeat goes first, so nothing routes here any more; the survivors' sweep
    // cleans up whatever names it still held (normally none after a drain).
    await this.client.del(`${this.prefix}node:${nodeId}`).catch(() => {});
    await this.#sub.unsubscribe(`${this.prefix}bus:${nodeId}`).catch(() => {});
  }

  async claimName(name: string, nodeId: string): Promise<boolean> {
    const ok = (await this.#run('parleyClaim', name, nodeId, '')) === 1;
    if (ok) this.#announce(name, true);
    return ok;
  }

  async releaseName(name: string, nodeId: string): Promise<boolean> {
    const ok = (await this.#run('parleyRelease', name, nodeId, '')) === 1;
    if (ok) this.#announce(name, false);
    return ok;
  }

  async locate(name: string): Promise<string | null> {
    const holder = await unavailable(this.client.get(`${this.prefix}name:${name}`));
    if (holder === null) return null;
    return holder.startsWith('@') ? PARKED : holder;
  }

  async onlineNames(): Promise<string[]> {
    return sorted(await unavailable(this.client.smembers(`${this.prefix}names`)));
  }

  async roomState(room: string): Promise<RoomState> {
    const [[, n], [, hash]] = (await unavailable(
      this.client.multi().scard(`${this.prefix}room:${room}`).get(`${this.prefix}rpw:${room}`).exec(),
    )) as [[null, number], [null, string | null]];
    return { occupied: n > 0, passwordHash: n > 0 ? (hash ?? undefined) : undefined };
  }

  async joinRoom(room: string, name: string, options: RoomJoinOptions): Promise<RoomJoinResult> {
    const r = (await this.#run('parleyJoin', room, name, options.maxPeers, options.passwordHash ?? '')) as
      | [1, 0 | 1, string[]]
      | [0, 'full' | 'stale'];
    if (r[0] === 0) return { ok: false, reason: r[1] };
    return { ok: true, members: sorted(r[2]), alreadyMember: r[1] === 1 };
  }

  async leaveRoom(room: string, name: string): Promise<boolean> {
    return (await this.#run('parleyLeave', room, name)) === 1;
  }

  async roomControl(room: string): Promise<{ text: string | undefined; version: number }> {
    const [v, t] = await unavailable(this.client.hmget(`${this.prefix}rctl:${room}`, 'v', 't'));
    return { text: t ?? undefined, version: v === null ? 0 : Number(v) };
  }

  async roomControlSet(room: string, version: number, text: string): Promise<boolean> {
    return (await this.#run('parleyCtlSet', room, version, text)) === 1;
  }

  async members(room: string): Promise<string[]> {
    return sorted(await unavailable(this.client.smembers(`${this.prefix}room:${room}`)));
  }

  async roomsOf(name: string): Promise<string[]> {
    return sorted(await unavailable(this.client.smembers(`${this.prefix}ro:${name}`)));
  }

  async roomCount(): Promise<number> {
    return unavailable(this.client.scard(`${this.prefix}rooms`));
  }

  async sfuPlacement(room: string): Promise<SfuPlacement | undefined> {
    const v = await unavailable(
      this.client.hmget(`${this.prefix}sfu:${room}`, 'janus', 'from', 'epoch', 'down'),
    );
    return placementOf(v[0], v[1], v[2], v[3]);
  }

  async sfuPlace(
    room: string,
    placement: SfuPlacement,
  ): Promise<{ placement: SfuPlacement; created: boolean } | undefined> {
    const r = (await this.#run('parleySfuPlace', room, ...placementArgs(placement))) as
      | [0]
      | [1 | 2, string, string, string, string];
    if (r[0] === 0) return undefined;
    const stored = placementOf(r[1], r[2], r[3], r[4]);
    return stored ? { placement: stored, created: r[0] === 2 } : undefined;
  }

  async sfuReplace(room: string, epoch: string, next: SfuPlacement): Promise<boolean> {
    return (await this.#run('parleySfuReplace', room, epoch, ...placementArgs(next))) === 1;
  }

  async sfuRemove(room: string, epoch: string, maxMembers: number): Promise<boolean> {
    return (await this.#run('parleySfuRemove', room, epoch, maxMembers)) === 1;
  }

  async sfuRooms(): Promise<SfuRoomEntry[]> {
    const flat = (await this.#run('parleySfuRooms')) as (string | number)[];
    const out: SfuRoomEntry[] = [];
    for (let i = 0; i + 5 < flat.length; i += 6) {
      const placement = placementOf(
        String(flat[i + 1]),
        String(flat[i + 2]),
        String(flat[i + 3]),
        String(flat[i + 4]),
      );
      if (placement) out.push({ room: String(flat[i]), placement, members: Number(flat[i + 5]) });
    }
    return out.sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
  }

  /**
   * `P missed:<name>`, a list newest first: pushed, trimmed to the newest `perName` and given
   * its expiry in one MULTI, so a flood of calls to one name never grows it past the bound.
   */
  async recordMissed(callee: string, entry: MissedCallEntry): Promise<void> {
    const key = `${this.prefix}missed:${callee}`;
    const { perName, maxAgeMs } = MISSED_CALL_LIMITS;
    await unavailable(
      this.client
        .multi()
        .lpush(key, JSON.stringify(entry))
        .ltrim(key, 0, perName - 1)
        .pexpire(key, maxAgeMs)
        .exec(),
    );
  }

  /** Reads and deletes `P missed:<name>` in one MULTI: only one node ever gets the list. */
  async takeMissed(name: string): Promise<MissedCallEntry[]> {
    const key = `${this.prefix}missed:${name}`;
    const res = await unavailable(this.client.multi().lrange(key, 0, -1).del(key).exec());
    const [err, raw] = res?.[0] ?? [null, []];
    if (err) throw err;
    const since = Date.now() - MISSED_CALL_LIMITS.maxAgeMs;
    const out: MissedCallEntry[] = [];
    for (const text of (raw as string[]).reverse()) {
      const e = parseMissed(text);
      if (e && e.at >= since) out.push(e);
    }
    return out;
  }

  async deliver(name: string, frame: string): Promise<boolean> {
    const r = (await this.#run(
      'parleyDeliver',
      name,
      frame,
      this.#localIds,
      this.#queueMax,
      this.#queueMaxBytes,
    )) as [0 | 1] | [2, number] | [3, string];
    if (r[0] === 3) return this.#nodes.get(r[1])?.deliver(name, frame) ?? false;
    if (r[0] === 2 && r[1] > 0) this.#onParkedDrop?.(r[1]);
    return r[0] !== 0;
  }

  /** The reaper's figures (parked sessions, reap backlog and its age, Redis round trip). */
  reapStats(): Readonly<ReapStats> {
    return this.#reaper.stats;
  }

  /** Observes every Redis round trip (a PING once a second), in seconds. */
  observeRoundTrips(observe: (seconds: number) => void): void {
    this.#reaper.onRtt = observe;
  }

  /** Reaps every parked session due now (tests and benchmarks; the reaper does it every tick). */
  reapNow(): Promise<void> {
    return this.#reaper.tick();
  }

  async healthy(): Promise<boolean> {
    if (this.#closed || this.client.status !== 'ready') return false;
    const timeout = sleep(1000).then(() => false);
    return Promise.race([
      this.client.ping().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#reaper.stop();
    for (const id of [...this.#nodes.keys()]) await this.detachNode(id);
    // One last batch: the departures of this process's sessions.
    clearTimeout(this.#presenceTimer);
    this.#flushPresence();
    for (const resolve of this.#markers.values()) resolve();
    this.#markers.clear();
    await Promise.allSettled([this.client.quit(), this.#sub.quit()]);
    this.client.disconnect();
    this.#sub.disconnect();
  }

  // ── SessionHandoff ───────────────────────────────────────────────────────────────────────

  async started(token: string, name: string): Promise<void> {
    await this.#run('parleyStarted', token, this.#primaryNode(), name);
  }

  async rotated(oldToken: string, newToken: string, name: string): Promise<void> {
    await this.#run('parleyRotated', oldToken, newToken, this.#primaryNode(), name);
  }

  async ended(token: string): Promise<void> {
    await this.#run('parleyEnded', token);
  }

  async park(session: DetachedSession, graceMs: number, takeFrames: () => string[]): Promise<boolean> {
    const node = this.#primaryNode();
    let auth = '';
    try {
      auth = JSON.stringify(session.authContext ?? null);
    } catch {
      // A context that cannot travel stays behind: resuming elsewhere starts without it.
      auth = 'null';
    }
    // A safety bound only: the reaper ends the session at its deadline, and frees the name even
    // if this hash is gone by then.
    const keepMs = graceMs + 2 * this.#nodeTtlMs + 60_000;
    const parked = await this.#run('parleyPark', session.name, node, session.token, auth, graceMs, keepMs);
    if (parked !== 1) return false;
    // Frames routed here before the park are still in flight on our channel: a marker sent
    // after the park arrives after all of them (one channel, one order).
    await this.#marker(node);
    const frames = takeFrames();
    const sealed = (await this.#run(
      'parleySeal',
      session.token,
      this.#queueMax,
      this.#queueMaxBytes,
      ...frames,
    )) as [0] | [1, number];
    if (sealed[0] === 1 && sealed[1] > 0) this.#onParkedDrop?.(sealed[1]);
    return true;
  }

  async take(token: string, name: string, adopt: (session: ParkedSession) => void): Promise<boolean> {
    const node = this.#primaryNode();
    const deadline = Date.now() + this.#takeTimeoutMs;
    let asked = false;
    this.#taking++;
    try {
      for (;;) {
        const r = (await this.#run('parleyTake', token, node, name)) as
          | [0]
          | [1]
          | [2, string]
          | [3, string, string, string[], string[]];
        if (r[0] === 0) return false;
        if (r[0] === 3) {
          const [, name, auth, rooms, frames] = r;
          let authContext: unknown;
          try {
            authContext = JSON.parse(auth);
          } catch {
            authContext = undefined;
          }
          adopt({ name, token, rooms: rooms.sort(), authContext: authContext ?? undefined, frames });
          // Frames that reached this node between the take and the adoption, in arrival order.
          const mine = this.#stray.filter(([n]) => n === name);
          this.#stray = this.#stray.filter(([n]) => n !== name);
          const handlers = this.#nodes.get(node);
          for (const [, frame] of mine) handlers?.deliver(name, frame);
          return true;
        }
        if (r[0] === 2 && !asked) {
          asked = true;
          await this.client.publish(`${this.prefix}bus:${r[1]}`, `e${token}`);
        }
        if (Date.now() > deadline) return false;
        await sleep(15);
      }
    } finally {
      if (--this.#taking === 0) this.#stray = [];
    }
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  #primaryNode(): string {
    const first = this.#nodes.keys().next();
    if (first.done) throw new Error('RedisDirectory: no node attached');
    return first.value;
  }

  /** Publishes a marker on `node`'s channel and waits until it comes back. */
  async #marker(node: string): Promise<void> {
    const id = randomUUID();
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#markers.delete(id);
        reject(new Error('bus marker timed out'));
      }, 2000);
      this.#markers.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.client.publish(`${this.prefix}bus:${node}`, `m${id}`);
    await back;
  }

  #onMessage(channel: string, message: string): void {
    const kind = message.charCodeAt(0);
    if (channel === `${this.prefix}presence:batch`) {
      // b<instance>\n<1|0><name>\n…
      const lines = message.split('\n');
      if (lines[0]!.slice(1) === this.#instance) return;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const online = line.charCodeAt(0) === 49; /* '1' */
        const name = line.slice(1);
        if (name === '') continue;
        for (const node of this.#nodes.values()) node.presence(name, online);
      }
      return;
    }
    if (channel === `${this.prefix}presence`) {
      // p<1|0><instance>:<name>
      const colon = message.indexOf(':');
      if (message.slice(2, colon) === this.#instance) return;
      const name = message.slice(colon + 1);
      const online = message[1] === '1';
      for (const node of this.#nodes.values()) node.presence(name, online);
      return;
    }
    const nodeId = channel.slice(this.prefix.length + 4);
    const handlers = this.#nodes.get(nodeId);
    if (!handlers) return;
    if (kind === 100 /* d */) {
      const colon = message.indexOf(':');
      const len = Number(message.slice(1, colon));
      const name = message.slice(colon + 1, colon + 1 + len);
      const frame = message.slice(colon + 1 + len);
      if (!handlers.deliver(name, frame) && this.#taking > 0 && this.#stray.length < 10_000)
        this.#stray.push([name, frame]);
    } else if (kind === 109 /* m */) {
      this.#markers.get(message.slice(1))?.();
      this.#markers.delete(message.slice(1));
    } else if (kind === 101 /* e */) {
      handlers.evict?.(message.slice(1));
    }
  }

  /**
   * Refreshes this process's node keys, re-registers after a loss (or after any reconnect when
   * `reconnected`), and sweeps dead nodes.
   */
  async #heartbeat(reconnected: boolean): Promise<void> {
    if (this.#closed || this.client.status !== 'ready') return;
    try {
      for (const [nodeId, handlers] of this.#nodes) {
        const previous = await this.client.set(
          `${this.prefix}node:${nodeId}`,
          this.#instance,
          'PX',
          this.#nodeTtlMs,
          'GET',
        );
        if (previous === null || reconnected) {
          await this.client.sadd(`${this.prefix}nodes`, nodeId);
          await this.#reregister(nodeId, handlers);
        }
      }
      await this.#sweep();
    } catch (err) {
      this.#log?.warn({ err: (err as Error).message }, 'redis heartbeat failed');
    }
  }

  /** Registers the node's live sessions again (their names, tokens and rooms). */
  async #reregister(nodeId: string, handlers: Handlers): Promise<void> {
    const sessions = handlers.sessions ? [...handlers.sessions()] : [];
    let lost = 0;
    for (const s of sessions) {
      const ok = await this.#run('parleyReclaim', nodeId, s.name, s.token, '', ...s.rooms);
      if (ok !== 1) lost++;
      else this.#announce(s.name, true);
    }
    this.#log?.warn(
      { node: nodeId, sessions: sessions.length, conflicts: lost },
      'node registered again in redis',
    );
  }

  /**
   * Removes every name and live token registered for `nodeId` (its rooms with them), announcing
   * the names offline; `teller`'s node tells the peers. Returns how many names it removed.
   */
  async #reapNode(nodeId: string, teller: Handlers | undefined): Promise<number> {
    const P = this.prefix;
    const names = await this.client.smembers(`${P}nn:${nodeId}`);
    let removed = 0;
    for (const name of names) {
      const r = (await this.#run('parleyReapName', name, nodeId, '')) as [0] | [1, string[]];
      if (r[0] !== 1) continue;
      removed++;
      this.#announce(name, false);
      teller?.reaped?.(name, r[1].sort());
    }
    const tokens = await this.client.smembers(`${P}nt:${nodeId}`);
    const m = this.client.multi();
    for (const t of tokens) m.del(`${P}tok:${t}`);
    await m.del(`${P}nn:${nodeId}`, `${P}nt:${nodeId}`).exec();
    return removed;
  }

  /**
   * Removes dead nodes; the winner node tells the peers (node/node-handlers.ts). Parked sessions
   * are the reaper's (redis-reaper.ts). A process judges others only once it has been connected
   * for a whole TTL: after an outage or a failover every node needs one heartbeat to re-register,
   * and the first one back must not mistake the others for dead.
   */
  async #sweep(): Promise<void> {
    if (this.#sweeping || Date.now() - this.#readySince < this.#nodeTtlMs) return;
    this.#sweeping = true;
    try {
      const P = this.prefix;
      const teller = this.#nodes.values().next().value as Handlers | undefined;
      const nodes = await this.client.smembers(`${P}nodes`);
      for (const dead of nodes) {
        if (this.#nodes.has(dead)) continue;
        if ((await this.client.exists(`${P}node:${dead}`)) === 1) continue;
        // One survivor cleans up; the lock outlives the cleanup so nobody repeats it.
        const won = await this.client.set(`${P}reap:${dead}`, this.#instance, 'PX', this.#nodeTtlMs, 'NX');
        if (won === null) continue;
        const names = await this.#reapNode(dead, teller);
        await this.client.srem(`${P}nodes`, dead);
        this.#log?.warn({ node: dead, names }, 'dead node reaped');
      }
    } finally {
      this.#sweeping = false;
    }
  }
}

/** A placement as the scripts store it: janus, from, epoch, down (flags as '1'/'0'). */
function placementArgs(p: SfuPlacement): string[] {
  return [p.janus, p.fromStart ? '1' : '0', p.epoch, p.down ? '1' : '0'];
}

/** A stored placement, or undefined when the hash is missing. */
function placementOf(
  janus: string | null | undefined,
  from: string | null | undefined,
  epoch: string | null | undefined,
  down: string | null | undefined,
): SfuPlacement | undefined {
  if (!janus || !epoch) return undefined;
  return { janus, fromStart: from === '1', epoch, down: down === '1' };
}

/** Thrown by directory operations while Redis cannot be reached (the cause is ioredis's error). */
export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
}

/** Rewords connection-level failures into one clear error; other errors pass unchanged. */
function unavailable<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (
      /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|max retries|EPIPE/i.test(
        message,
      )
    )
      throw new DirectoryUnavailableError('the directory is unavailable: Redis cannot be reached', {
        cause: err,
      });
    throw err;
  });
}

/** The URL without its password (also a Sentinel URL's `sentinelPassword`), for messages. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z+]+:\/\/)([^@/]*):[^@/]*@/i, (_, scheme: string, user: string) => `${scheme}${user}:***@`)
    .replace(/([?&]sentinelPassword=)[^&#]*/i, '$1***');
}

const MISSED_REASONS: readonly string[] = ['no_answer', 'cancelled', 'peer_gone'];

/** One stored missed call, or undefined when the text is not one (written by another version). */
function parseMissed(text: string): MissedCallEntry | undefined {
  try {
    const e = JSON.parse(text) as Partial<MissedCallEntry> | null;
    if (typeof e?.call !== 'string' || typeof e.from !== 'string' || typeof e.at !== 'number')
      return undefined;
    const reason = e.reason;
    if (reason === undefined || !MISSED_REASONS.includes(reason)) return undefined;
    return { call: e.call, from: e.from, at: e.at, reason };
  } catch {
    return undefined;
  }
}
