/**
 * The load generator, a process of its own so its CPU never counts as the server's. The
 * orchestrator (run.ts) starts it once per run with an IPC channel and sends it one LoadgenJob at
 * a time; each gets one CellResult back. It exits when the channel closes, and writes nothing to
 * stdout.
 */
import { runCallExchange } from './scenarios/call-exchange.ts';
import { runIdle } from './scenarios/idle.ts';
import { runPaced } from './scenarios/paced.ts';
import { runRelay } from './scenarios/relay.ts';
import type { CellResult, LoadgenJob } from './scenarios/spec.ts';
import { targetSpec } from './targets.ts';

async function run(job: LoadgenJob): Promise<CellResult> {
  const target = targetSpec(job.target);
  const s = job.scenario;
  switch (s.kind) {
    case 'relay':
      return runRelay(target, job.port, job.serverPid, s, job.timing);
    case 'paced':
      return runPaced(target, job.port, job.serverPid, s, job.timing);
    case 'call':
      return runCallExchange(target, job.port, job.serverPid, s, job.timing);
    case 'idle':
      return runIdle(target, job.port, job.serverPid, s, job.timing);
  }
}

if (!process.send) {
  process.stderr.write('loadgen.ts is started by bench/signaling/run.ts (it needs an IPC channel)\n');
  process.exit(2);
}

process.on('disconnect', () => process.exit(0));
process.on('message', (job: LoadgenJob) => {
  run(job)
    .catch(
      (err: unknown): CellResult => ({
        scenario: job.scenario.id,
        target: job.target,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
        figures: {},
        detail: {},
      }),
    )
    .then((result) => process.send!(result));
});
