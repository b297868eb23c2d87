#!/usr/bin/env -S npx tsx
/**
 * `npm run turn`: runs a real coturn for local development, configured for the same TURN REST
 * secret as the Parley server, and prints the two variables to export before `npm start`.
 *
 * It listens on loopback and this machine's LAN IPv4 addresses only (so a phone on the same
 * Wi-Fi can relay through it) and relays from the LAN address. With `--loopback`, or on a
 * machine without a LAN address, it listens and relays on 127.0.0.1 only, and then allows
 * loopback peers (both browsers are on this machine; nobody else can reach it).
 *
 * The secret comes from PARLEY_TURN_SECRET, else `--secret`, else a random one kept in
 * `.parley/turn/secret` so restarting keeps the variables you exported valid. The generated
 * config (it holds the secret) is written with mode 0600 instead of passing the secret on the
 * command line, where `ps` would show it. Ctrl-C stops coturn.
 *
 * This is not a production setup: see deploy/turnserver.conf and docs/DEPLOY.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lanIPv4Addresses } from '../packages/server/src/tls/self-signed.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const TURNSERVER = process.env.PARLEY_TURNSERVER ?? 'turnserver';

const USAGE = `usage: npm run turn -- [--port 3478] [--relay-ports 49160-49259] [--loopback]
                        [--secret SECRET] [--realm parley] [--dir .parley/turn] [--verbose]`;

function fail(message: string): never {
  process.stderr.write(`turn: ${message}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '3478' },
      'relay-ports': { type: 'string', default: '49160-49259' },
      loopback: { type: 'boolean', default: false },
      secret: { type: 'string' },
      realm: { type: 'string', default: 'parley' },
      dir: { type: 'string', default: join(ROOT, '.parley', 'turn') },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`bad --port ${values.port}`);
const range = /^(\d+)-(\d+)$/.exec(String(values['relay-ports']));
const minPort = Number(range?.[1]);
const maxPort = Number(range?.[2]);
if (!range || minPort < 1024 || maxPort > 65535 || maxPort < minPort)
  fail('bad --relay-ports (e.g. 49160-49259)');
const realm = String(values.realm);
/** Where the generated config, secret, pid file and log live (git-ignored). */
const STATE_DIR = String(values.dir);
if (!/^[A-Za-z0-9.-]+$/.test(realm)) fail('bad --realm');

const lan = values.loopback ? [] : lanIPv4Addresses();
const loopbackOnly = lan.length === 0;
const listenIps = ['127.0.0.1', ...lan];
const relayIps = loopbackOnly ? ['127.0.0.1'] : lan;
/** The address browsers are told to use: the LAN one, so phones can reach it too. */
const advertised = loopbackOnly ? '127.0.0.1' : lan[0]!;

function loadSecret(): string {
  const fromEnv = process.env.PARLEY_TURN_SECRET;
  if (fromEnv) return fromEnv;
  if (typeof values.secret === 'string' && values.secret) return values.secret;
  const file = join(STATE_DIR, 'secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  }
  const made = randomBytes(32).toString('base64url');
  writeFileSync(file, `${made}\n`, { mode: 0o600 });
  return made;
}

mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
const secret = loadSecret();
if (/[\s#"']/.test(secret)) fail('the TURN secret must not contain spaces, quotes or #');

/** Checks before starting, so a clash is one clear line instead of a page of coturn log. */
async function portFree(ip: string): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, ip, () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, ip, () => s.close(() => resolve(true)));
  });
}

for (const ip of listenIps) {
  if (!(await portFree(ip))) {
    fail(
      `port ${port} is in use on ${ip} (Debian's coturn service? "sudo systemctl stop coturn"), ` +
        'or pick another with --port',
    );
  }
}

