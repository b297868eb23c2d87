/**
 * A real coturn (Debian's `turnserver`) for tests, on 127.0.0.1 with free ports, plus a tiny
 * STUN/TURN client so Node tests can check it without a browser.
 *
 * coturn runs with the TURN REST API secret (`--use-auth-secret --static-auth-secret`), the same
 * scheme the Parley server mints credentials for, and with `--allow-loopback-peers` because both
 * test peers live on this machine (production configs must never allow that: see
 * deploy/turnserver.conf). See /work/shared/TESTING-WEBRTC.md, "coturn".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, isIPv6, type Socket as TcpSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { bindUdp, freeUdpRange } from './udp-ports.ts';

export const TURNSERVER_PATH = process.env.PARLEY_TURNSERVER ?? '/usr/bin/turnserver';

export interface CoturnOptions {
  /** Shared TURN REST secret; a random one when omitted. */
  secret?: string;
  /** TURN realm (part of the long-term credential key). Default `parley`. */
  realm?: string;
  /** How many relay ports to reserve (each allocation takes one). Default 32. */
  relayPorts?: number;
  /** Allow relaying to 127.0.0.0/8 peers. Default true (tests only; both peers are local). */
  allowLoopbackPeers?: boolean;
  /** How long to wait for coturn to answer a STUN binding request. Default 10 s. */
  readyTimeoutMs?: number;
  /** More flags for the built-in command line, e.g. `['--user-quota=4', '--total-quota=20']`. */
  extraArgs?: readonly string[];
  /**
   * Run coturn with `-c <file>` holding this text instead of the built-in test flags (to check
   * a real configuration such as deploy/turnserver.conf). It gets the free ports and the temp
   * dir; it must listen on 127.0.0.1 at `port` (the readiness check sends STUN there).
   */
  config?: (ctx: CoturnConfigContext) => string;
}

/** What a `config` function gets to fill in. */
export interface CoturnConfigContext {
  readonly port: number;
  /** A free TCP port for `tls-listening-port`. */
  readonly tlsPort: number;
  readonly relayRange: { readonly min: number; readonly max: number };
  readonly secret: string;
  readonly realm: string;
  /** A private temp dir (removed on close) for pid file, log, database. */
  readonly dir: string;
}

export interface CoturnHandle {
  /** Listening port for UDP and TCP (same number). */
  readonly port: number;
  /** The port handed to a `config` function for TLS (unused by the built-in flags). */
  readonly tlsPort: number;
  /** Browser-ready TURN URLs. */
  readonly urls: { readonly udp: string; readonly tcp: string };
  readonly secret: string;
  readonly realm: string;
  /** Relay port range handed to coturn (inclusive). */
  readonly relayRange: { readonly min: number; readonly max: number };
  /** coturn's PID (the process this helper spawned). */
  readonly pid: number;
  /** coturn's log so far (for failure messages). */
  log(): string;
  /** Stops coturn (SIGTERM to its own PID, SIGKILL after 2 s) and removes its temp dir. */
  close(): Promise<void>;
}

/** Starts coturn on 127.0.0.1 and resolves once it answers a STUN binding request over UDP. */
export async function startCoturn(options: CoturnOptions = {}): Promise<CoturnHandle> {
  const secret = options.secret ?? randomBytes(24).toString('base64url');
  const realm = options.realm ?? 'parley';
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  // A clash with a port another test grabbed in between is possible: try a few fresh picks.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(secret, realm, options, readyTimeoutMs);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(
  secret: string,
  realm: string,
  options: CoturnOptions,
  readyTimeoutMs: number,
): Promise<CoturnHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-coturn-'));
  const logFile = join(dir, 'turn.log');
  const port = await freeUdpTcpPort();
  const tlsPort = await freeUdpTcpPort();
  const relayRange = await freeUdpRange(options.relayPorts ?? 32, '127.0.0.1');
  let args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${relayRange.min}`,
    `--max-port=${relayRange.max}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--fingerprint',
    '--no-software-attribute',
    '--no-rfc5780',
    `--pidfile=${join(dir, 'turn.pid')}`,
    `--log-file=${logFile}`,
    '--simple-log',
  ];
  if (options.allowLoopbackPeers ?? true) args.push('--allow-loopback-peers');
  args.push(...(options.extraArgs ?? []));
  if (options.config) {
    const confFile = join(dir, 'turnserver.conf');
    writeFileSync(confFile, options.config({ port, tlsPort, relayRange, secret, realm, dir }), {
      mode: 0o600,
    });
    args = ['-c', confFile];
  }

  const child: ChildProcess = spawn(TURNSERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (output.length < 200_000) output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (output.length < 200_000) output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const log = () => {
    let text = output;
    try {
      text += readFileSync(logFile, 'utf8');
    } catch {
      // No log file yet: coturn has not opened it.
    }
    return text;
  };
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      if (!hasExited && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!hasExited) child.kill('SIGKILL');
        }, 2000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return closed;
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited) {
      const text = log();
      await close();
      throw new Error(`turnserver exited before it was ready:\n${text.slice(-2000)}`);
    }
    const answer = await stunBinding({ host: '127.0.0.1', port, timeoutMs: 150 }).catch(() => null);
    if (answer) break;
    if (Date.now() > deadline) {
      const text = log();
      await close();
      throw new Error(`turnserver not ready after ${readyTimeoutMs} ms:\n${text.slice(-2000)}`);
    }
  }
  return {
    port,
    tlsPort,
    urls: {
      udp: `turn:127.0.0.1:${port}?transport=udp`,
      tcp: `turn:127.0.0.1:${port}?transport=tcp`,
    },
    secret,
    realm,
    relayRange,
    pid: child.pid!,
    log,
    close,
  };
}

