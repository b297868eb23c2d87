/**
 * Memory under attack (issue 15, finding 5): how much RSS one address can pin in a server by
 * parking sessions (dropping their sockets, so the server keeps them for a resume) and stuffing
 * their resume queues.
 *
 * From 127.0.0.1 only, within the per-address limits a server enforces by default (hello burst
 * and rate, connections per address, frames per second per connection — refusals are waited out
 * or slowed down for, never pushed through):
 *   1. `stuffers` sessions log in; each joins `roomsPerStuffer` rooms `stuff-<i>`.
 *   2. `sessions` sessions log in, each joins its room `stuff-<i>` and drops its socket: parked.
 *   3. The stuffers send `room.message` frames of ~`frameBytes` to those rooms, round-robin,
 *      paced per socket at `stufferRatePerS` (halved on every RATE_LIMITED, raised again
 *      after 2 s without one), `framesPerSession` per room; every frame the server keeps for a
 *      parked member is a distinct string, so what it queues is what it holds.
 *   4. After the last frame was handled (a ping answered), RSS after a forced settle.
 * Bounded: stuffing stops early when RSS grew past `maxGrowthMiB` or after `maxStuffS`.
 */

import { sleep } from '../signaling/measure-window.ts';
import { processMemoryKiB } from '../signaling/proc.ts';
import { round3 } from '../signaling/stats.ts';
import { BenchClient } from './client.ts';
import {
  alive,
  type MetricsScrape,
  mib,
  peakRssKiB,
  scrapeMetrics,
  settledRssKiB,
  startParley,
  type Tree,
} from './server.ts';

export interface MemoryOptions {
  sessions: number;
  roomsPerStuffer: number;
  frameBytes: number;
  framesPerSession: number;
  stufferRatePerS: number;
  maxGrowthMiB: number;
  maxStuffS: number;
  graceS: number;
}

export interface MemoryResult {
  target: string;
  ok: boolean;
  error?: string;
  figures: Record<string, number | null>;
  detail: Record<string, unknown>;
}

/** Runs `work` on `items` with at most `limit` at a time; rejects with the first failure. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Times a cut-off stuffer is replaced by a fresh session before it gives up. */
const MAX_REPLACEMENTS = 4;
/**
 * Flow control: a stuffer sends a `ping` after every PING_EVERY frames and never has more than
 * IN_FLIGHT frames past the last answered ping (about 1.2 MB). Without it, a busy server falls
 * behind, megabytes wait in its socket buffers, and its heartbeat drops the stuffer (its pong is
 * stuck behind them): the figure would then measure the attacker being too fast, not the server.
 */
const PING_EVERY = 10;
const IN_FLIGHT = 20;

interface StuffTally {
  frames: number;
  bytes: number;
  slowdowns: number;
  /** Stuffers the server closed, with the close code and reason. */
  cuts: string[];
  /** Frames refused with an error reply, by code, over every stuffer session. */
  refused: Record<string, number>;
}

/**
 * One stuffer's paced, self-slowing send loop; resolves when done or told to stop. When the
 * server closes the stuffer (a limit this benchmark does not know about, say a byte budget), a
 * fresh session (`replace`) takes over its rooms at half the rate, as a patient attacker would;
 * after MAX_REPLACEMENTS it gives up on the rest of its frames.
 */
