/**
 * `npm run bench:signaling`: measures Parley's signaling relay against the PeerJS server and a
 * bare `ws` forwarder, side by side in one run, and prints one JSON document on stdout (progress
 * goes to stderr). For every scenario, target and round it starts a fresh server process and hands
 * the cell to the load generator (loadgen.ts, one process for the whole run), which reads the
 * server's CPU and memory from /proc around the measured window.
 *
 *   npm run bench:signaling                       full run (3 rounds: 7–12 minutes on a loaded 2-core machine)
 *   npm run bench:signaling -- --quick            short run (1.5–2.5 minutes)
 *   npm run bench:signaling -- --targets parley,bare --scenarios relay,light --rounds 3
 *   npm run bench:signaling -- --compare parley,raw,peer --scenarios relay --rounds 5
 *   npm run bench:signaling -- --scale-out        also cross-node vs same-node relay over Redis
 *                                                 (bench/signaling/cluster.ts), under `scaleOut`
 *   npm run bench:signaling -- --baseline-ref 605c0fd
 *                                                 also Parley as of that commit (target
 *                                                 parley@605c0fd, bench/signaling/baseline.ts)
 *
 * See docs/BENCHMARKS.md for method and results.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Baseline, installedVersion, materialise } from './baseline.ts';
import { machineInfo } from './proc.ts';
import { evaluateGoals, type ScenarioReport, summarizeScenario } from './report.ts';
import {
  allScenarios,
  type CellResult,
  FULL_TIMING,
  type LoadgenJob,
  QUICK_TIMING,
  type ScenarioSpec,
  type Timing,
} from './scenarios/spec.ts';
import { freePort, startServer, withFileLimit } from './server-process.ts';
import {
  BASELINE_DIRS,
  isTargetName,
  PARLEY_BENCH_ENV,
  PARLEY_ENTRY,
  ROOT,
  TARGET_NAMES,
  type TargetName,
  targetSpec,
} from './targets.ts';

const IDLE_GOAL_CONNECTIONS = 10_000;

const USAGE = `usage: npm run bench:signaling -- [options]
  --quick               1 round, short windows, 2,000 idle connections (1.5–2.5 minutes)
  --targets LIST        comma-separated: ${TARGET_NAMES.join(',')} (default: all)
  --compare LIST        the same as --targets, with at least two targets: every round runs each
                        scenario against every listed target back to back (order rotated from
                        cell to cell), each cell on a fresh server, so each ratio pairs cells run
                        under the same background load. Ratios are only ever taken within one run:
                        to-markdown.ts refuses to put reports of different runs side by side
  --scenarios LIST      comma-separated scenario ids or prefixes: relay, relay-1k-50p, light, call, idle
  --rounds N            repeat every cell N times, interleaved; figures are medians (default 3, quick 1)
  --idle-conns N        connections in the idle scenario (default 10000, quick 2000)
  --warmup-ms N         least warm-up before each measured window (it also lasts until
                        20,000 frames were delivered, 10,000 with --quick; at most 6 s, 3 s)
  --measure-ms N        length of each measured window
  --out FILE            also write the JSON report to FILE (npm prints its own banner on stdout;
                        use \`npm run -s bench:signaling\` for JSON-only stdout)
  --profile DIR         run every server under \`node --cpu-prof\`: DIR/<scenario>-<target>-<port>/
                        gets one profile per thread (the largest is the main thread's)
  --scale-out           also run the scale-out benchmark (bench/signaling/cluster.ts: same-node vs
                        cross-node relay through Redis for 1, 2 and 3 nodes; needs redis-server)
                        and put its report under "scaleOut"; then bench/signaling/churn.ts (reaping
                        of parked sessions, Sentinel failover) under "scaleOut.churn"
  --parley-entry FILE   start Parley from FILE instead of packages/server/src/main.ts (e.g. a
                        patched copy of the server, to measure a change before making it)
  --baseline-ref REF    also run Parley as of git commit REF, as target parley@REF (exported once
                        to /tmp/parley-baseline-<commit> with its own npm install; same environment
                        as parley). Ratios parley/parley@REF per scenario, and a goal: CPU per 1k
                        messages at most 1.05x of REF in every relay scenario. May be repeated;
                        --targets may name parley@REF too.
  --help

The idle scenario runs in the first round only (its figures hardly vary, and 10,000 logins per
target are the slowest part of a run).`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      targets: { type: 'string' },
      compare: { type: 'string' },
      scenarios: { type: 'string' },
      rounds: { type: 'string' },
      'idle-conns': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'measure-ms': { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      'parley-entry': { type: 'string' },
      'baseline-ref': { type: 'string', multiple: true },
      'scale-out': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (s: string | undefined, name: string, fallback: number, min: number, max: number) => {
    if (s === undefined) return fallback;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`);
    return n;
  };
  const base = values.quick ? QUICK_TIMING : FULL_TIMING;
  const timing: Timing = {
    ...base,
    warmupMs: int(values['warmup-ms'], 'warmup-ms', base.warmupMs, 0, 60_000),
    warmupMaxMs: Math.max(base.warmupMaxMs, int(values['warmup-ms'], 'warmup-ms', 0, 0, 60_000)),
    measureMs: int(values['measure-ms'], 'measure-ms', base.measureMs, 200, 120_000),
  };
  const idleConnections = int(values['idle-conns'], 'idle-conns', values.quick ? 2000 : 10_000, 10, 15_000);
  if (values['parley-entry']) PARLEY_ENTRY.path = resolve(values['parley-entry']);
  if (values.compare !== undefined && values.targets !== undefined)
    throw new Error('--compare and --targets both name the targets: give one of them');
  const targets = (values.compare ?? values.targets ?? TARGET_NAMES.join(','))
    .split(',')
    .map((t) => t.trim());
  if (values.compare !== undefined && new Set(targets).size < 2)
    throw new Error('--compare needs at least two targets, e.g. --compare parley,raw,peer');
  for (const ref of values['baseline-ref'] ?? []) {
    if (!targets.includes(`parley@${ref}`)) targets.push(`parley@${ref}`);
  }
  for (const t of targets) if (!isTargetName(t)) throw new Error(`unknown target "${t}"`);
  const wanted = values.scenarios?.split(',').map((s) => s.trim());
  const scenarios = allScenarios(idleConnections).filter(
    (s) => !wanted || wanted.some((w) => s.id === w || s.id.startsWith(w) || s.kind === w),
  );
  if (scenarios.length === 0) throw new Error(`no scenario matches "${values.scenarios}"`);
  return {
    quick: values.quick,
    scaleOut: values['scale-out'],
    timing,
    idleConnections,
    targets: targets as TargetName[],
    scenarios,
    rounds: int(values.rounds, 'rounds', values.quick ? 1 : 3, 1, 20),
    out: values.out,
    profileDir: values.profile,
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The load generator process, started once per run and reused for every cell (its start-up,
 * tsx included, would otherwise add seconds to each cell). Jobs run one at a time.
 */
