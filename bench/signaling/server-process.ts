/**
 * Starts a server under test as a child process, waits until its port accepts connections, and
 * stops it. Each server runs alone in its own process so /proc/<pid> charges it, and only it,
 * with the CPU and memory it uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { sleep } from './measure-window.ts';
import { openFileLimits } from './proc.ts';
import { ROOT, type ServerLaunch } from './targets.ts';

/** A free TCP port on 127.0.0.1, found by letting the kernel pick one. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as net.AddressInfo;
  srv.close();
  await once(srv, 'close');
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Command and arguments that start `node args…` with at least `fds` open files allowed. When the
 * soft limit is lower but the hard limit allows it, a shell raises it and then `exec`s node, so
 * the child's pid is node's own.
 */
export function withFileLimit(args: string[], fds: number): { cmd: string; args: string[] } {
  const { soft, hard } = openFileLimits();
  if (soft >= fds || hard < fds) return { cmd: process.execPath, args };
  return { cmd: '/bin/sh', args: ['-c', `ulimit -n ${fds} && exec "$0" "$@"`, process.execPath, ...args] };
}

/** Keeps the last `max` characters written to a stream, for error reports. */
function tailOf(stream: NodeJS.ReadableStream | null, max = 4000): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-max);
  });
  return () => text;
}

export interface RunningServer {
  pid: number;
  port: number;
  /** The last lines the server wrote to stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a server and resolves once its port accepts TCP connections (bounded by `timeoutMs`). */
export async function startServer(
  launch: ServerLaunch,
  port: number,
  fds: number,
  timeoutMs = 20000,
): Promise<RunningServer> {
  const { cmd, args } = withFileLimit(launch.args, fds);
  const child: ChildProcess = spawn(cmd, args, {
    cwd: launch.cwd ?? ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...launch.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = tailOf(child.stdout);
  const err = tailOf(child.stderr);
  const output = () => `${out()}${err()}`.trim();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  };
  const deadline = performance.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`server exited before listening: ${output().slice(-1500)}`);
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`server did not listen on ${port} within ${timeoutMs} ms: ${output().slice(-1500)}`);
    }
    await sleep(100);
  }
  return { pid: child.pid!, port, output, stop };
}