// ---------------------------------------------------------------------------------------------
// Free ports

function listenTcp(port: number): Promise<{ port: number; close: () => Promise<void> } | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      resolve({ port: bound, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

/** A port free for both TCP and UDP on 127.0.0.1 (coturn listens on both). */
async function freeUdpTcpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const tcp = await listenTcp(0);
    if (!tcp) continue;
    const udp = await bindUdp(tcp.port, '127.0.0.1');
    await tcp.close();
    if (udp) {
      udp.close();
      return tcp.port;
    }
  }
  throw new Error('no free TCP+UDP port on 127.0.0.1');
}

// ---------------------------------------------------------------------------------------------
// A minimal STUN/TURN client (RFC 5389 / RFC 5766), enough to prove what coturn accepts.

const MAGIC_COOKIE = 0x2112a442;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  LIFETIME: 0x000d,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_PEER_ADDRESS: 0x0012,
  REQUESTED_ADDRESS_FAMILY: 0x0017,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
  XOR_MAPPED_ADDRESS: 0x0020,
} as const;
const METHOD = { BINDING: 0x0001, ALLOCATE: 0x0003, REFRESH: 0x0004, CREATE_PERMISSION: 0x0008 } as const;

interface StunAttr {
  type: number;
  value: Buffer;
}

interface StunMessage {
  /** Message type: method plus class bits (0x0101 binding success, 0x0113 allocate error…). */
  type: number;
  txId: Buffer;
  attrs: StunAttr[];
}

function encodeStun(type: number, txId: Buffer, attrs: StunAttr[], integrityKey?: Buffer): Buffer {
  const body: Buffer[] = [];
  for (const a of attrs) {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(a.type, 0);
    head.writeUInt16BE(a.value.length, 2);
    body.push(head, a.value, Buffer.alloc((4 - (a.value.length % 4)) % 4));
  }
  let attrBytes = Buffer.concat(body);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  txId.copy(header, 8);
  if (integrityKey) {
    // RFC 5389 §15.4: the HMAC covers the message up to the attribute, with the header's length
    // already counting the 24-byte MESSAGE-INTEGRITY attribute.
    header.writeUInt16BE(attrBytes.length + 24, 2);
    const mac = createHmac('sha1', integrityKey)
      .update(Buffer.concat([header, attrBytes]))
      .digest();
    const head = Buffer.alloc(4);
    head.writeUInt16BE(ATTR.MESSAGE_INTEGRITY, 0);
    head.writeUInt16BE(20, 2);
    attrBytes = Buffer.concat([attrBytes, head, mac]);
  }
  header.writeUInt16BE(attrBytes.length, 2);
  return Buffer.concat([header, attrBytes]);
}

function decodeStun(buf: Buffer): StunMessage | null {
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC_COOKIE) return null;
  const length = buf.readUInt16BE(2);
  if (buf.length < 20 + length) return null;
  const attrs: StunAttr[] = [];
  let at = 20;
  while (at + 4 <= 20 + length) {
    const type = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 2);
    attrs.push({ type, value: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: buf.readUInt16BE(0), txId: buf.subarray(8, 20), attrs };
}

function attr(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attrs.find((a) => a.type === type)?.value;
}

function errorCode(msg: StunMessage): number | undefined {
  const v = attr(msg, ATTR.ERROR_CODE);
  if (!v || v.length < 4) return undefined;
  return (v[2]! & 0x7) * 100 + v[3]!;
}

