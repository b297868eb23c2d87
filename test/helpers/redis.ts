/**
 * A real `redis-server` for tests, owned by the test process: started on a free 127.0.0.1 port
 * with persistence off, stopped (and restartable on the same port) by the test. Nothing is
 * daemonized, so a crashed test run leaves no server behind once its process exits.
 *
 * Optionally with a password (`--requirepass`) and TLS only (`--port 0 --tls-port`), with a
 * certificate for 127.0.0.1 signed by a private CA made with openssl in a temp dir.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to start a test Redis. */
export interface TestRedisOptions {
  /** Require this password (`--requirepass`); the URL carries it. */
  password?: string;
  /** Serve TLS only (no plaintext port), with a certificate from a private CA (`TestCa`). */
  tls?: boolean;
}

/** A private certificate authority and a server certificate for 127.0.0.1, as PEM files. */
export interface TestCa {
  readonly dir: string;
  /** The CA certificate (what a client must trust). */
  readonly caFile: string;
  /** Server certificate (SAN IP:127.0.0.1, DNS:localhost) and key, signed by the CA. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Removes the temp dir. */
  remove(): void;
}

/** Makes a CA and a 127.0.0.1 server certificate with openssl in a fresh temp dir. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=Parley test CA',
    ]),
  );
  run(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ]),
  );
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ]),
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A redis-server child process. */
export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, or `rediss://:<password>@127.0.0.1:<port>` with TLS and a password. */
  readonly url: string;
  /** With `tls`: the CA that signed the server certificate (PEM file). */
  readonly caFile: string | undefined;
  /** The redis-server process id (undefined while stopped), e.g. to read its CPU time. */
  readonly pid: number | undefined;
  /** Stops the server (SIGKILL: an outage, not a graceful shutdown). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (persistence is off). */
  restart(): Promise<void>;
}

const running = new Set<TestRedis>();

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function launch(
  port: number,
  options: TestRedisOptions,
  ca: TestCa | undefined,
): Promise<ChildProcess> {
  const listen = ca
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        ca.certFile,
        '--tls-key-file',
        ca.keyFile,
      ].concat(['--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', 'no'])
    : ['--port', String(port)];
  const auth = options.password !== undefined ? ['--requirepass', options.password] : [];
  const child = spawn(
    'redis-server',
    [...listen, ...auth, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${out}`));
    });
  });
  await ready;
  // Keep draining its output so the pipe never fills.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/**
 * Starts a redis-server on a free port (with a password and/or TLS when asked). Stop it with
 * `stop()` or `stopAllRedis()`. A CA's temp dir stays while the process lives (a stopped server
 * may be restarted) and is removed when it exits.
 */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const ca = options.tls ? makeTestCa() : undefined;
  let port = 0;
  let child: ChildProcess | undefined;
  // A port picked as free can be taken before redis binds it: retry a few times.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(port, options, ca).catch(() => undefined);
  }
  if (ca) process.once('exit', () => ca.remove());
  if (!child) throw new Error('could not start redis-server');
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGKILL');
    await exited;
  };
  const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
  const redis: TestRedis = {
    port,
    url: `${ca ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    caFile: ca?.caFile,
    get pid() {
      return child?.pid;
    },
    stop,
    async restart() {
      await stop();
      child = await launch(port, options, ca);
    },
  };
  running.add(redis);
  return redis;
}

/** Stops every redis-server started by `startRedis`. */
export async function stopAllRedis(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((r) => r.stop()));
}