class Loadgen {
  #child: ChildProcess | undefined;
  readonly #fds: number;

  constructor(fds: number) {
    this.#fds = fds;
  }

  #start(): ChildProcess {
    // spawn (not fork) so the open-file limit can be raised the same way as for servers.
    const { cmd, args } = withFileLimit(['--import', 'tsx', `${ROOT}bench/signaling/loadgen.ts`], this.#fds);
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    // The load generator writes nothing to stdout; anything it does goes to our stderr so stdout
    // stays one JSON document.
    child.stdout?.pipe(process.stderr);
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    return child;
  }

  /** Runs one job; a stuck job is killed after `timeoutMs` (the next job gets a new process). */
  run(job: LoadgenJob, timeoutMs: number): Promise<CellResult> {
    this.#child ??= this.#start();
    const child = this.#child;
    return new Promise((resolve) => {
      const failed = (error: string): CellResult => ({
        scenario: job.scenario.id,
        target: job.target,
        ok: false,
        error,
        figures: {},
        detail: {},
      });
      const finish = (r: CellResult) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (m: unknown) => finish(m as CellResult);
      const onExit = (code: number | null) =>
        finish(failed(`load generator exited (${code}) without a result`));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(failed(`load generator timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(job);
    });
  }

  close(): void {
    this.#child?.disconnect();
  }
}

/** A generous bound on one cell's load-generator run, so a stuck cell cannot hang the run. */
function cellTimeoutMs(s: ScenarioSpec, t: Timing): number {
  const connect = s.kind === 'idle' ? s.connections * 10 : 5000;
  return t.warmupMaxMs + t.measureMs + t.drainMs + t.settleMs + t.idleWindowMs + connect + 30_000;
}

/** Open files a process needs for a scenario: one per connection, plus slack for the runtime. */
function filesNeeded(s: ScenarioSpec): number {
  return (s.kind === 'idle' ? s.connections : 2 * s.pairs) + 1024;
}

async function runCell(
  loadgen: Loadgen,
  target: TargetName,
  scenario: ScenarioSpec,
  timing: Timing,
  profileDir: string | undefined,
): Promise<CellResult> {
  const spec = targetSpec(target);
  const entry = PARLEY_ENTRY.path.startsWith('/') ? PARLEY_ENTRY.path : `${ROOT}${PARLEY_ENTRY.path}`;
  if (target === 'parley' && !existsSync(entry)) {
    return {
      scenario: scenario.id,
      target,
      ok: false,
      error: `${entry} does not exist (Parley server not built yet)`,
      figures: {},
      detail: {},
    };
  }
  const fds = filesNeeded(scenario);
  const port = await freePort();
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // One folder per cell: Node writes one profile per thread (tsx's module-loader thread too),
    // so a fixed file name would let the loader thread's profile overwrite the main thread's.
    const nodeArgs = profileDir
      ? ['--cpu-prof', '--cpu-prof-dir', `${profileDir}/${scenario.id}-${target}-${port}`]
      : [];
    server = await startServer(spec.launch(port, nodeArgs), port, fds);
  } catch (err) {
    return {
      scenario: scenario.id,
      target,
      ok: false,
      error: `could not start ${target}: ${err instanceof Error ? err.message : String(err)}`,
      figures: {},
      detail: {},
    };
  }
  try {
    const job: LoadgenJob = { target, port, serverPid: server.pid, scenario, timing };
    const result = await loadgen.run(job, cellTimeoutMs(scenario, timing));
    if (!result.ok && server.output()) result.error += ` | server output: ${server.output().slice(-1000)}`;
    return result;
  } finally {
    await server.stop();
  }
}

function progressLine(r: CellResult): string {
  if (!r.ok) return `FAILED: ${r.error}`;
  const f = r.figures;
  const parts: string[] = [];
  if (f.cpuMsPer1kMsgs !== undefined) parts.push(`${f.cpuMsPer1kMsgs} ms CPU/1k msgs`);
  if (f.msgsPerS !== undefined) parts.push(`${f.msgsPerS} msgs/s`);
  if (f.latencyP99Ms !== undefined) parts.push(`p50 ${f.latencyP50Ms} ms, p99 ${f.latencyP99Ms} ms`);
  if (f.exchangesPerS !== undefined) parts.push(`${f.exchangesPerS} exchanges/s, p99 ${f.exchangeP99Ms} ms`);
  if (f.lost) parts.push(`LOST ${f.lost}`);
  // Error replies mean a limit refused frames: the cell measured refusing, not relaying.
  const other = (r.detail.otherFrames ?? {}) as Record<string, number>;
  const refused = Object.entries(other).filter(([k]) => k.startsWith('error'));
  if (refused.length) parts.push(`REFUSED ${refused.map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  if (f.rssKiBPerConn !== undefined)
    parts.push(`${f.rssKiBPerConn} KiB/conn, idle ${f.idleCpuMsPerS} ms CPU/s`);
  return parts.join(', ');
}

/**
 * Limits of the current tree's server that look like per-connection or per-address rates and
 * are not raised in PARLEY_BENCH_ENV: a newer server may have grown one the benchmark does not
 * know about, which would then measure refusals instead of relaying. Reported, not fatal (the
 * cells' `otherFrames` and `health` show whether anything was refused).
 */
async function limitsNotRaised(): Promise<string[]> {
  const irrelevant = new Set([
    'PARLEY_FLOOD_STRIKES',
    'PARLEY_PASSWORD_RATE_PER_S',
    'PARLEY_PASSWORD_BURST',
    'PARLEY_MAX_FRAME_BYTES',
  ]);
  try {
    const mod = (await import('@parley/server')) as { CONFIG_VARS?: object };
    return Object.keys(mod.CONFIG_VARS ?? {}).filter(
      (v) =>
        /RATE|BURST|_PER_S$|PER_IP|PER_ADDR|BYTES_PER|CONNS|QUOTA|BUDGET/.test(v) &&
        !(v in PARLEY_BENCH_ENV) &&
        !irrelevant.has(v),
    );
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const opts = options();
  const baselines: Baseline[] = [];
  for (const t of opts.targets) {
    if (!t.startsWith('parley@')) continue;
    const b = materialise(t.slice('parley@'.length));
    BASELINE_DIRS.set(t, b.dir);
    baselines.push(b);
  }
  const unraised = opts.targets.includes('parley') ? await limitsNotRaised() : [];
  if (unraised.length)
    log(
      `bench:signaling: WARNING: limits not raised in PARLEY_BENCH_ENV (bench/signaling/targets.ts): ${unraised.join(', ')}`,
    );
  const started = new Date();
  const machine = machineInfo();
  const cells = new Map<string, CellResult[]>();
  const loadgen = new Loadgen(Math.max(...opts.scenarios.map(filesNeeded)));
  const perRound = opts.scenarios.filter((s) => s.kind !== 'idle').length;
  const total = (opts.rounds * perRound + opts.scenarios.length - perRound) * opts.targets.length;
  let n = 0;
  log(
    `bench:signaling: ${opts.scenarios.length} scenarios × ${opts.targets.length} targets × ${opts.rounds} round(s) on ${machine.cores}× ${machine.cpuModel}`,
  );
  try {
    for (let round = 0; round < opts.rounds; round++) {
      for (const [si, scenario] of opts.scenarios.entries()) {
        if (scenario.kind === 'idle' && round > 0) continue;
        // Rotate the target order from cell to cell so no target always runs first (or last) when
        // the machine's background load drifts.
        const shift = (round + si) % opts.targets.length;
        const order = [...opts.targets.slice(shift), ...opts.targets.slice(0, shift)];
        for (const target of order) {
          n++;
          const cellStart = performance.now();
          const r = await runCell(loadgen, target, scenario, opts.timing, opts.profileDir);
          const cellS = ((performance.now() - cellStart) / 1000).toFixed(1);
          log(`[${n}/${total}] ${scenario.id} ${target} (${cellS} s): ${progressLine(r)}`);
          r.round = round;
          cells.set(scenario.id, [...(cells.get(scenario.id) ?? []), r]);
        }
      }
    }
  } finally {
    loadgen.close();
  }
  const scaleOut = opts.scaleOut ? runScaleOut(opts.quick) : undefined;
  const scenarios: ScenarioReport[] = opts.scenarios.map((s) => summarizeScenario(s, cells.get(s.id) ?? []));
  const goals = evaluateGoals(
    scenarios,
    IDLE_GOAL_CONNECTIONS,
    opts.targets.filter((t) => t.startsWith('parley@')),
  );
  const finished = new Date();
  const report = {
    benchmark: 'parley-signaling',
    reportVersion: 1,
    // Ratios between targets are only valid within one run (same session, interleaved cells):
    // to-markdown.ts refuses to combine reports whose runId differs.
    runId: randomUUID(),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallS: Math.round((finished.getTime() - started.getTime()) / 1000),
    argv: process.argv.slice(2),
    machine: { ...machine, loadAverage1mAtEnd: machineInfo().loadAverage1m },
    method: {
      quick: opts.quick,
      rounds: opts.rounds,
      // CPU profiling slows servers down: figures of a profiled run are not comparable.
      profiledWith: opts.profileDir ? '--cpu-prof' : null,
      timing: opts.timing,
      targets: Object.fromEntries(opts.targets.map((t) => [t, targetSpec(t).description])),
      parleyEnv: PARLEY_BENCH_ENV,
      parleyEntry: PARLEY_ENTRY.path,
      ...(baselines.length
        ? {
            baselines: baselines.map((b) => ({
              target: `parley@${b.ref}`,
              commit: b.commit,
              dir: b.dir,
              ws: installedVersion(b.dir, 'ws'),
            })),
            currentTree: { commit: headCommit(), ws: installedVersion(ROOT, 'ws') },
          }
        : {}),
      ...(unraised.length ? { limitsNotRaised: unraised } : {}),
      cpuPer1k:
        'server utime+stime from /proc/<pid>/stat over the measured window, divided by frames delivered to receivers in the window, × 1000',
      latency:
        'one-way: receive time minus the send timestamp carried in the payload, both on the load generator clock',
      rssPerConn: '(server VmRSS after N logins and settling − VmRSS before) / N',
    },
    scenarios,
    goals,
    ...(scaleOut ? { scaleOut } : {}),
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  process.stdout.write(json);
  if (opts.out) writeFileSync(opts.out, json);
  for (const g of goals) log(`goal ${g.id}: ${g.met === null ? 'not measured' : g.met ? 'MET' : 'MISSED'}`);
}

/** The current tree's commit, with `+dirty` when it has uncommitted changes. */
function headCommit(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return `${git('rev-parse', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+dirty' : ''}`;
}

/** Runs the scale-out benchmark in its own process and returns its JSON report. */
function runScaleOut(quick: boolean): unknown {
  log('bench:signaling: scale-out (bench/signaling/cluster.ts)…');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/signaling/cluster.ts', ...(quick ? ['--quick'] : [])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`scale-out benchmark failed (exit ${r.status})`);
  // Reaping under churn and Sentinel failover (bench/signaling/churn.ts), under `churn`.
  const churn = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/signaling/churn.ts', ...(quick ? ['--quick'] : [])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 },
  );
  if (churn.status !== 0) throw new Error(`churn benchmark failed (exit ${churn.status})`);
  return { ...JSON.parse(r.stdout), churn: JSON.parse(churn.stdout) };
}

main().catch((err: unknown) => {
  log(`bench:signaling failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