/** XOR-MAPPED/RELAYED/PEER-ADDRESS mask (RFC 5389 §15.2): the cookie, then the transaction id. */
function xorMask(txId: Buffer): Buffer {
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  txId.copy(mask, 4);
  return mask;
}

function xorAddress(v: Buffer | undefined, txId: Buffer): { address: string; port: number } | undefined {
  if (!v || v.length < 8) return undefined;
  const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const mask = xorMask(txId);
  if (v[1] === 0x01) {
    const b = v.subarray(4, 8).map((byte, i) => byte ^ mask[i]!);
    return { address: [...b].join('.'), port };
  }
  if (v[1] === 0x02 && v.length >= 20) {
    const b = Buffer.from(v.subarray(4, 20).map((byte, i) => byte ^ mask[i]!));
    const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
    return { address: new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1), port };
  }
  return undefined;
}

/** The 16 bytes of an IPv6 address (with an optional dotted IPv4 tail). */
function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

function xorPeerAddress(ip: string, port: number, txId: Buffer): StunAttr {
  const six = isIPv6(ip);
  const raw = six ? ipv6Bytes(ip) : Buffer.from(ip.split('.').map(Number));
  const mask = xorMask(txId);
  const v = Buffer.alloc(4 + raw.length);
  v[1] = six ? 0x02 : 0x01;
  v.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  raw.forEach((byte, i) => {
    v[4 + i] = byte ^ mask[i]!;
  });
  return { type: ATTR.XOR_PEER_ADDRESS, value: v };
}

/** How a STUN client reaches the server; `tls` trusts only `ca` when given (else any certificate). */
export type StunTransport = 'udp' | 'tcp' | { tls: { ca?: Buffer | string; servername?: string } };

/** One STUN connection (UDP, TCP or TLS) that sends requests and waits for the matching response. */
interface StunChannel {
  request(msg: Buffer, txId: Buffer, timeoutMs: number): Promise<StunMessage>;
  close(): void;
}

async function openChannel(host: string, port: number, transport: StunTransport): Promise<StunChannel> {
  const waiting = new Map<string, (m: StunMessage) => void>();
  const deliver = (m: StunMessage) => waiting.get(m.txId.toString('hex'))?.(m);
  if (transport === 'udp') {
    const socket = createSocket('udp4');
    socket.on('message', (b) => {
      const m = decodeStun(b);
      if (m) deliver(m);
    });
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return {
      request: (msg, txId, timeoutMs) =>
        new Promise((resolve, reject) => {
          const key = txId.toString('hex');
          // UDP may drop the datagram: retransmit (RFC 5389 §7.2.1, simplified to a fixed pace).
          const resend = setInterval(() => socket.send(msg, port, host), 50);
          const timer = setTimeout(() => {
            clearInterval(resend);
            waiting.delete(key);
            reject(new Error('STUN request timed out'));
          }, timeoutMs);
          waiting.set(key, (m) => {
            clearInterval(resend);
            clearTimeout(timer);
            waiting.delete(key);
            resolve(m);
          });
          socket.send(msg, port, host);
        }),
      close: () => socket.close(),
    };
  }
  const socket: TcpSocket = await new Promise((resolve, reject) => {
    if (transport === 'tcp') {
      const s = connect(port, host, () => resolve(s));
      s.once('error', reject);
      return;
    }
    const { ca, servername } = transport.tls;
    const s = tlsConnect(
      {
        host,
        port,
        ...(ca ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: false }),
        ...(servername ? { servername } : {}),
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  socket.on('error', () => {});
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    // RFC 5389 §7.2.2: over TCP, messages follow each other; the header gives each length.
    while (pending.length >= 20) {
      const total = 20 + pending.readUInt16BE(2);
      if (pending.length < total) break;
      const m = decodeStun(pending.subarray(0, total));
      pending = pending.subarray(total);
      if (m) deliver(m);
    }
  });
  return {
    request: (msg, txId, timeoutMs) =>
      new Promise((resolve, reject) => {
        const key = txId.toString('hex');
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new Error('STUN request timed out'));
        }, timeoutMs);
        waiting.set(key, (m) => {
          clearTimeout(timer);
          waiting.delete(key);
          resolve(m);
        });
        socket.write(msg);
      }),
    close: () => socket.destroy(),
  };
}

/** Sends a STUN Binding request; resolves to the reflexive address the server saw. */
export async function stunBinding({
  host,
  port,
  transport = 'udp',
  timeoutMs = 2000,
}: {
  host: string;
  port: number;
  transport?: StunTransport;
  timeoutMs?: number;
}): Promise<{ address: string; port: number }> {
  const channel = await openChannel(host, port, transport);
  try {
    const txId = randomBytes(12);
    const reply = await channel.request(encodeStun(METHOD.BINDING, txId, []), txId, timeoutMs);
    const mapped = reply.type === 0x0101 ? xorAddress(attr(reply, ATTR.XOR_MAPPED_ADDRESS), txId) : undefined;
    if (!mapped) throw new Error(`unexpected STUN reply type 0x${reply.type.toString(16)}`);
    return mapped;
  } finally {
    channel.close();
  }
}

