/**
 * A lossy network for data-channel tests and benchmarks: a network namespace whose outgoing UDP
 * packets are dropped at random with nftables (`numgen random mod 100 < P drop`), the packet
 * loss `tc qdisc … netem loss P%` would give, done without netem because this machine's kernel
 * has no sch_netem ("Specified qdisc kind is unknown"). Delay and jitter are not emulated. TCP
 * (the signaling WebSocket) is never dropped. The Parley server and Chromium both run inside the
 * namespace (the server as `ip netns exec … node main.ts`, Chromium through a wrapper executable),
 * so the peers' traffic never leaves it; a veth pair inside gives Chromium a non-loopback address
 * to gather (it ignores `lo`). Needs root, `ip` and `nft`: `lossyNetSkipReason()` says why not.
 * Imports Node, playwright-core and the test helpers only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { bundlePages, CHROMIUM_PATH, launchChromium, removeDir } from '../../helpers/browser.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
/** The server's port inside the namespace (its own port space, so a fixed one is safe). */
const PORT = 8080;
/** The address Chromium gathers as its host candidate (on a veth end inside the namespace). */
const PEER_ADDRESS = '10.203.0.1/24';

const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });

/** Why a lossy network cannot be built here, or null when it can. */
export function lossyNetSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and nftables)';
  for (const [cmd, args] of [
    ['ip', ['netns', 'list']],
    ['nft', ['--version']],
  ] as const) {
    try {
      run(cmd, ...args);
    } catch {
      return `needs \`${cmd}\` (${cmd === 'nft' ? 'nftables' : 'iproute2'})`;
    }
  }
  return null;
}

export interface LossyNet {
  /** The namespace's name (unique per process and call). */
  readonly ns: string;
  /** Drops `percent` % of outgoing UDP packets from now on (0 removes the loss). */
  setLoss(percent: number): void;
  /** UDP packets sent and dropped since the last `setLoss`. */
  udpCounts(): { sent: number; dropped: number };
  /** Starts the Parley server inside the namespace, serving `pages` (name → source file). */
  startSite(pages: Record<string, string>, env?: Record<string, string>): Promise<LossySite>;
  /** Starts the Parley server inside the namespace, serving the folder `webDir` as it is. */
  startServer(webDir: string, env?: Record<string, string>): Promise<LossySite>;
  /** Headless Chromium inside the namespace. */
  launchChromium(): Promise<Browser>;
  /** Stops what was started here and deletes the namespace. Safe to call twice. */
  close(): Promise<void>;
}

export interface LossySite {
  /** `http://127.0.0.1:8080/<name>.html`, as Chromium inside the namespace reaches it. */
  page(name: string): string;
  readonly wsUrl: string;
}

/** Builds the namespace (lo and a veth pair up, an empty nftables chain on output). */
export function createLossyNet(): LossyNet {
  const ns = `plossy${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  const inNs = (cmd: string, ...args: string[]) => run('ip', 'netns', 'exec', ns, cmd, ...args);
  const dirs: string[] = [];
  let server: ChildProcess | undefined;
  let closed = false;

  run('ip', 'netns', 'add', ns);
  try {
    run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    run('ip', '-n', ns, 'link', 'add', 'lv0', 'type', 'veth', 'peer', 'name', 'lv1');
    run('ip', '-n', ns, 'addr', 'add', PEER_ADDRESS, 'dev', 'lv0');
    run('ip', '-n', ns, 'link', 'set', 'lv0', 'up');
    run('ip', '-n', ns, 'link', 'set', 'lv1', 'up');
    inNs('nft', 'add', 'table', 'inet', 'lossy');
    inNs('nft', 'add', 'chain', 'inet', 'lossy', 'in', '{ type filter hook input priority 0; }');
  } catch (err) {
    run('ip', 'netns', 'delete', ns);
    throw err;
  }

  return {
    ns,
    setLoss(percent) {
      if (!(percent >= 0 && percent <= 100)) throw new RangeError(`loss ${percent}%`);
      inNs('nft', 'flush', 'chain', 'inet', 'lossy', 'in');
      // Counted before the drop, so `udpCounts()` gives the loss actually applied.
      inNs('nft', 'add', 'rule', 'inet', 'lossy', 'in', 'meta', 'l4proto', 'udp', 'counter');
      if (percent > 0) {
        const rule = `meta l4proto udp numgen random mod 100 < ${Math.round(percent)} counter drop`;
        inNs('nft', 'add', 'rule', 'inet', 'lossy', 'in', ...rule.split(' '));
      }
    },
    udpCounts() {
      const text = inNs('nft', 'list', 'chain', 'inet', 'lossy', 'in').toString();
      const counts = [...text.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
      return { sent: counts[0] ?? 0, dropped: counts[1] ?? 0 };
    },
    async startSite(pages, env = {}) {
      const dir = await bundlePages(pages);
      dirs.push(dir);
      return this.startServer(dir, env);
    },
    async startServer(dir, env = {}) {
      if (server) throw new Error('one server per lossy net');
      server = spawn(
        'ip',
        ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'packages/server/src/main.ts'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            PARLEY_HOST: '127.0.0.1',
            PARLEY_PORT: String(PORT),
            PARLEY_STUN_PORT: 'off',
            PARLEY_WEB_DIR: dir,
            PARLEY_LOG_LEVEL: 'info',
            ...env,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const child = server;
      let out = '';
      child.stdout!.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`server never listened: ${out.slice(-500)}`)),
          30_000,
        );
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`server exited ${code}: ${out.slice(-500)}`));
        });
        child.stdout!.on('data', (chunk: string) => {
          if (out.length < 100_000) out += chunk;
          if (out.includes('"msg":"listening"')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.stdout!.resume();
      const base = `http://127.0.0.1:${PORT}`;
      return { page: (name) => `${base}/${name}.html`, wsUrl: `ws://127.0.0.1:${PORT}/ws` };
    },
    async launchChromium() {
      const dir = mkdtempSync(join(tmpdir(), 'parley-lossy-'));
      dirs.push(dir);
      const wrapper = join(dir, 'chromium');
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM_PATH} "$@"\n`);
      chmodSync(wrapper, 0o755);
      return launchChromium([], { executablePath: wrapper });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server!.once('exit', r));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server!.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      for (const dir of dirs) removeDir(dir);
      try {
        run('ip', 'netns', 'delete', ns); // takes the veth pair and the nftables table with it
      } catch {
        // Already gone.
      }
    },
  };
}
