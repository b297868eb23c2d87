/**
 * Writes a private configuration folder for a Janus (Debian `janus` 1.1) that Parley runs as its
 * SFU, so that nothing from `/etc/janus` applies: Debian's own service would listen on every
 * interface with the demo rooms and the well-known default secrets.
 *
 * What the generated folder enables, and why:
 * - `janus.jcfg`: only the VideoRoom plugin and the WebSockets transport are loaded (every other
 *   plugin, transport, logger and event handler is disabled, so nothing else is reachable);
 *   `api_secret` makes every request carry a secret only the Parley server knows; the admin API
 *   is off; `nat.ice_enforce_list` pins ICE to the machine's own address (Janus otherwise offers
 *   candidates on every interface, including container bridges); `media.rtp_port_range` keeps
 *   the media ports in a range a firewall can open.
 * - `nat` (ICE as clients see it; docs/DEPLOY.md, "ICE, NAT and TURN for Janus"): `nat_1_1_mapping`
 *   for a cloud machine whose public address is not on any interface (the private host candidate
 *   is replaced, not kept, unless asked), `stun_server` for a Janus behind a NAT it cannot name,
 *   and `turn_rest_api` so Janus gets short-lived credentials for the same coturn the browsers
 *   use, from the Parley server (`POST /janus/turn`), per PeerConnection. A static `turn_user` /
 *   `turn_pwd` is not offered: credentials minted for coturn's `use-auth-secret` expire, and a
 *   static pair would stop working after `PARLEY_TURN_TTL_S`.
 * - `janus.transport.websockets.jcfg`: plain WebSocket on one address (127.0.0.1 by default)
 *   and port; no admin WebSocket.
 * - `janus.plugin.videoroom.jcfg`: no static rooms, and an `admin_key`, so that only the holder
 *   of the key (the Parley server) can create rooms.
 *
 * Janus is GPL-3; Parley only talks to it over this network API, as a separate process.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** Where Debian (and a default source build) install Janus's plugins, transports and loggers. */
const LIB_DIR_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/janus',
  '/usr/lib/aarch64-linux-gnu/janus',
  '/usr/lib/janus',
  '/opt/janus/lib/janus',
];

/** The plugin and transport Parley uses; everything else in the library folders is disabled. */
const KEEP = new Set(['libjanus_videoroom', 'libjanus_websockets']);

/** What a Janus configuration folder is generated from. */
export interface JanusConfigOptions {
  /** The folder to write (created if missing); Janus runs with `-F dir -C dir/janus.jcfg`. */
  readonly dir: string;
  /** WebSocket API port. */
  readonly wsPort: number;
  /** Address the WebSocket API binds. Default `127.0.0.1`: only this machine may reach it. */
  readonly wsIp?: string;
  /** UDP ports for media, inclusive. */
  readonly rtpPorts: { readonly min: number; readonly max: number };
  /**
   * Addresses (or interface names) ICE may use, e.g. the machine's own non-loopback address.
   * Empty: Janus's default (every interface).
   */
  readonly iceEnforce: readonly string[];
  /**
   * Public addresses Janus writes into its host candidates instead of the interface's own
   * (`nat_1_1_mapping`), for a machine behind a 1:1 NAT (a cloud VM whose public address is on
   * no interface). Empty or omitted: candidates carry the interface's address.
   */
  readonly nat1To1?: readonly string[];
  /**
   * With `nat1To1`: keep the private host candidate beside the public one (`keep_private_host`).
   * Default false: only the public address is offered (clients outside the private network
   * cannot use the private one, and it would tell them the internal address).
   */
  readonly keepPrivateHost?: boolean;
  /** A STUN server Janus asks for its reflexive address (`stun_server`, `stun_port`). */
  readonly stun?: { readonly host: string; readonly port: number };
  /**
   * Where Janus gets TURN credentials for its own relay candidates (`turn_rest_api`): the Parley
   * server's `POST /janus/turn` with `PARLEY_JANUS_TURN_KEY` as `key`. Janus calls it for every
   * PeerConnection it sets up.
   */
  readonly turnRestApi?: {
    readonly url: string;
    readonly key: string;
    /** Seconds Janus waits for the answer (`turn_rest_api_timeout`). Default 5. */
    readonly timeoutS?: number;
  };
  /** Secret every API request must carry (`apisecret`); none when omitted. */
  readonly apiSecret?: string;
  /** VideoRoom `admin_key`: required to create rooms; none when omitted. */
  readonly adminKey?: string;
  /** Janus's log level, 0–7. Default 4 (info). */
  readonly debugLevel?: number;
  /** Janus's library folder (plugins/, transports/…). Default: the first that exists. */
  readonly libDir?: string;
}

/** The installed Janus library folder, or undefined when Janus is not installed where we look. */
export function findJanusLibDir(): string | undefined {
  return LIB_DIR_CANDIDATES.find((d) => existsSync(join(d, 'plugins', 'libjanus_videoroom.so')));
}

/** Library file names in `dir` that are not kept (all versions: `.so`, `.so.1`, `.so.1.1.2`). */
function disabledIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('libjanus_') && f.includes('.so'))
    .filter((f) => !KEEP.has(f.slice(0, f.indexOf('.so'))))
    .sort();
}

/** A libconfig string literal (Janus's `.jcfg` syntax). */
function str(value: string): string {
  return JSON.stringify(value);
}