export type AllocateResult =
  | {
      ok: true;
      relayed: { address: string; port: number };
      /** For each peer asked for: 'ok', or the CreatePermission error code (403: denied). */
      permissions: Record<string, 'ok' | number | undefined>;
    }
  | { ok: false; code: number | undefined };

/** What an Allocate needs: where coturn is, how to reach it, and the REST credentials. */
export interface AllocateOptions {
  host: string;
  port: number;
  transport?: StunTransport;
  username: string;
  password: string;
  /** Relay address family to request. Default 4. */
  family?: 4 | 6;
  timeoutMs?: number;
}

/** A live allocation, kept until `release()` (or until coturn lets it expire). */
export interface HeldAllocation {
  readonly relayed: { address: string; port: number };
  /** Lifetime coturn granted, seconds. */
  readonly lifetimeS: number;
  /** Asks for a permission to `peer` (RFC 5766 §9): 'ok' or the error code (403: denied). */
  permit(peer: string): Promise<'ok' | number | undefined>;
  /**
   * Refreshes the allocation (RFC 5766 §7) for `lifetimeS` seconds (0 deletes it): the granted
   * lifetime, or the error code (e.g. 437 when it is gone). Retries once on 438 (stale nonce).
   */
  refresh(
    lifetimeS: number,
  ): Promise<{ ok: true; lifetimeS: number } | { ok: false; code: number | undefined }>;
  /** Deletes the allocation (Refresh with LIFETIME 0) and closes the socket. Idempotent. */
  release(): Promise<void>;
}

/**
 * Performs a TURN Allocate with long-term credentials (RFC 5766 §6, RFC 5389 §10.2) and keeps
 * it: a first request without credentials draws 401 with REALM and NONCE, the second one is
 * signed with MD5(username:realm:password). The allocation holds a relay port (and counts
 * against coturn's quotas) until `release()`, which tests must call.
 */
export async function holdTurnAllocation(
  o: AllocateOptions,
): Promise<({ ok: true } & HeldAllocation) | { ok: false; code: number | undefined }> {
  const timeoutMs = o.timeoutMs ?? 3000;
  const channel = await openChannel(o.host, o.port, o.transport ?? 'udp');
  let kept = false;
  try {
    const allocateAttrs: StunAttr[] = [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) }];
    // RFC 6156: ask for an IPv6 relay address (coturn needs a relay-ip of that family).
    if (o.family === 6)
      allocateAttrs.push({ type: ATTR.REQUESTED_ADDRESS_FAMILY, value: Buffer.from([2, 0, 0, 0]) });
    const tx1 = randomBytes(12);
    const challenge = await channel.request(encodeStun(METHOD.ALLOCATE, tx1, allocateAttrs), tx1, timeoutMs);
    const realm = attr(challenge, ATTR.REALM);
    let nonce = attr(challenge, ATTR.NONCE);
    if (errorCode(challenge) !== 401 || !realm || !nonce) return { ok: false, code: errorCode(challenge) };
    const key = createHash('md5')
      .update(`${o.username}:${realm.toString('utf8')}:${o.password}`)
      .digest();
    const signed = (extra: StunAttr[]): StunAttr[] => [
      ...extra,
      { type: ATTR.USERNAME, value: Buffer.from(o.username, 'utf8') },
      { type: ATTR.REALM, value: realm },
      { type: ATTR.NONCE, value: nonce! },
    ];
    /** A signed request; on 438 (stale nonce) the new nonce is taken and the request sent again. */
    const send = async (method: number, extra: (tx: Buffer) => StunAttr[]): Promise<StunMessage> => {
      for (let attempt = 0; ; attempt++) {
        const tx = randomBytes(12);
        const reply = await channel.request(encodeStun(method, tx, signed(extra(tx)), key), tx, timeoutMs);
        const fresh = attr(reply, ATTR.NONCE);
        if (errorCode(reply) === 438 && fresh && attempt === 0) {
          nonce = fresh;
          continue;
        }
        return reply;
      }
    };
    const tx2 = randomBytes(12);
    const reply = await channel.request(
      encodeStun(METHOD.ALLOCATE, tx2, signed(allocateAttrs), key),
      tx2,
      timeoutMs,
    );
    if (reply.type !== 0x0103) return { ok: false, code: errorCode(reply) };
    const relayed = xorAddress(attr(reply, ATTR.XOR_RELAYED_ADDRESS), tx2);
    if (!relayed) return { ok: false, code: undefined };
    const lifetime = attr(reply, ATTR.LIFETIME);
    const lifetimeOf = (v: Buffer | undefined) => (v && v.length >= 4 ? v.readUInt32BE(0) : 0);
    const refresh: HeldAllocation['refresh'] = async (lifetimeS) => {
      const value = Buffer.alloc(4);
      value.writeUInt32BE(lifetimeS, 0);
      const r = await send(METHOD.REFRESH, () => [{ type: ATTR.LIFETIME, value }]);
      return r.type === 0x0104
        ? { ok: true, lifetimeS: lifetimeOf(attr(r, ATTR.LIFETIME)) }
        : { ok: false, code: errorCode(r) };
    };
    let released: Promise<void> | undefined;
    kept = true;
    return {
      ok: true,
      relayed,
      lifetimeS: lifetimeOf(lifetime),
      permit: async (peer) => {
        const r = await send(METHOD.CREATE_PERMISSION, (tx) => [xorPeerAddress(peer, 9, tx)]);
        return r.type === 0x0108 ? 'ok' : errorCode(r);
      },
      refresh,
      release: () => {
        released ??= refresh(0)
          .catch(() => undefined)
          .then(() => channel.close());
        return released;
      },
    };
  } finally {
    if (!kept) channel.close();
  }
}