const confFile = join(STATE_DIR, 'turnserver.conf');
const logFile = join(STATE_DIR, 'turn.log');
const conf = [
  '# Generated by `npm run turn` for local development. Not for production: see deploy/turnserver.conf.',
  ...listenIps.map((ip) => `listening-ip=${ip}`),
  ...relayIps.map((ip) => `relay-ip=${ip}`),
  `listening-port=${port}`,
  `min-port=${minPort}`,
  `max-port=${maxPort}`,
  'use-auth-secret',
  `static-auth-secret=${secret}`,
  `realm=${realm}`,
  'fingerprint',
  'no-tls',
  'no-dtls',
  'no-cli',
  'no-multicast-peers',
  'no-software-attribute',
  // With two listening addresses coturn would also open port+1 for RFC 5780 NAT discovery,
  // which WebRTC does not use (and which hangs coturn when that port is taken).
  'no-rfc5780',
  // Both peers are on this machine and nobody else can reach a loopback-only server.
  ...(loopbackOnly ? ['allow-loopback-peers'] : []),
  `pidfile=${join(STATE_DIR, 'turn.pid')}`,
  `log-file=${values.verbose ? 'stdout' : logFile}`,
  'simple-log',
  '',
].join('\n');
writeFileSync(confFile, conf, { mode: 0o600 });

const out = values.verbose ? 'inherit' : openSync(logFile, 'a');
let child: ChildProcess;
try {
  child = spawn(TURNSERVER, ['-c', confFile], { stdio: ['ignore', out, out] });
} catch (err) {
  fail(`cannot start ${TURNSERVER}: ${(err as Error).message}`);
}
let exited = false;
child.once('error', (err: NodeJS.ErrnoException) => {
  exited = true;
  fail(
    err.code === 'ENOENT'
      ? `"${TURNSERVER}" is not installed (Debian: sudo apt-get install coturn)`
      : `cannot start ${TURNSERVER}: ${err.message}`,
  );
});
child.once('exit', (code, signal) => {
  exited = true;
  if (stopping) process.exit(0);
  const tail = values.verbose ? '' : `\n${tailOf(logFile)}`;
  fail(`coturn exited (${signal ?? `code ${code}`}) before Ctrl-C${tail}`);
});

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nturn: stopping coturn…\n');
    if (!exited) child.kill('SIGTERM');
    // coturn stops in well under a second; do not hang the terminal if it does not.
    setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
      process.exit(0);
    }, 3000).unref();
  });
}

/** One STUN Binding request (RFC 5389 §6); any answer with our transaction id means ready. */
function stunAnswers(ip: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    const txId = randomBytes(12);
    txId.copy(request, 8);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('message', (m) => {
      if (m.length >= 20 && m.subarray(8, 20).equals(txId)) done(true);
    });
    socket.on('error', () => done(false));
    socket.send(request, port, ip);
  });
}

const deadline = Date.now() + 10_000;
while (!(await stunAnswers(advertised, 200))) {
  if (exited) await new Promise(() => {}); // the exit handler reports and exits
  if (Date.now() > deadline) {
    child.kill('SIGTERM');
    fail(`coturn did not answer on ${advertised}:${port} within 10 s\n${tailOf(logFile)}`);
  }
}

const urls = [`turn:${advertised}:${port}?transport=udp`, `turn:${advertised}:${port}?transport=tcp`].join(
  ',',
);
process.stdout.write(
  [
    `coturn is running (pid ${child.pid}): listening on ${listenIps.join(', ')} port ${port} (UDP and TCP),`,
    `relaying from ${relayIps.join(', ')} ports ${minPort}-${maxPort}.${values.verbose ? '' : ` Log: ${logFile}`}`,
    loopbackOnly
      ? 'Loopback only: browsers on this machine can relay; other devices cannot reach it.'
      : `Devices on your network can relay through ${advertised}.`,
    '',
    'In the shell where you start Parley:',
    `  export PARLEY_TURN_URLS='${urls}'`,
    `  export PARLEY_TURN_SECRET='${secret}'`,
    `  export PARLEY_STUN_URLS='stun:${advertised}:${port}'`,
    '  npm start',
    '',
    'Ctrl-C stops coturn.',
    '',
  ].join('\n'),
);
