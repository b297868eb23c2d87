/**
 * Liveness of the signaling link that survives throttled and frozen timers.
 *
 * Browsers run the timers of hidden pages late (Chromium: once a minute after five minutes
 * hidden) and freeze background tabs outright. A check like "no frame for two heartbeats, so the
 * link is dead", run from such a timer, declares a healthy link dead: the silence it measures is
 * the timer's, not the server's. So this monitor never concludes from elapsed time alone:
 *
 * - every tick sends a `ping` (the server answers `pong`; any frame counts as an answer);
 * - when the link has been silent too long, it *probes*: a ping, then a deadline;
 * - at the deadline, a frame received since the probe means alive; none means dead, but only if
 *   the deadline fired on time. A late deadline (the page was throttled or frozen, so queued
 *   frames may not have been read yet) probes again, up to `maxLateProbes` times in a row.
 * - {@link LivenessMonitor.check} probes at once with a short deadline: the client calls it when
 *   the page becomes visible, resumes, or the network comes back.
 *
 * Pure logic on an injected clock; imports nothing.
 */

/** The timer functions the monitor uses; the real ones by default, fakes in tests. */
export interface LivenessClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link LivenessMonitor}. */
export interface LivenessOptions {
  /** Interval of the pings (the server's `welcome.heartbeatMs`). */
  heartbeatMs: number;
  /** Silence after which a tick probes instead of merely pinging. Default 2 heartbeats + 2 s. */
  silenceMs?: number;
  /** How long a probe waits for any frame. Default the heartbeat, clamped to 1–5 s. */
  probeTimeoutMs?: number;
  /** A timer this much later than planned counts as throttled or frozen. Default 1 s. */
  lateMs?: number;
  /** Late probe deadlines answered by a new probe before the link is declared dead. Default 2. */
  maxLateProbes?: number;
  /** Sends a `ping` (must not throw). */
  ping(): void;
  /** The link is dead: the owner abandons the socket and reconnects. Called at most once. */
  onDead(detail: LivenessDeadDetail): void;
  clock?: LivenessClock;
}

/** What the monitor knew when it declared the link dead (for logs and tests). */
export interface LivenessDeadDetail {
  /** Milliseconds since the last frame. */
  silentMs: number;
  /** Why the probe was sent: `silence` or the wake reason given to `check`. */
  cause: string;
  /** Late deadlines that were re-probed first. */
  lateProbes: number;
}

/** The outcome of a probe deadline; exported for tests of the decision alone. */
export type ProbeVerdict = 'alive' | 'reprobe' | 'dead';

/**
 * Decides at a probe's deadline: `alive` if a frame arrived since the probe went out; else
 * `reprobe` if the deadline fired late and late re-probes remain; else `dead`.
 */
export function probeVerdict(input: {
  probeSentAt: number;
  lastFrameAt: number;
  lateByMs: number;
  lateMs: number;
  lateProbes: number;
  maxLateProbes: number;
}): ProbeVerdict {
  if (input.lastFrameAt >= input.probeSentAt) return 'alive';
  if (input.lateByMs > input.lateMs && input.lateProbes < input.maxLateProbes) return 'reprobe';
  return 'dead';
}

const realClock: LivenessClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Probe {
  sentAt: number;
  due: number;
  timer: unknown;
  cause: string;
}

/** Watches one socket's liveness; make a new one per socket. */
export class LivenessMonitor {
  readonly #o: Required<Omit<LivenessOptions, 'clock'>>;
  readonly #clock: LivenessClock;
  #lastFrameAt: number;
  #tickTimer: unknown = null;
  #probe: Probe | null = null;
  #lateProbes = 0;
  #stopped = false;
  /** Ticks and deadlines that fired late, and the largest lateness seen (diagnostics). */
  lateTimers = 0;
  maxLateByMs = 0;

