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
 * Reachability (docs/DEPLOY.md, "ICE, NAT and TURN for Janus"): `--nat-1-1 PUBLIC_IP` on a cloud
 * machine whose public address is on no interface (its host candidates then carry the public
 * address; `--keep-private-host` keeps the private one as well), `--stun host:port` for a Janus
 * behind a NAT it cannot name, and `--turn-rest-api URL` so Janus gets short-lived credentials
 * for the same coturn as the browsers from the Parley server (`URL` is Parley's `/janus/turn`;
 * the key is `--turn-rest-api-key`, or one kept in the folder, to export as
 * `PARLEY_JANUS_TURN_KEY`).
 *
 * Janus is GPL-3; Parley only talks to it over its network API, as a separate process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findJanusLibDir, lanIPv4Addresses, writeJanusConfig } from '@parley/server/tools';
import { keptSecret } from './kept-secret.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const JANUS = process.env.PARLEY_JANUS ?? 'janus';
const USAGE = `usage: npm run janus -- [--port 8188] [--rtp-ports 20000-20199] [--ice-ip ADDRESS]
                         [--dir .parley/janus] [--debug-level 4]
                         [--nat-1-1 PUBLIC_IP[,IP]] [--keep-private-host] [--stun HOST:PORT]
                         [--turn-rest-api http://127.0.0.1:8080/janus/turn [--turn-rest-api-key KEY]]`;

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
      'nat-1-1': { type: 'string' },
      'keep-private-host': { type: 'boolean' },
      stun: { type: 'string' },
      'turn-rest-api': { type: 'string' },
      'turn-rest-api-key': { type: 'string' },
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
const nat1To1 =
  values['nat-1-1'] === undefined
    ? []
    : String(values['nat-1-1'])
        .split(',')
        .map((x) => x.trim());
if (nat1To1.some((ip) => isIP(ip) === 0)) fail(`bad --nat-1-1 ${values['nat-1-1']} (public IP addresses)`);
const keepPrivateHost = values['keep-private-host'] === true;
if (keepPrivateHost && nat1To1.length === 0) fail('--keep-private-host goes with --nat-1-1');
let stun: { host: string; port: number } | undefined;
if (values.stun !== undefined) {
  const m = /^([^\s:]+)(?::(\d+))?$/.exec(String(values.stun));
  if (!m || Number(m[2] ?? 3478) > 65535) fail(`bad --stun ${values.stun} (host:port)`);
  stun = { host: m[1]!, port: Number(m[2] ?? 3478) };
  if (nat1To1.length > 0)
    fail('--nat-1-1 and --stun: choose one (docs/DEPLOY.md, "ICE, NAT and TURN for Janus")');
}
const turnRestUrl = values['turn-rest-api'] as string | undefined;
if (turnRestUrl !== undefined && !/^https?:\/\/[^\s?#]+$/.test(turnRestUrl))
  fail(`bad --turn-rest-api ${turnRestUrl} (e.g. http://127.0.0.1:8080/janus/turn)`);
if (values['turn-rest-api-key'] !== undefined && turnRestUrl === undefined)
  fail('--turn-rest-api-key goes with --turn-rest-api');
// The same floor as PARLEY_JANUS_TURN_KEY, which Parley would refuse otherwise.
if (values['turn-rest-api-key'] !== undefined && Buffer.byteLength(String(values['turn-rest-api-key'])) < 16)
  fail('--turn-rest-api-key must be at least 16 bytes (PARLEY_JANUS_TURN_KEY)');
if (!findJanusLibDir()) fail('Janus is not installed: sudo apt-get install janus (then see docs/DEPLOY.md)');

const dir = String(values.dir);
mkdirSync(dir, { recursive: true, mode: 0o700 });
/** A random secret kept across restarts, so exported variables stay valid. */
function keep(file: string): string {
  return keptSecret(join(dir, file), 24);
}
const apiSecret = keep('api-secret');
const adminKey = keep('admin-key');
// The key Janus sends to Parley's /janus/turn: given, or random and kept like the secrets above.
const turnKey = turnRestUrl
  ? ((values['turn-rest-api-key'] as string | undefined) ?? keep('turn-key'))
  : undefined;
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
    nat1To1,
    keepPrivateHost,
    ...(stun ? { stun } : {}),
    ...(turnRestUrl && turnKey ? { turnRestApi: { url: turnRestUrl, key: turnKey } } : {}),
  });
} catch (err) {
  fail((err as Error).message);
}

const child = spawn(JANUS, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (err) => fail(`could not start ${JANUS}: ${err.message}`));
process.stdout.write(
  [
    `Janus on ws://127.0.0.1:${port} (ICE on ${iceIp}${nat1To1.length > 0 ? `, announced as ${nat1To1.join(',')}${keepPrivateHost ? ' and itself' : ''}` : ''}, RTP ${rtpPorts.min}-${rtpPorts.max}${stun ? `, STUN ${stun.host}:${stun.port}` : ''}${turnRestUrl ? `, TURN credentials from ${turnRestUrl}` : ''}); export before npm start:`,
    `  export PARLEY_JANUS_URL='ws://127.0.0.1:${port}'`,
    `  export PARLEY_JANUS_API_SECRET='${apiSecret}'`,
    `  export PARLEY_JANUS_ADMIN_KEY='${adminKey}'`,
    ...(turnKey
      ? [
          `  export PARLEY_JANUS_TURN_KEY='${turnKey}'`,
          '  (with PARLEY_TURN_URLS and PARLEY_TURN_SECRET set: /janus/turn is off without them)',
        ]
      : []),
    '',
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(signal ? 0 : (code ?? 0)));
