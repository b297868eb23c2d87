/**
 * Runs `parley` as a real child process (node packages/cli/bin/parley.mjs) with `--json`, and
 * reads its JSON lines. Every process started here is killed by `killAll()` (call it in afterEach).
 * `useCliFixture` sets up what the CLI test files share: a server, a temporary folder, `killAll`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer, stopAllServers } from '../../helpers/server.ts';

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/parley.mjs', import.meta.url));

export type JsonEvent = Record<string, unknown> & { type: string };

export interface ParleyProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Parsed stdout JSON lines so far. */
  readonly events: JsonEvent[];
  stderr(): string;
  /** Resolves with the first event (past or future) matching `pred`. */
  waitFor(pred: (e: JsonEvent) => boolean, timeoutMs: number, what?: string): Promise<JsonEvent>;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Peak resident memory so far, in KiB (VmHWM from /proc/<pid>/status), or null once gone. */
  peakRssKiB(): number | null;
}

const running = new Set<ChildProcess>();

export function startParley(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {},
): ParleyProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  running.add(child);
  const events: JsonEvent[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) {
        try {
          events.push(JSON.parse(line) as JsonEvent);
        } catch {
          events.push({ type: 'unparsed', line });
        }
      }
      nl = pending.indexOf('\n');
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 100_000) err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      for (const w of waiters) w();
      resolve(code ?? signal ?? -1);
    });
  });
  let exitedNow = false;
  void exited.then(() => {
    exitedNow = true;
  });
  return {
    child,
    pid: child.pid!,
    events,
    stderr: () => err,
    exited,
    waitFor(pred, timeoutMs, what = 'event') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(pred);
          if (found) {
            done();
            resolve(found);
          } else if (exitedNow) {
            done();
            reject(
              new Error(`parley exited before ${what}; events: ${JSON.stringify(events)}; stderr: ${err}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events)}; stderr: ${err}`),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    peakRssKiB() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
        return m ? Number(m[1]) : null;
      } catch {
        return null;
      }
    },
  };
}

/** Kills every process still running (SIGKILL: tests must not leave peers behind). */
export async function killAll(): Promise<void> {
  const all = [...running];
  await Promise.all(
    all.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** What a CLI test file shares; there once its `before` ran. */
export interface CliFixture {
  /** The real Parley server's http(s) URL (what `parley --server` takes). */
  readonly serverUrl: string;
  /** A temporary folder for the file's inputs and outputs, removed in `after`. */
  readonly dir: string;
}

/**
 * Registers the hooks of a CLI test file: a real server and a temporary folder
 * (`parley-cli-<label>-…`) for the whole file, and every `parley` process killed after each test.
 */
export function useCliFixture(label: string): CliFixture {
  let serverUrl = '';
  let dir = '';
  before(async () => {
    serverUrl = (await startServer()).url;
    dir = await mkdtemp(join(tmpdir(), `parley-cli-${label}-`));
  });
  afterEach(killAll);
  after(async () => {
    await stopAllServers();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get serverUrl() {
      return serverUrl;
    },
    get dir() {
      return dir;
    },
  };
}