  constructor(options: LivenessOptions) {
    const hb = Math.max(1, options.heartbeatMs);
    this.#o = {
      heartbeatMs: hb,
      silenceMs: options.silenceMs ?? 2 * hb + 2_000,
      probeTimeoutMs: options.probeTimeoutMs ?? Math.min(5_000, Math.max(1_000, hb)),
      lateMs: options.lateMs ?? 1_000,
      maxLateProbes: options.maxLateProbes ?? 2,
      ping: options.ping,
      onDead: options.onDead,
    };
    this.#clock = options.clock ?? realClock;
    this.#lastFrameAt = this.#clock.now();
  }

  /** Starts ticking; the link counts as alive now. */
  start(): void {
    this.#lastFrameAt = this.#clock.now();
    this.#scheduleTick();
  }

  /** Stops every timer; the monitor never calls back again. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#tickTimer);
    if (this.#probe) this.#clock.clearTimeout(this.#probe.timer);
    this.#probe = null;
  }

  /** A frame arrived from the server. */
  frameReceived(): void {
    this.#lastFrameAt = this.#clock.now();
    if (this.#probe) {
      this.#clock.clearTimeout(this.#probe.timer);
      this.#probe = null;
    }
    this.#lateProbes = 0;
  }

  /** Whether a probe is waiting for its answer. */
  get probing(): boolean {
    return this.#probe !== null;
  }

  /**
   * Asks the server now and waits `timeoutMs` for any frame (the page woke up: visible again,
   * resumed, back online). A probe already in flight with an earlier deadline is kept.
   */
  check(cause: string, timeoutMs = 1_000): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (this.#probe && this.#probe.due <= now + timeoutMs) return;
    this.#lateProbes = 0;
    this.#sendProbe(cause, timeoutMs);
  }

  #scheduleTick(): void {
    if (this.#stopped) return;
    const due = this.#clock.now() + this.#o.heartbeatMs;
    this.#tickTimer = this.#clock.setTimeout(() => this.#onTick(due), this.#o.heartbeatMs);
  }

  #onTick(due: number): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    this.#noteLateness(now - due);
    if (!this.#probe) {
      if (now - this.#lastFrameAt > this.#o.silenceMs) this.#sendProbe('silence', this.#o.probeTimeoutMs);
      else this.#o.ping();
    }
    this.#scheduleTick();
  }

  #sendProbe(cause: string, timeoutMs: number): void {
    if (this.#probe) this.#clock.clearTimeout(this.#probe.timer);
    const sentAt = this.#clock.now();
    const due = sentAt + timeoutMs;
    const probe: Probe = { sentAt, due, cause, timer: null };
    probe.timer = this.#clock.setTimeout(() => this.#onDeadline(probe), timeoutMs);
    this.#probe = probe;
    this.#o.ping();
  }

  #onDeadline(probe: Probe): void {
    if (this.#stopped || this.#probe !== probe) return;
    const now = this.#clock.now();
    const lateByMs = now - probe.due;
    this.#noteLateness(lateByMs);
    const verdict = probeVerdict({
      probeSentAt: probe.sentAt,
      lastFrameAt: this.#lastFrameAt,
      lateByMs,
      lateMs: this.#o.lateMs,
      lateProbes: this.#lateProbes,
      maxLateProbes: this.#o.maxLateProbes,
    });
    this.#probe = null;
    if (verdict === 'alive') return;
    if (verdict === 'reprobe') {
      this.#lateProbes++;
      this.#sendProbe(probe.cause, this.#o.probeTimeoutMs);
      return;
    }
    this.stop();
    this.#o.onDead({ silentMs: now - this.#lastFrameAt, cause: probe.cause, lateProbes: this.#lateProbes });
  }

  #noteLateness(lateByMs: number): void {
    if (lateByMs > this.#o.lateMs) this.lateTimers++;
    if (lateByMs > this.maxLateByMs) this.maxLateByMs = lateByMs;
  }
}