async function stuff(
  first: BenchClient,
  replace: (generation: number) => Promise<BenchClient>,
  frames: readonly string[],
  framesPerRoom: number,
  targetRatePerS: number,
  frameBytes: number,
  stop: { reason: string | undefined },
  sent: StuffTally,
): Promise<BenchClient> {
  let client = first;
  let generation = 0;
  const tallyRefusals = (c: BenchClient) => {
    for (const [code, n] of Object.entries(c.errors)) sent.refused[code] = (sent.refused[code] ?? 0) + n;
  };
  const total = frames.length * framesPerRoom;
  let targetRate = targetRatePerS;
  let rate = targetRatePerS;
  let credit = 0;
  let last = performance.now();
  let lastRefusalAt = 0;
  let lastRaiseAt = 0;
  let refusalsSeen = 0;
  let done = 0;
  /** Frames the server is known to have handled: a ping sent after them was answered. */
  let acked = 0;
  while (done < total && !stop.reason) {
    if (client.closed) {
      sent.cuts.push(`${client.closed.code} ${client.closed.reason}`);
      tallyRefusals(client);
      if (generation >= MAX_REPLACEMENTS) return client;
      client = await replace(++generation);
      targetRate = Math.max(1, targetRate / 2);
      rate = targetRate;
      refusalsSeen = 0;
      acked = done;
      continue;
    }
    await sleep(5);
    const now = performance.now();
    const refusals = client.errors.RATE_LIMITED ?? 0;
    if (refusals > refusalsSeen) {
      refusalsSeen = refusals;
      rate = Math.max(1, rate / 2);
      lastRefusalAt = now;
      sent.slowdowns++;
    } else if (rate < targetRate && now - lastRefusalAt > 2000 && now - lastRaiseAt > 2000) {
      rate = Math.min(targetRate, rate * 1.25);
      lastRaiseAt = now;
    }
    // At most one frame of credit carried over: a stall never turns into a burst afterwards.
    credit = Math.min(credit + ((now - last) * rate) / 1000, 1 + (5 * rate) / 1000);
    last = now;
    // Frames still in our socket buffer would reach the server in a burst: wait for them.
    if (client.ws.bufferedAmount > 2 * frameBytes) continue;
    for (; credit >= 1 && done < total && done - acked < IN_FLIGHT; credit--) {
      const frame = frames[done % frames.length]!;
      client.ws.send(frame);
      done++;
      sent.frames++;
      sent.bytes += frame.length;
      if (done % PING_EVERY === 0) {
        const upTo = done;
        const asked = client;
        // A timed-out ping (60 s) lets the stuffer go on: the server is then stuck, not slow.
        void asked.request({ type: 'ping' }, 60_000).then(() => {
          if (asked === client) acked = Math.max(acked, upTo);
        });
      }
    }
  }
  tallyRefusals(client);
  return client;
}

