/**
 * A real Janus (Debian `janus` 1.1) for tests, owned by the test process: its own configuration
 * folder from `writeJanusConfig` (VideoRoom + WebSockets on 127.0.0.1 only, API secret, admin
 * key), a free WebSocket port and a free run of RTP ports, ICE pinned to the machine's own
 * non-loopback address (Chromium ignores loopback candidates). Ready once its WebSocket API
 * answers `info`. See /work/shared/TESTING-WEBRTC.md, "Janus".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type JanusConfigOptions, writeJanusConfig } from '../../packages/server/src/sfu/janus-config.ts';
import { lanIPv4Addresses } from '../../packages/server/src/tls/self-signed.ts';
import { freePort } from './redis.ts';
import { freeUdpRange } from './udp-ports.ts';

export const JANUS_PATH = process.env.PARLEY_JANUS ?? '/usr/bin/janus';

/** A running Janus child process. */
export interface TestJanus {
  /** `ws://127.0.0.1:<port>` (subprotocol `janus-protocol`). */
  readonly wsUrl: string;
  /** Janus's process id (the process this helper spawned); undefined while stopped. */
  readonly pid: number | undefined;
  /** The `apisecret` every request must carry. */
  readonly apiSecret: string;
  /** The VideoRoom `admin_key` needed to create rooms. */
  readonly adminKey: string;
  /** The address ICE is pinned to (undefined on a machine with only loopback: then no browser test). */
  readonly iceAddress: string | undefined;
  /** Janus's output so far (for failure messages). */
  log(): string;
  /** Kills Janus (SIGKILL: an outage, not a shutdown); `restart()` brings it back on the same port. */
  stop(): Promise<void>;
  /** Starts Janus again with the same configuration and port; resolves when it answers `info`. */
  restart(): Promise<void>;
  /** Stops Janus (SIGTERM, SIGKILL after 2 s) and removes its folder. Idempotent. */
  close(): Promise<void>;
}

/** The server settings that point Parley at `janus` (add others with a spread). */
export function janusEnv(janus: TestJanus): Record<string, string> {
  return {
    PARLEY_JANUS_URL: janus.wsUrl,
    PARLEY_JANUS_API_SECRET: janus.apiSecret,
    PARLEY_JANUS_ADMIN_KEY: janus.adminKey,
  };
}

export interface StartJanusOptions {
  /** RTP/ICE ports to reserve. Default 60 (each PeerConnection takes one or two). */
  rtpPorts?: number;
  /** How long to wait for `info`. Default 20 s (a loaded machine starts it slowly). */
  readyTimeoutMs?: number;
  /**
   * The `api_secret` and VideoRoom `admin_key` to configure (default: random). Several instances
   * behind one Parley server share them (`PARLEY_JANUS_API_SECRET`, `PARLEY_JANUS_ADMIN_KEY`).
   */
  apiSecret?: string;
  adminKey?: string;
  /** Janus's log level, 0–7 (default 3: warnings; 5 shows ICE and TURN REST details). */
  debugLevel?: number;
  /** `nat` settings passed to the generated config as they are (none by default). */
  nat1To1?: JanusConfigOptions['nat1To1'];
  keepPrivateHost?: JanusConfigOptions['keepPrivateHost'];
  stun?: JanusConfigOptions['stun'];
  turnRestApi?: JanusConfigOptions['turnRestApi'];
}

/** Starts Janus and resolves when its WebSocket API answers `info`. */
export async function startJanus(options: StartJanusOptions = {}): Promise<TestJanus> {
  // Chromium ignores loopback candidates, so media needs a real interface; signaling tests do not.
  const iceAddress = lanIPv4Addresses()[0];
  const dir = mkdtempSync(join(tmpdir(), 'parley-janus-'));
  const wsPort = await freePort();
  const rtpPorts = await freeUdpRange(options.rtpPorts ?? 60);
  const apiSecret = options.apiSecret ?? randomBytes(18).toString('base64url');
  const adminKey = options.adminKey ?? randomBytes(18).toString('base64url');
  const args = writeJanusConfig({
    dir,
    wsPort,
    rtpPorts,
    iceEnforce: iceAddress ? [iceAddress] : [],
    apiSecret,
    adminKey,
    debugLevel: options.debugLevel ?? 3,
    ...(options.nat1To1 ? { nat1To1: options.nat1To1 } : {}),
    ...(options.keepPrivateHost ? { keepPrivateHost: true } : {}),
    ...(options.stun ? { stun: options.stun } : {}),
    ...(options.turnRestApi ? { turnRestApi: options.turnRestApi } : {}),
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const wsUrl = `ws://127.0.0.1:${wsPort}`;
  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const c = spawn(JANUS_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let gone = false;
    exited = new Promise<void>((resolve) =>
      c.once('exit', () => {
        gone = true;
        if (child === c) child = undefined;
        resolve();
      }),
    );
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-100_000);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (gone) throw new Error(`janus exited before it was ready:\n${output.slice(-3000)}`);
      if (await answersInfo(wsUrl, apiSecret)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        await exited;
        throw new Error(`janus not ready after ${readyTimeoutMs} ms:\n${output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const kill = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    wsUrl,
    get pid() {
      return child?.pid;
    },
    apiSecret,
    adminKey,
    iceAddress,
    log: () => output,
    stop: () => kill('SIGKILL'),
    restart: async () => {
      await kill('SIGKILL');
      await launch();
    },
    close: () => {
      closed ??= (async () => {
        await kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/** True when a Janus WebSocket at `url` answers `info` within a second. */
function answersInfo(url: string, apiSecret: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'janus-protocol');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    ws.on('open', () =>
      ws.send(JSON.stringify({ janus: 'info', transaction: 'ready', apisecret: apiSecret })),
    );
    ws.on('message', (data) => {
      try {
        done((JSON.parse(String(data)) as { janus?: string }).janus === 'server_info');
      } catch {
        done(false);
      }
    });
    ws.on('error', () => done(false));
  });
}
