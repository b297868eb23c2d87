#!/usr/bin/env -S npx tsx
/**
 * `npm run janus`: runs a real Janus (Debian `janus`) as Parley's SFU for local development,
 * with a configuration folder of its own (never `/etc/janus`), and prints the variables to
 * export before `npm start`.
 *
 * Janus loads only the VideoRoom plugin and the WebSockets transport, bound to 127.0.0.1 (only
 * the Parley server on this machine talks to it); the admin API is off; every request needs an
 * API secret and creating rooms needs an admin key, both random and kept in `.parley/janus/`
 * (mode 0600) so a restart keeps the exported variables valid. ICE is pinned to this machine's
 * LAN address (`--ice-ip` to choose) and media uses `--rtp-ports`. Ctrl-C stops Janus.
 *
 * Janus is GPL-3; Parley only talks to it over its network API, as a separate process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findJanusLibDir, writeJanusConfig } from '../packages/server/src/sfu/janus-config.ts';
import { lanIPv4Addresses } from '../packages/server/src/tls/self-signed.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const JANUS = process.env.PARLEY_JANUS ?? 'janus';
const USAGE = `usage: npm run janus -- [--port 8188] [--rtp-ports 20000-20199] [--ice-ip ADDRESS]
                         [--dir .parley/janus] [--debug-level 4]`;

function fail(message: string): never {
  process.stderr.write(`janus: ${message}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '8188' },
      'rtp-ports': { type: 'string', default: '20000-20199' },
      'ice-ip': { type: 'string' },
      dir: { type: 'string', default: join(ROOT, '.parley', 'janus') },
      'debug-level': { type: 'string', default: '4' },
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
const range = /^(\d+)-(\d+)$/.exec(String(values['rtp-ports']));
if (!range) fail('bad --rtp-ports (e.g. 20000-20199)');
const rtpPorts = { min: Number(range[1]), max: Number(range[2]) };
const debugLevel = Number(values['debug-level']);
if (!Number.isInteger(debugLevel) || debugLevel < 0 || debugLevel > 7) fail('bad --debug-level (0-7)');
const iceIp = (values['ice-ip'] as string | undefined) ?? lanIPv4Addresses()[0];
if (!iceIp) fail('no LAN IPv4 address found for ICE; pass --ice-ip');
if (!findJanusLibDir()) fail('Janus is not installed: sudo apt-get install janus (then see docs/DEPLOY.md)');

const dir = String(values.dir);
mkdirSync(dir, { recursive: true, mode: 0o700 });
/** A random secret kept across restarts, so exported variables stay valid. */
function keep(file: string): string {
  const path = join(dir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
const apiSecret = keep('api-secret');
const adminKey = keep('admin-key');
const confDir = join(dir, 'conf');
let args: string[];
try {
  args = writeJanusConfig({
    dir: confDir,
    wsPort: port,
    rtpPorts,
    iceEnforce: [iceIp],
    apiSecret,
    adminKey,
    debugLevel,
  });
} catch (err) {
  fail((err as Error).message);
}

const child = spawn(JANUS, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (err) => fail(`could not start ${JANUS}: ${err.message}`));
process.stdout.write(
  [
    `Janus on ws://127.0.0.1:${port} (ICE on ${iceIp}, RTP ${rtpPorts.min}-${rtpPorts.max}); export before npm start:`,
    `  export PARLEY_JANUS_URL='ws://127.0.0.1:${port}'`,
    `  export PARLEY_JANUS_API_SECRET='${apiSecret}'`,
    `  export PARLEY_JANUS_ADMIN_KEY='${adminKey}'`,
    '',
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(signal ? 0 : (code ?? 0)));
