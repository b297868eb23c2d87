/**
 * A Redis Sentinel deployment for tests, owned by the test process: a primary, a replica and
 * three sentinels (Debian's `redis-server` binary in `--sentinel` mode), all on free 127.0.0.1
 * ports, persistence off, with short timings so a failover takes a few seconds:
 * `down-after-milliseconds` 1000, `failover-timeout` 4000. Nothing is daemonized; `stop()` kills
 * every process and removes the temp dir (sentinels rewrite their config file there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis.ts';
import { until } from './wait.ts';

/** The master name the sentinels monitor. */
export const MASTER_NAME = 'parley';

/** A running Sentinel deployment. */
export interface TestSentinel {
  /** `redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/parley`. */
  readonly url: string;
  /** The port of the current primary, as the sentinels say. */
  primaryPort(): Promise<number>;
  /** Kills the current primary with SIGKILL; resolves with its port. */
  killPrimary(): Promise<number>;
  /** Stops everything and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `redis-server args…` and waits for `ready` in its output. */
async function launch(args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server ${args[0]} did not start:\n${out}`)),
      10_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/** Starts a primary, a replica (synced) and three sentinels monitoring them. */
export async function startSentinel(): Promise<TestSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sentinel-'));
  // The replica's initial sync goes through an RDB file: keep it in the temp dir.
  const DATA = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const servers = new Map<number, ChildProcess>();
  const sentinels: ChildProcess[] = [];
  const stop = async () => {
    const all = [...servers.values(), ...sentinels];
    servers.clear();
    sentinels.length = 0;
    await Promise.all(
      all.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const p1 = await freePort();
    servers.set(p1, await launch(['--port', String(p1), ...DATA], /Ready to accept connections/));
    const p2 = await freePort();
    servers.set(
      p2,
      await launch(
        ['--port', String(p2), ...DATA, '--replicaof', '127.0.0.1', String(p1)],
        /Ready to accept connections/,
      ),
    );
    const replica = new Redis(p2, '127.0.0.1', { lazyConnect: true });
    await replica.connect();
    await until(async () => /master_link_status:up/.test(await replica.info('replication')), {
      what: 'replica in sync',
      timeoutMs: 10_000,
    });
    replica.disconnect();
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${p1} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 4000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(await launch([conf, '--sentinel'], /\+monitor master/));
      ports.push(port);
    }
    const ask = async (): Promise<number> => {
      for (const port of ports) {
        const s = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await s.connect();
          const r = (await s.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
          return Number(r[1]);
        } catch {
          // try the next sentinel
        } finally {
          s.disconnect();
        }
      }
      throw new Error('no sentinel answers');
    };
    // Every sentinel knows the replica and the other sentinels before a test kills anything.
    await until(
      async () => {
        for (const port of ports) {
          const s = new Redis(port, '127.0.0.1', { lazyConnect: true });
          try {
            await s.connect();
            const m = (await s.call('SENTINEL', 'master', MASTER_NAME)) as string[];
            const field = (k: string) => Number(m[m.indexOf(k) + 1]);
            if (field('num-slaves') < 1 || field('num-other-sentinels') < 2) return false;
          } finally {
            s.disconnect();
          }
        }
        return true;
      },
      { what: 'sentinels know the replica and each other', timeoutMs: 15_000 },
    );
    return {
      url: `redis+sentinel://${ports.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER_NAME}`,
      primaryPort: ask,
      async killPrimary() {
        const port = await ask();
        const c = servers.get(port);
        if (!c) throw new Error(`primary ${port} is not one of ours`);
        servers.delete(port);
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
        return port;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