/** The `nat` settings for a 1:1 NAT, STUN and the TURN REST API; throws on a bad value. */
function natLines(o: JanusConfigOptions): string[] {
  const lines: string[] = [];
  const nat1To1 = o.nat1To1 ?? [];
  for (const ip of nat1To1) if (isIP(ip) === 0) throw new Error(`bad 1:1 NAT address ${JSON.stringify(ip)}`);
  if (nat1To1.length > 0) {
    lines.push(`nat_1_1_mapping = ${str(nat1To1.join(','))}`);
    lines.push(`keep_private_host = ${o.keepPrivateHost === true}`);
  } else if (o.keepPrivateHost) throw new Error('keepPrivateHost needs a 1:1 NAT address');
  if (o.stun) {
    // Alternatives: with both, Janus 1.1.2 announced the private address as well (measured).
    if (nat1To1.length > 0) throw new Error('a 1:1 NAT address and a STUN server: choose one');
    const { host, port } = o.stun;
    if (!/^[A-Za-z0-9.:-]+$/.test(host) || !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw new Error(`bad STUN server ${JSON.stringify(`${host}:${port}`)}`);
    }
    lines.push(`stun_server = ${str(host)}`, `stun_port = ${port}`);
  }
  if (o.turnRestApi) {
    const { url, key, timeoutS = 5 } = o.turnRestApi;
    if (!/^https?:\/\/[^\s?#]+$/.test(url)) {
      throw new Error(`bad TURN REST API URL ${JSON.stringify(url)} (http:// or https://, no query)`);
    }
    if (key.length === 0) throw new Error('the TURN REST API needs a key');
    if (!(Number.isInteger(timeoutS) && timeoutS >= 1))
      throw new Error(`bad TURN REST API timeout ${timeoutS}`);
    lines.push(
      `turn_rest_api = ${str(url)}`,
      `turn_rest_api_key = ${str(key)}`,
      'turn_rest_api_method = "POST"',
      `turn_rest_api_timeout = ${timeoutS}`,
    );
  }
  return lines;
}

/**
 * The files of a configuration folder, by name. Pure apart from listing the library folders
 * (to name the plugins to disable), so tests can read what would be written.
 */
export function janusConfigFiles(o: JanusConfigOptions): Record<string, string> {
  const libDir = o.libDir ?? findJanusLibDir();
  if (!libDir)
    throw new Error('Janus is not installed (no libjanus_videoroom.so found); apt-get install janus');
  const { min, max } = o.rtpPorts;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1024 && max <= 65535 && max >= min)) {
    throw new Error(`bad RTP port range ${min}-${max}`);
  }
  const list = (dir: string) => str(disabledIn(join(libDir, dir)).join(','));
  const general = [
    `configs_folder = ${str(o.dir)}`,
    `plugins_folder = ${str(join(libDir, 'plugins'))}`,
    `transports_folder = ${str(join(libDir, 'transports'))}`,
    `events_folder = ${str(join(libDir, 'events'))}`,
    `loggers_folder = ${str(join(libDir, 'loggers'))}`,
    `debug_level = ${o.debugLevel ?? 4}`,
    'debug_timestamps = true',
    'debug_colors = false',
    // With keepalives every 25 s, a session that stays silent for 60 s belongs to a dead client.
    'session_timeout = 60',
    'server_name = "parley-sfu"',
  ];
  if (o.apiSecret) general.push(`api_secret = ${str(o.apiSecret)}`);
  const nat = ['nice_debug = false', 'ignore_mdns = true'];
  if (o.iceEnforce.length > 0) nat.push(`ice_enforce_list = ${str(o.iceEnforce.join(','))}`);
  nat.push(...natLines(o));
  const janus = [
    '# Generated by Parley (packages/server/src/sfu/janus-config.ts); edits are overwritten.',
    `general: {\n\t${general.join('\n\t')}\n}`,
    'certificates: {\n}',
    `media: {\n\trtp_port_range = ${str(`${min}-${max}`)}\n}`,
    `nat: {\n\t${nat.join('\n\t')}\n}`,
    `plugins: {\n\tdisable = ${list('plugins')}\n}`,
    `transports: {\n\tdisable = ${list('transports')}\n}`,
    `loggers: {\n\tdisable = ${list('loggers')}\n}`,
    `events: {\n\tbroadcast = false\n\tdisable = ${list('events')}\n}`,
  ].join('\n\n');
  const ws = [
    '# Generated by Parley: the API on one address only, no TLS (loopback), no admin API.',
    `general: {\n\tjson = "plain"\n\tws = true\n\tws_port = ${o.wsPort}\n\tws_ip = ${str(o.wsIp ?? '127.0.0.1')}\n\twss = false\n}`,
    'admin: {\n\tadmin_ws = false\n\tadmin_wss = false\n}',
  ].join('\n\n');
  const room = ['string_ids = false'];
  if (o.adminKey) room.push(`admin_key = ${str(o.adminKey)}`);
  const videoroom = [
    '# Generated by Parley: no static rooms; rooms are created over the API by the Parley server.',
    `general: {\n\t${room.join('\n\t')}\n}`,
  ].join('\n\n');
  return {
    'janus.jcfg': `${janus}\n`,
    'janus.transport.websockets.jcfg': `${ws}\n`,
    'janus.plugin.videoroom.jcfg': `${videoroom}\n`,
  };
}

/**
 * Writes the folder (mode 0700, files 0600: they hold the API secret, admin key and TURN key) and
 * returns the arguments to start Janus with.
 */
export function writeJanusConfig(o: JanusConfigOptions): string[] {
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(janusConfigFiles(o))) {
    writeFileSync(join(o.dir, name), text, { mode: 0o600 });
  }
  return janusArgs(o.dir);
}

/** Command-line arguments for `janus` with a folder written by `writeJanusConfig`. */
export function janusArgs(dir: string): string[] {
  return ['-F', dir, '-C', join(dir, 'janus.jcfg')];
}