/**
 * Performs a TURN Allocate (see `holdTurnAllocation`) and releases it again at once, so it does
 * not hold a relay port until it times out. With `peers`, it first asks for a permission to each
 * peer (RFC 5766 §9), which is where coturn applies `denied-peer-ip`.
 */
export async function turnAllocate({
  peers = [],
  ...o
}: AllocateOptions & {
  /** Peers (IPv4 or IPv6, matching `family`) to ask permissions for. */
  peers?: readonly string[];
}): Promise<AllocateResult> {
  const held = await holdTurnAllocation(o);
  if (!held.ok) return held;
  try {
    const permissions: Record<string, 'ok' | number | undefined> = {};
    for (const peer of peers) permissions[peer] = await held.permit(peer);
    return { ok: true, relayed: held.relayed, permissions };
  } finally {
    await held.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Page functions for relay proofs in Chromium (passed to page.evaluate; self-contained).

/** What the page keeps on `window` so the test can poll it. */
export interface RelayState {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** `icecandidateerror` events seen on either side. */
  errors: { errorCode: number; url: string }[];
  /** Types of the local candidates gathered on either side ('host', 'relay'…). */
  candidateTypes: string[];
}

/**
 * Starts a relay-only call between two peer connections of one page, with fake camera video
 * from a to b. Runs in the page: it must not refer to anything outside itself.
 */
export async function startRelayCall(ice: RTCIceServer): Promise<void> {
  const config: RTCConfiguration = { iceServers: [ice], iceTransportPolicy: 'relay' };
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  const state = { a, b, errors: [], candidateTypes: [] } as {
    a: RTCPeerConnection;
    b: RTCPeerConnection;
    errors: { errorCode: number; url: string }[];
    candidateTypes: string[];
  };
  (window as unknown as { relay: typeof state }).relay = state;
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    self.onicecandidate = (e) => {
      if (e.candidate?.type) state.candidateTypes.push(e.candidate.type);
      void other.addIceCandidate(e.candidate ?? undefined).catch(() => {});
    };
    self.onicecandidateerror = (e) => {
      const ev = e as RTCPeerConnectionIceErrorEvent;
      state.errors.push({ errorCode: ev.errorCode, url: ev.url });
    };
  }
  const stream = await navigator.mediaDevices.getUserMedia({ video: true });
  for (const t of stream.getTracks()) a.addTrack(t, stream);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
}

/** Reads b's decoded frames and the selected pair's local candidate (type, relay protocol). */
export async function readReceiverStats(): Promise<{
  framesDecoded: number;
  localType?: string;
  relayProtocol?: string;
} | null> {
  const { b } = (window as unknown as { relay: RelayState }).relay;
  const stats = await b.getStats();
  let framesDecoded = 0;
  let pairId: string | undefined;
  for (const s of stats.values()) {
    if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded ?? 0;
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  }
  if (framesDecoded < 5 || !pairId) return null;
  const pair = stats.get(pairId);
  const local = pair ? stats.get(pair.localCandidateId) : undefined;
  return { framesDecoded, localType: local?.candidateType, relayProtocol: local?.relayProtocol };
}