export async function memoryUnderAttack(
  tree: Tree,
  opts: MemoryOptions,
  extraEnv: Record<string, string>,
): Promise<MemoryResult> {
  const server = await startParley(tree, {
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_GRACE_S: String(opts.graceS),
    PARLEY_DRAIN_MS: '500',
    ...extraEnv,
  });
  const clients: BenchClient[] = [];
  const logins = { retries: 0 };
  const started = performance.now();
  const phaseMs: Record<string, number> = {};
  const mark = (phase: string, since: number) => {
    phaseMs[phase] = Math.round(performance.now() - since);
  };
  try {
    const pid = server.pid;
    const loginDeadline = () => performance.now() + 120_000;

    // Warm-up: a few sessions come and go cleanly (`bye`, then the server closes), so code
    // paths are compiled before the baseline reading and nothing of theirs stays parked.
    for (let i = 0; i < 3; i++) {
      const c = await BenchClient.open(server.port, `warm${i}`, loginDeadline(), logins);
      await c.join('warm');
      c.ws.send(JSON.stringify({ type: 'room.message', room: 'warm', data: 'x'.repeat(1000) }));
      c.ws.send(JSON.stringify({ type: 'bye' }));
      for (let w = 0; w < 50 && !c.closed; w++) await sleep(20);
      c.ws.terminate();
    }
    await sleep(500);
    const baseKiB = await settledRssKiB(pid);
    const metricsBase = await scrapeMetrics(server.port);

    // 1. Stuffers, each in its share of the rooms.
    let t = performance.now();
    const stufferCount = Math.ceil(opts.sessions / opts.roomsPerStuffer);
    const roomsOf = (s: number) =>
      Array.from(
        { length: Math.min(opts.roomsPerStuffer, opts.sessions - s * opts.roomsPerStuffer) },
        (_, k) => `stuff-${s * opts.roomsPerStuffer + k}`,
      );
    const stuffers: BenchClient[] = new Array(stufferCount);
    await pool([...Array(stufferCount).keys()], 5, async (s) => {
      const c = await BenchClient.open(server.port, `stuffer${s}`, loginDeadline(), logins);
      clients.push(c);
      for (const room of roomsOf(s)) await c.join(room);
      stuffers[s] = c;
    });
    mark('stuffersMs', t);

    // 2. Parked sessions: log in, join the room, vanish. Few at a time, so the connections from
    // this address stay well under a per-address cap.
    t = performance.now();
    await pool([...Array(opts.sessions).keys()], 16, async (i) => {
      const c = await BenchClient.open(server.port, `parked${i}`, loginDeadline(), logins);
      clients.push(c);
      await c.join(`stuff-${i}`);
      c.drop();
    });
    mark('parkMs', t);
    await sleep(1000);
    const parkedKiB = await settledRssKiB(pid);
    const metricsParked = await scrapeMetrics(server.port);

    // 3. Stuffing.
    t = performance.now();
    const payload = JSON.stringify('x'.repeat(opts.frameBytes));
    const stop: { reason: string | undefined } = { reason: undefined };
    const sent: StuffTally = { frames: 0, bytes: 0, slowdowns: 0, cuts: [], refused: {} };
    let maxSeenKiB = parkedKiB;
    const watch = setInterval(() => {
      if (!alive(pid)) {
        stop.reason = 'server exited';
        return;
      }
      const rss = processMemoryKiB(pid).rssKiB;
      maxSeenKiB = Math.max(maxSeenKiB, rss);
      if (rss - baseKiB > opts.maxGrowthMiB * 1024) stop.reason = `RSS grew past ${opts.maxGrowthMiB} MiB`;
      else if (performance.now() - t > opts.maxStuffS * 1000) stop.reason = `${opts.maxStuffS} s time cap`;
    }, 250);
    try {
      const last = await Promise.all(
        stuffers.map((c, s) =>
          stuff(
            c,
            async (generation) => {
              const fresh = await BenchClient.open(
                server.port,
                `stuffer${s}r${generation}`,
                loginDeadline(),
                logins,
              );
              clients.push(fresh);
              for (const room of roomsOf(s)) await fresh.join(room);
              return fresh;
            },
            roomsOf(s).map((room) => `{"type":"room.message","room":"${room}","data":${payload}}`),
            opts.framesPerSession,
            opts.stufferRatePerS,
            opts.frameBytes,
            stop,
            sent,
          ),
        ),
      );
      // Frames are handled in order per connection: once each stuffer's ping is answered, the
      // server has handled everything it was sent.
      await Promise.all(last.filter((c) => !c.closed).map((c) => c.request({ type: 'ping' }, 60_000)));
    } finally {
      clearInterval(watch);
    }
    mark('stuffMs', t);
    if (!alive(pid)) throw new Error(`server exited during stuffing: ${server.output().slice(-800)}`);
    const stuffedKiB = await settledRssKiB(pid);
    const metricsStuffed = await scrapeMetrics(server.port);
    const hwmKiB = peakRssKiB(pid);

    const refused = Object.values(sent.refused).reduce((a, b) => a + b, 0);
    const queueDrops = (m: MetricsScrape) => m.values.parley_queue_dropped_total;
    return {
      target: tree.target,
      ok: true,
      figures: {
        growthMiB: mib(stuffedKiB - baseKiB),
        peakGrowthMiB: mib(hwmKiB - baseKiB),
        parkedOnlyGrowthMiB: mib(parkedKiB - baseKiB),
        rssBaseMiB: mib(baseKiB),
        rssStuffedMiB: mib(stuffedKiB),
        framesSent: sent.frames,
        mibSent: round3(sent.bytes / 2 ** 20),
        framesRefused: refused,
        stuffersCut: sent.cuts.length,
        queueDropped: queueDrops(metricsStuffed) ?? null,
        stuffS: round3((phaseMs.stuffMs ?? 0) / 1000),
      },
      detail: {
        stoppedEarly: stop.reason ?? null,
        framesPlanned: opts.sessions * opts.framesPerSession,
        frameBytesSent: `{"type":"room.message","room":"stuff-0","data":${payload}}`.length,
        stuffers: stufferCount,
        slowdowns: sent.slowdowns,
        refusedByCode: sent.refused,
        stufferCloses: sent.cuts,
        loginRetries: logins.retries,
        maxRssSeenMiB: mib(maxSeenKiB),
        phaseMs,
        wallS: round3((performance.now() - started) / 1000),
        metrics: { base: metricsBase, parked: metricsParked, stuffed: metricsStuffed },
      },
    };
  } catch (err) {
    return {
      target: tree.target,
      ok: false,
      error: `${err instanceof Error ? err.message : String(err)} | server output: ${server.output().slice(-800)}`,
      figures: {},
      detail: { loginRetries: logins.retries, phaseMs },
    };
  } finally {
    for (const c of clients) c.ws.terminate();
    await server.stop();
  }
}
