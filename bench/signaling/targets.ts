/**
 * The servers under test and how the one load generator speaks to each. Everything that differs
 * between targets lives here: how the server process is started, the WebSocket URL, the login
 * handshake and the envelope around the (identical) payload. The rest of the harness is shared,
 * so every target gets exactly the same load.
 */
import { fileURLToPath } from 'node:url';
import type { PayloadKind } from './payloads.ts';

/** The repository root, so the harness works from any working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Parley's entry point, relative to ROOT (or absolute: run.ts --parley-entry, to compare a patched copy). */
export const PARLEY_ENTRY = { path: 'packages/server/src/main.ts' };

export const TARGET_NAMES = ['parley', 'raw', 'bare', 'peer'] as const;
/**
 * `parley@<ref>` is Parley as of another commit (bench/signaling/baseline.ts): the same wire
 * protocol and environment as `parley`, started from that commit's tree.
 */
export type TargetName = (typeof TARGET_NAMES)[number] | `parley@${string}`;

/** Folders of the `parley@<ref>` targets of this run, by target name (filled by run.ts). */
export const BASELINE_DIRS = new Map<string, string>();

/**
 * Parley's configuration for the benchmark: per-connection rate limits, the per-IP connection
 * and login caps and the send-buffer cap are raised far above what the load generator does (every client
 * connects from 127.0.0.1), so what is measured is the cost of relaying, not of refusing.
 * Logging is at `warn`: nothing is logged per frame.
 */
export const PARLEY_BENCH_ENV: Readonly<Record<string, string>> = {
  PARLEY_LOG_LEVEL: 'warn',
  PARLEY_RATE_PER_S: '1000000',
  PARLEY_RATE_BURST: '1000000',
  PARLEY_RATE_BYTES_PER_S: '1000000000',
  PARLEY_RATE_BYTES_BURST: '1000000000',
  PARLEY_MAX_CONNS_PER_IP: '1000000',
  // Sockets are counted per address from the first byte, and in total (10,000 by default): the
  // idle scenario alone opens 10,000 from 127.0.0.1.
  PARLEY_MAX_SOCKETS_PER_IP: '1000000',
  PARLEY_MAX_CONNECTIONS: '1000000',
  // The built-in STUN server is not what is measured (and would claim UDP 3478 per server).
  PARLEY_STUN_PORT: 'off',
  // Logins per address are rate limited too (5/s, burst 50): the load generator logs in up to
  // 10,000 clients from 127.0.0.1 in seconds.
  PARLEY_HELLO_RATE_PER_S: '1000000',
  PARLEY_HELLO_BURST: '1000000',
  // The node-wide login gate (300/s after a burst of 600) spreads reconnect storms; the idle
  // scenario measures what a login costs, so the gate must not refuse the load generator's.
  PARLEY_LOGIN_RATE_PER_S: '1000000',
  PARLEY_LOGIN_BURST: '1000000',
  PARLEY_MAX_SEND_BUFFER_BYTES: String(64 * 1024 * 1024),
  // The load generator has closed every socket before the server is stopped: no need to wait.
  PARLEY_DRAIN_MS: '500',
};

/** How a server process is started: arguments after `node`, and extra environment. */
export interface ServerLaunch {
  args: string[];
  env: Record<string, string>;
  /** Working directory (default: ROOT). */
  cwd?: string;
}

export interface TargetSpec {
  name: TargetName;
  description: string;
  /** Node arguments go before the entry file (e.g. `--cpu-prof`). */
  launch(port: number, nodeArgs?: readonly string[]): ServerLaunch;
  /** WebSocket URL a client named `client` connects to. */
  url(port: number, client: string): string;
  /** First frame a client sends after the socket opens, if the protocol has one. */
  hello(client: string): string | undefined;
  /** Judges the first frame the server sends: true when logged in, else a reason. */
  loginResult(frame: string): true | string;
  /**
   * Frame that joins a room, on servers that only relay between parties of a shared room or call
   * (Parley since the hardening of issue 15). Pairs join a room of their own before relaying.
   * Absent where a client reaches any other client by name (bare forwarder, PeerJS).
   */
  joinRoom?(room: string, id: number): string;
  /** Frame text before the payload JSON, for a payload of `kind` sent to `to`. */
  head(to: string, kind: PayloadKind): string;
  /** Frame text after the payload JSON. */
  tail: string;
}

const tsEntry = (file: string, nodeArgs: readonly string[] = [], root = ROOT) => [
  ...nodeArgs,
  '--import',
  'tsx',
  file.startsWith('/') ? file : `${root}${file}`,
];

