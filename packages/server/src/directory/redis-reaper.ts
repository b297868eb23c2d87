/**
 * The parked-session reaper of `RedisDirectory`: ends parked sessions whose resume grace ran out,
 * within about one tick of the deadline, at any churn. Every node runs one; each tick calls the
 * `parleyReapDue` script (redis-scripts.ts), which takes the due sessions off the `parked` sorted
 * set in batches (Redis's clock decides what is due), frees their names, rooms and presence in
 * the same atomic step, and answers the names freed — this node then tells their peers. While a
 * batch leaves more due, the tick calls again at once: the backlog is drained in one tick however
 * large it is, a batch at a time so that one script never holds Redis for long. Nodes share the
 * work without coordination (each session is removed by exactly one call).
 *
 * It also keeps what operators watch (metrics.ts, `/healthz`): parked sessions cluster-wide, the
 * backlog (due but not reaped yet) and its age — read once a second by a probe of its own, so
 * they stay true when this node's reaping stalls — and the Redis round trip (a PING once a
 * second).
 *
 * May import: the directory's own modules only.
 */

/** What `parleyReapDue` answers: now (ms), still due, parked in all, oldest due deadline, freed. */
type ReapReply = [number, number, number, string | number, (string | string[])[]];

/** Figures the reaper keeps, cluster-wide except `reaped`. */
export interface ReapStats {
  /** Parked sessions in Redis (all nodes), as of the last tick. */
  parked: number;
  /** Parked sessions whose grace has ended and that are not reaped yet, as of the last tick. */
  backlog: number;
  /** Age of the oldest of those (ms past its deadline), 0 when there is no backlog. */
  backlogAgeMs: number;
  /** Sessions this node reaped since it started. */
  reaped: number;
  /** The last PING round trip (ms), NaN before the first or while Redis is unreachable. */
  rttMs: number;
  /** When the last successful tick ran (epoch ms), 0 before the first. */
  lastTickAt: number;
}

/** What the reaper needs from its directory. */
export interface ReaperOptions {
  /** Runs `parleyReapDue` with (batch). */
  reapDue(batch: number): Promise<unknown>;
  /** Round trip of one PING. */
  ping(): Promise<unknown>;
  /** Runs `parleyReapProbe`. */
  probe(): Promise<unknown>;
  /** Whether the connection is up (a tick is skipped otherwise). */
  ready(): boolean;
  /** A session was reaped by this node: announce and tell the peers. */
  onReaped(name: string, rooms: string[]): void;
  /** How often a tick runs (ms). */
  intervalMs: number;
  /** Sessions per script call. */
  batch: number;
  /** A tick failed (Redis unreachable mid-tick): logged by the directory. */
  onError(err: unknown): void;
  /** Observes each PING round trip (seconds), for the metrics histogram. */
  onRtt?: ((seconds: number) => void) | undefined;
}

/** What `parleyReapProbe` answers: now (ms), due, parked in all, oldest due deadline. */
type ProbeReply = [number, number, number, string | number];

/** Calls at most this many batches in one tick, so a runaway can never pin the event loop. */
const MAX_BATCHES_PER_TICK = 1000;

/** Runs the periodic reap (and the round-trip probe) of one directory process. */
export class ParkedReaper {
  readonly #o: ReaperOptions;
  readonly stats: ReapStats = {
    parked: 0,
    backlog: 0,
    backlogAgeMs: 0,
    reaped: 0,
    rttMs: Number.NaN,
    lastTickAt: 0,
  };
  /** Observes each PING round trip in seconds (metrics). */
  onRtt: ((seconds: number) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(o: ReaperOptions) {
    this.#o = o;
    this.onRtt = o.onRtt;
  }

  /** Starts the ticks (and the once-a-second round-trip probe). */
  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
    this.#pingTimer = setInterval(() => void this.#probe(), 1000);
    this.#pingTimer.unref();
  }

  /** Stops the ticks; resolves once a tick in progress has finished. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#pingTimer);
    await this.#running;
  }

  /** Reaps everything due now (one tick; concurrent calls share the running one). */
  tick(): Promise<void> {
    if (this.#running) return this.#running;
    if (!this.#o.ready()) return Promise.resolve();
    this.#running = this.#drain()
      .catch((err: unknown) => this.#o.onError(err))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #drain(): Promise<void> {
    for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
      const [now, left, parked, oldest, freed] = (await this.#o.reapDue(this.#o.batch)) as ReapReply;
      for (let j = 0; j + 1 < freed.length; j += 2) {
        this.stats.reaped++;
        this.#o.onReaped(String(freed[j]), (freed[j + 1] as string[]).map(String));
      }
      this.#record(now, left, parked, oldest);
      this.stats.lastTickAt = Date.now();
      if (Number(left) === 0) return;
    }
  }

  #record(now: number, due: number, parked: number, oldest: string | number): void {
    this.stats.parked = Number(parked);
    this.stats.backlog = Number(due);
    this.stats.backlogAgeMs = Number(due) > 0 && oldest !== '' ? Math.max(0, now - Number(oldest)) : 0;
  }

  async #probe(): Promise<void> {
    if (!this.#o.ready()) {
      this.stats.rttMs = Number.NaN;
      return;
    }
    const t0 = performance.now();
    try {
      await this.#o.ping();
      const ms = performance.now() - t0;
      this.stats.rttMs = ms;
      this.onRtt?.(ms / 1000);
      const [now, due, parked, oldest] = (await this.#o.probe()) as ProbeReply;
      this.#record(now, due, parked, oldest);
    } catch {
      this.stats.rttMs = Number.NaN;
    }
  }
}
