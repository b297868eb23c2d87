/**
 * A Parley server node as a separate process (`node --import tsx packages/server/src/main.ts`),
 * the way it runs in production: configured by environment, port 0, the bound port read back
 * from the JSON `listening` log line. Nodes started here are stopped by `stopAllNodes()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A running node process. */
export interface ParleyNode {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** Graceful stop (SIGTERM: drain, park sessions); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Crash (SIGKILL): nothing is cleaned up by the node itself. */
  kill(): Promise<void>;
  /** GET /healthz as JSON. */
  health(): Promise<Record<string, unknown>>;
}

const running = new Set<ParleyNode>();

/** Starts a node connected to `redisUrl` with test-friendly timings, overridable by `env`. */
export async function startNode(
  id: string,
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<ParleyNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PARLEY_HOST: '127.0.0.1',
      PARLEY_PORT: '0',
      // The built-in STUN server on a free port: several nodes (and other tests) run at once.
      PARLEY_STUN_PORT: '0',
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_REDIS_URL: redisUrl,
      PARLEY_NODE_ID: id,
      PARLEY_NODE_TTL_S: '1',
      PARLEY_GRACE_S: '10',
      PARLEY_DRAIN_MS: '500',
      PARLEY_RATE_PER_S: '100000',
      PARLEY_RATE_BURST: '100000',
      PARLEY_RATE_BYTES_PER_S: '1000000000',
      PARLEY_RATE_BYTES_BURST: '1000000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let buffered = '';
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${id} did not start:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(entry.port as number);
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${id} exited (${code}) before listening:\n${stderr}`));
    });
  });
  const port = await listening;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const node: ParleyNode = {
    id,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    child,
    logs,
    async stop() {
      running.delete(node);
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async kill() {
      running.delete(node);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async health() {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return (await res.json()) as Record<string, unknown>;
    },
  };
  running.add(node);
  return node;
}

/** Kills every node still running (tests stop them gracefully themselves when it matters). */
export async function stopAllNodes(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((n) => n.kill()));
}