function firstFrameType(frame: string): string {
  try {
    const v: unknown = JSON.parse(frame);
    if (typeof v === 'object' && v !== null && 'type' in v && typeof v.type === 'string') return v.type;
  } catch {
    // Falls through: reported with the frame text below.
  }
  return '';
}

const loginBy =
  (okType: string) =>
  (frame: string): true | string =>
    firstFrameType(frame) === okType ? true : `unexpected first frame: ${frame.slice(0, 200)}`;

/** Parley and the bare forwarder share the envelope: the client names `to`, the server stamps `from`. */
const signalEnvelope = {
  hello: (client: string) => JSON.stringify({ type: 'hello', versions: ['1'], name: client }),
  loginResult: loginBy('welcome'),
  head: (to: string) => `{"type":"signal","to":${JSON.stringify(to)},"data":`,
  tail: '}',
};

const parleyEnvelope = {
  ...signalEnvelope,
  joinRoom: (room: string, id: number) => JSON.stringify({ type: 'room.join', id, room }),
};

/** Parley's environment on `port` (the same for the current tree and every baseline). */
const parleyEnv = (port: number) => ({
  ...PARLEY_BENCH_ENV,
  PARLEY_HOST: '127.0.0.1',
  PARLEY_PORT: String(port),
});

/** PeerJS message types by payload kind (the server relays OFFER, ANSWER and CANDIDATE alike). */
const PEER_TYPES: Record<PayloadKind, string> = {
  relay: 'OFFER',
  offer: 'OFFER',
  answer: 'ANSWER',
  candidate: 'CANDIDATE',
};

export const TARGETS: Readonly<Record<(typeof TARGET_NAMES)[number], TargetSpec>> = {
  parley: {
    name: 'parley',
    description: 'Parley (packages/server/src/main.ts), limits raised as in PARLEY_BENCH_ENV',
    launch: (port, nodeArgs) => ({
      args: tsEntry(PARLEY_ENTRY.path, nodeArgs),
      env: parleyEnv(port),
    }),
    url: (port) => `ws://127.0.0.1:${port}/ws`,
    ...parleyEnvelope,
  },
  raw: {
    name: 'raw',
    description:
      'raw ws forwarder (bench/signaling/raw-forwarder.ts): reads the name at a fixed offset, splices `from` in, forwards the bytes; never parses a payload',
    launch: (port, nodeArgs) => ({
      args: tsEntry('bench/signaling/raw-forwarder.ts', nodeArgs),
      env: { BENCH_PORT: String(port) },
    }),
    url: (port) => `ws://127.0.0.1:${port}/`,
    ...signalEnvelope,
  },
  bare: {
    name: 'bare',
    description: 'bare ws forwarder (bench/signaling/bare-forwarder.ts): parse, look up, stamp, send',
    launch: (port, nodeArgs) => ({
      args: tsEntry('bench/signaling/bare-forwarder.ts', nodeArgs),
      env: { BENCH_PORT: String(port) },
    }),
    url: (port) => `ws://127.0.0.1:${port}/`,
    ...signalEnvelope,
  },
  peer: {
    name: 'peer',
    description: 'PeerJS server (npm peer 1.0.2, PeerServer API, bench/signaling/peer-server.ts)',
    launch: (port, nodeArgs) => ({
      args: tsEntry('bench/signaling/peer-server.ts', nodeArgs),
      env: { BENCH_PORT: String(port) },
    }),
    url: (port, client) =>
      `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${encodeURIComponent(client)}&token=bench`,
    hello: () => undefined,
    loginResult: loginBy('OPEN'),
    head: (to, kind) => `{"type":"${PEER_TYPES[kind]}","dst":${JSON.stringify(to)},"payload":`,
    tail: '}',
  },
};

export function isTargetName(s: string): s is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(s) || /^parley@[\w./~^-]+$/.test(s);
}

/** The spec of any target, `parley@<ref>` included (its launch needs BASELINE_DIRS filled). */
export function targetSpec(name: TargetName): TargetSpec {
  if (!name.startsWith('parley@')) return TARGETS[name as (typeof TARGET_NAMES)[number]];
  return {
    ...TARGETS.parley,
    name,
    description: `Parley as of ${name.slice('parley@'.length)} (bench/signaling/baseline.ts), same environment as parley`,
    launch: (port, nodeArgs) => {
      const dir = BASELINE_DIRS.get(name);
      if (!dir) throw new Error(`${name}: baseline not materialised`);
      return {
        args: tsEntry('packages/server/src/main.ts', nodeArgs, `${dir}/`),
        env: parleyEnv(port),
        cwd: dir,
      };
    },
  };
}
