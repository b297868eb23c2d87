/**
 * The server's configuration: one zod schema over the `PARLEY_*` environment variables, with
 * coercion and defaults so that nothing needs to be set. `loadConfig` validates once, reports
 * every problem in one error, and freezes the result. This is the only module that reads
 * `process.env`; everything else receives the `Config` object.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readPublicKey } from './auth/access-control.ts';
import { createClientIpResolver } from './auth/client-ip.ts';
import { createOriginPolicy } from './auth/origin.ts';
import { blockList } from './sfu/candidate-filter.ts';
import { parseStunPublicUrl } from './stun/stun-url.ts';

/** The repository root (this file lives in packages/server/src/). */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const list = () =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    )
    .pipe(
      z.array(
        z.string().regex(/^(stun|stuns|turn|turns):/, 'must start with stun:, stuns:, turn: or turns:'),
      ),
    );

const splitList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

function isOriginList(entries: readonly string[]): boolean {
  try {
    createOriginPolicy(entries);
    return true;
  } catch {
    return false;
  }
}

function isBlockList(entries: readonly string[]): boolean {
  try {
    blockList(entries);
    return true;
  } catch {
    return false;
  }
}

function isTrustSetting(value: string): boolean {
  try {
    createClientIpResolver(value);
    return true;
  } catch {
    return false;
  }
}

function isEs256PublicKey(value: string): boolean {
  try {
    const text = readPublicKey(value).trim();
    const key = text.startsWith('{')
      ? createPublicKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' })
      : createPublicKey(text);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

/** One configuration variable: its schema (with default), the `Config` key and its documentation. */
interface VarSpec {
  readonly key: keyof Config;
  readonly schema: z.ZodType;
  /** The default as shown in the README. */
  readonly shown: string;
  readonly doc: string;
  /** The value is a secret: a problem report names the variable but never echoes the value. */
  readonly secret?: true;
}

/**
 * Every variable the server reads. The README table between the `config-table` markers is
 * generated from this list (`configTableMarkdown`), and a unit test checks they agree.
 */
export const CONFIG_VARS = {
  PARLEY_HOST: {
    key: 'host',
    schema: z.string().min(1).default('0.0.0.0'),
    shown: '`0.0.0.0`',
    doc: 'Interface the HTTP/WebSocket server listens on.',
  },
  PARLEY_PORT: {
    key: 'port',
    schema: int(0, 65535).default(8080),
    shown: '`8080`',
    doc: 'TCP port; `0` picks a free port (the `listening` log line shows it).',
  },
  PARLEY_LOG_LEVEL: {
    key: 'logLevel',
    schema: z.enum(LOG_LEVELS).default('info'),
    shown: '`info`',
    doc: 'pino level: `trace` (every frame), `debug` (negotiation), `info` (lifecycle), `warn`, `error`, `fatal`, `silent`.',
  },
  PARLEY_WEB_DIR: {
    key: 'webDir',
    schema: z
      .string()
      .min(1)
      .default(resolve(REPO_ROOT, 'packages/web/dist'))
      .transform((p) => resolve(p)),
    shown: '`packages/web/dist`',
    doc: 'Folder of the built web app served at `/` (relative paths resolve from the working directory).',
  },
  PARLEY_MAX_FRAME_BYTES: {
    key: 'maxFrameBytes',
    schema: int(1024, 16 * 1024 * 1024).default(65536),
    shown: '`65536`',
    doc: 'Largest accepted frame; larger ones get `TOO_LARGE`, and frames over this plus 16 KiB close the socket with 1009.',
  },
  PARLEY_RATE_PER_S: {
    key: 'ratePerS',
    schema: num(0.1, 1_000_000).default(50),
    shown: '`50`',
    doc: 'Sustained frames per second per connection (token bucket refill rate).',
  },
  PARLEY_RATE_BURST: {
    key: 'rateBurst',
    schema: int(1, 1_000_000).default(100),
    shown: '`100`',
    doc: 'Token bucket size: frames a connection may send at once before `RATE_LIMITED`.',
  },
  PARLEY_RATE_BYTES_PER_S: {
    key: 'rateBytesPerS',
    schema: int(1024, 1024 * 1024 * 1024).default(256 * 1024),
    shown: '`262144`',
    doc: 'Sustained bytes per second per connection (a second token bucket, counted in frame bytes); a frame over it gets `RATE_LIMITED` like one over the frame rate.',
  },
  PARLEY_RATE_BYTES_BURST: {
    key: 'rateBytesBurst',
    schema: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
    shown: '`1048576`',
    doc: 'Byte bucket size: bytes a connection may send at once. At least `PARLEY_MAX_FRAME_BYTES`, so a largest frame can pass.',
  },
  PARLEY_FLOOD_WINDOW_MS: {
    key: 'floodWindowMs',
    schema: int(100, 600_000).default(2000),
    shown: '`2000`',
    doc: 'Sliding window over which refused frames are counted, for `FLOODING` and for the `RATE_LIMITED` replies.',
  },
  PARLEY_FLOOD_RATIO: {
    key: 'floodRatio',
    schema: num(0.01, 1).default(0.25),
    shown: '`0.25`',
    doc: "Share of a connection's frames in the window refused by the rate limits at which it is closed with `FLOODING` (4008), once `PARLEY_FLOOD_STRIKES` were refused. Twice the allowed rate refuses half.",
  },
  PARLEY_FLOOD_STRIKES: {
    key: 'floodStrikes',
    schema: int(1, 1_000_000).default(32),
    shown: '`32`',
    doc: 'Rate-limited frames a connection may have in the window before `PARLEY_FLOOD_RATIO` can close it, so a short burst over the bucket is refused without closing.',
  },
  PARLEY_RATE_LIMITED_REPLIES: {
    key: 'rateLimitedReplies',
    schema: int(0, 1_000_000).default(10),
    shown: '`10`',
    doc: '`RATE_LIMITED` error frames sent per connection per window; later refused frames are dropped silently (counted in `parley_rate_limited_silent_total`).',
  },
  PARLEY_MAX_CONNS_PER_IP: {
    key: 'maxConnsPerIp',
    schema: int(1, 1_000_000).default(64),
    shown: '`64`',
    doc: 'Open WebSocket connections per client address (IPv6: per /64 prefix, which one subscriber usually holds); more get `TOO_MANY_CONNECTIONS` (4029).',
  },
  PARLEY_MAX_ROOMS_PER_SESSION: {
    key: 'maxRoomsPerSession',
    schema: int(1, 100_000).default(16),
    shown: '`16`',
    doc: 'Rooms one session may be in at once (`TOO_MANY_ROOMS`).',
  },
  PARLEY_MAX_PEERS_PER_ROOM: {
    key: 'maxPeersPerRoom',
    schema: int(1, 100_000).default(50),
    shown: '`50`',
    doc: 'Members per room (`ROOM_FULL`).',
  },
  PARLEY_MAX_SEND_BUFFER_BYTES: {
    key: 'maxSendBufferBytes',
    schema: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
    shown: '`1048576`',
    doc: 'Bytes a connection may have unsent in its socket buffer before it is dropped as `SLOW_CONSUMER` (4009).',
  },
  PARLEY_HEARTBEAT_MS: {
    key: 'heartbeatMs',
    schema: int(100, 3_600_000).default(15000),
    shown: '`15000`',
    doc: 'WebSocket ping interval; a socket that misses a pong is closed within two intervals.',
  },
  PARLEY_GRACE_S: {
    key: 'graceS',
    schema: num(0, 86_400).default(20),
    shown: '`20`',
    doc: 'Seconds a dropped session keeps its name, rooms, calls and queued messages for a resume.',
  },
  PARLEY_QUEUE_MAX: {
    key: 'queueMax',
    schema: int(1, 1_000_000).default(256),
    shown: '`256`',
    doc: 'Messages queued for a session in grace (also when parked in Redis); on overflow the oldest is dropped (counted in `parley_queue_dropped_total{reason="frames"}`).',
  },
  PARLEY_QUEUE_MAX_BYTES: {
    key: 'queueMaxBytes',
    schema: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
    shown: '`1048576`',
    doc: 'Bytes queued for one session in grace (also when parked in Redis); on overflow the oldest are dropped until the newest fit (`reason="bytes"`). The resume flush is exempt from `PARLEY_MAX_SEND_BUFFER_BYTES` up to this much.',
  },
  PARLEY_QUEUE_TOTAL_BYTES: {
    key: 'queueTotalBytes',
    schema: int(1024, 1024 * 1024 * 1024 * 64).default(64 * 1024 * 1024),
    shown: '`67108864`',
    doc: 'Bytes queued for all sessions in grace on this node together; past it, frames for detached sessions are dropped (`reason="node_bytes"`). Queued bytes: `parley_queued_bytes`.',
  },
  PARLEY_HELLO_TIMEOUT_MS: {
    key: 'helloTimeoutMs',
    schema: int(100, 3_600_000).default(10000),
    shown: '`10000`',
    doc: 'Time a new connection has to complete `hello` (`HELLO_TIMEOUT`, 4002).',
  },
  PARLEY_RING_TIMEOUT_S: {
    key: 'ringTimeoutS',
    schema: num(0.05, 3600).default(30),
    shown: '`30`',
    doc: 'Seconds a call may ring before both parties get `call.ended` with `no_answer`.',
  },
  PARLEY_INVITES_PER_PEER_PER_MIN: {
    key: 'invitesPerPeerPerMin',
    schema: int(1, 10_000).default(6),
    shown: '`6`',
    doc: 'Invites one session may send to one callee per minute (a token bucket of that size, refilled over the minute); more get `RATE_LIMITED`, so nobody can be rung over and over.',
  },
  PARLEY_DRAIN_MS: {
    key: 'drainMs',
    schema: int(0, 600_000).default(5000),
    shown: '`5000`',
    doc: 'On SIGTERM/SIGINT: how long to wait for clients to close after `server.draining` before cutting them off.',
  },
  PARLEY_STUN_URLS: {
    key: 'stunUrls',
    schema: list().default([]),
    shown: '(empty)',
    doc: "More STUN URLs handed to clients, besides Parley's own (`PARLEY_STUN_PORT`). Empty by default: no third-party STUN server is contacted.",
  },
  PARLEY_STUN_PORT: {
    key: 'stunPort',
    schema: z
      .string()
      .default('3478')
      .transform((s, ctx): number | 'off' => {
        if (s.toLowerCase() === 'off') return 'off';
        if (/^\d{1,5}$/.test(s) && Number(s) <= 65535) return Number(s);
        ctx.addIssue({ code: 'custom', message: 'must be a UDP port (0 to 65535) or off' });
        return z.NEVER;
      }),
    shown: '`3478`',
    doc: 'UDP port of Parley\'s built-in STUN server, advertised to clients so that calls work across home routers with nothing else to run (open it on the firewall, UDP). `off`: no built-in STUN; `0`: a free port. If the port is taken at startup Parley logs a warning, runs without it and `/healthz` says `"stun": "unavailable"`.',
  },
  PARLEY_STUN_HOST: {
    key: 'stunHost',
    schema: z
      .string()
      .default('0.0.0.0')
      .refine((s) => isIP(s) !== 0, 'must be an IP address'),
    shown: '`0.0.0.0`',
    doc: 'Address the built-in STUN server binds (`::` for IPv6 and IPv4). Independent of `PARLEY_HOST`: behind a reverse proxy the HTTP side listens on loopback, STUN must still be reachable from outside.',
  },
  PARLEY_STUN_PUBLIC_URL: {
    key: 'stunPublicUrl',
    schema: z
      .string()
      .transform((s, ctx) => {
        const url = parseStunPublicUrl(s);
        if (url === undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be stun:<host name or address>[:port]' });
          return z.NEVER;
        }
        return url;
      })
      .optional(),
    shown: '(unset)',
    doc: "The built-in STUN server's URL as clients are told (`stun:stun.example.org:3478`). Unset: the host each client used to reach Parley (its `Host` header; behind a trusted proxy `X-Forwarded-Host`) with `PARLEY_STUN_PORT`. Set it when STUN is reached under another name or port than the web app (a CDN in front, a port forward).",
  },
  PARLEY_STUN_RATE_PER_S: {
    key: 'stunRatePerS',
    schema: num(0.1, 1_000_000).default(20),
    shown: '`20`',
    doc: 'Built-in STUN: answers per second per source address (IPv6: per /64), after a burst of `PARLEY_STUN_BURST`; more are dropped silently, so a forged flood cannot be reflected at anyone.',
  },
  PARLEY_STUN_BURST: {
    key: 'stunBurst',
    schema: int(1, 1_000_000).default(100),
    shown: '`100`',
    doc: 'Built-in STUN: answers one source address may get at once (a page with many calls, several people behind one router).',
  },
  PARLEY_STUN_GLOBAL_PER_S: {
    key: 'stunGlobalPerS',
    schema: int(1, 10_000_000).default(5000),
    shown: '`5000`',
    doc: 'Built-in STUN: answers per second from the whole server, whatever the source (about 220 KB/s of answers at most).',
  },
  PARLEY_TURN_URLS: {
    key: 'turnUrls',
    schema: list().default([]),
    shown: '(empty)',
    doc: 'Comma-separated TURN URLs (e.g. `turn:turn.example.org:3478?transport=udp`).',
  },
  PARLEY_TURN_SECRET: {
    key: 'turnSecret',
    schema: z.string().min(1).optional(),
    secret: true,
    shown: '(unset)',
    doc: "Shared secret of the TURN server's REST API (coturn `static-auth-secret`); when set, clients get short-lived credentials.",
  },
  PARLEY_TURN_TTL_S: {
    key: 'turnTtlS',
    schema: int(1, 7 * 86_400).default(600),
    shown: '`600`',
    doc: 'Lifetime of minted TURN credentials; sessions get `ice.updated` with fresh ones at 80% of it. Expiry stops new allocations only: a relay in use keeps working.',
  },
  PARLEY_TURN_PER_ADDRESS: {
    key: 'turnPerAddress',
    schema: int(0, 10_000).default(8),
    shown: '`8`',
    doc: 'Without access tokens: how many sessions (and the `/ice` self-test) of one client address (IPv6: one /64) may hold unexpired TURN credentials at once; beyond it `welcome` lists STUN only until a place frees up. `0`: anonymous clients never get TURN. With tokens, sessions are not counted.',
  },
  PARLEY_ICE_PER_MIN: {
    key: 'icePerMin',
    schema: int(1, 100_000).default(6),
    shown: '`6`',
    doc: '`GET /ice` requests per minute per client address (IPv6: per /64), in a burst or spread out; beyond it 429 with `Retry-After`.',
  },
  PARLEY_PRESENCE: {
    key: 'presence',
    schema: z
      .enum(['on', 'off'])
      .default('on')
      .transform((v) => v === 'on'),
    shown: '`on`',
    doc: 'Whether clients may `presence.subscribe` to the list of online names (`off` → `FORBIDDEN`).',
  },
  PARLEY_JANUS_URL: {
    key: 'janusUrls',
    schema: z
      .string()
      .transform(splitList)
      .pipe(z.array(z.string().regex(/^wss?:\/\/[^\s,]+$/, 'each must start with ws:// or wss://')))
      .default([]),
    shown: '(unset)',
    doc: 'Comma-separated WebSocket URLs of Janus instances (`npm run janus`, docs/DEPLOY.md) for large rooms; each new SFU room goes to the least loaded one that is up, and they share the API secret and admin key below. Unset: every room is mesh (peer to peer).',
  },
  PARLEY_JANUS_API_SECRET: {
    key: 'janusApiSecret',
    schema: z.string().min(1).optional(),
    secret: true,
    shown: '(unset)',
    doc: "Janus's `api_secret`, sent with every request to it. Never reaches clients.",
  },
  PARLEY_JANUS_ADMIN_KEY: {
    key: 'janusAdminKey',
    schema: z.string().min(1).optional(),
    secret: true,
    shown: '(unset)',
    doc: "The VideoRoom plugin's `admin_key` (needed to create rooms); room secrets are derived from it. Never reaches clients.",
  },
  PARLEY_JANUS_TURN_KEY: {
    key: 'janusTurnKey',
    schema: z
      .string()
      .refine((s) => Buffer.byteLength(s) >= 16, 'must be at least 16 bytes (e.g. `openssl rand -base64 24`)')
      .optional(),
    secret: true,
    shown: '(unset)',
    doc: 'With `PARLEY_TURN_SECRET` and `PARLEY_TURN_URLS`: serves `POST /janus/turn`, where Janus (`nat.turn_rest_api`, `npm run janus -- --turn-rest-api`) gets short-lived credentials for the same TURN server, only when it sends this key. Unset: no such endpoint (404).',
  },
  PARLEY_SFU_THRESHOLD: {
    key: 'sfuThreshold',
    schema: int(1, 100_000).default(4),
    shown: '`4`',
    doc: 'With Janus configured, a room moves from mesh to the SFU when it has more members than this (by default, when the 5th joins).',
  },
  PARLEY_SFU_SHRINK_DELAY_S: {
    key: 'sfuShrinkDelayS',
    schema: num(0, 86_400).default(15),
    shown: '`15`',
    doc: 'A room that grew into the SFU goes back to mesh once it has had fewer members than `PARLEY_SFU_THRESHOLD` for this long (rooms created as SFU never do). `0`: rooms never shrink back.',
  },
  PARLEY_SFU_PRIVATE_CANDIDATES: {
    key: 'sfuPrivateCandidates',
    schema: z.enum(['auto', 'drop', 'allow']).default('auto'),
    shown: '`auto`',
    doc: "Whether clients' ICE candidates on private, loopback, link-local or CGNAT addresses (and mDNS `.local` names) reach Janus, which would send STUN checks there from inside the server's network. `auto`: only from clients that connect from such an address themselves (a LAN; behind a proxy this needs `PARLEY_TRUST_PROXY`, or every client looks local), never from the internet. `drop`: never (a public server; calls still connect, Janus learns each client's address from its checks, except relay to relay through a TURN server on a private address). `allow`: always. Multicast, broadcast, ports below 1024 and other host names never reach Janus.",
  },
  PARLEY_SFU_BLOCKED_CANDIDATES: {
    key: 'sfuBlockedCandidates',
    schema: z
      .string()
      .transform(splitList)
      .refine(isBlockList, 'each must be an IP address or address/prefix, e.g. 203.0.113.7 or 203.0.113.0/24')
      .default([]),
    shown: '(unset)',
    doc: "Comma-separated addresses or ranges (`203.0.113.7`, `203.0.113.0/24`, IPv6 too) whose client ICE candidates never reach Janus, whatever `PARLEY_SFU_PRIVATE_CANDIDATES` says: put the server's own public address (and its neighbours) here, so no client can make Janus send STUN checks to UDP services on the host, such as coturn.",
  },
  PARLEY_SFU_MAX_ROOMS: {
    key: 'sfuMaxRooms',
    schema: int(1, 1_000_000).default(200),
    shown: '`200`',
    doc: 'SFU rooms at once (across every node sharing the directory): past it, `room.join` with `mode: "sfu"` that would create one gets `SFU_UNAVAILABLE`, and growing rooms stay mesh.',
  },
  PARLEY_SFU_ROOMS_PER_SESSION: {
    key: 'sfuRoomsPerSession',
    schema: int(1, 10_000).default(2),
    shown: '`2`',
    doc: 'SFU rooms one session may have created with `mode: "sfu"` and still open; past it `TOO_MANY_ROOMS`. Rooms that grew into the SFU do not count.',
  },
  PARLEY_SFU_ROOMS_PER_IP: {
    key: 'sfuRoomsPerIp',
    schema: int(1, 100_000).default(8),
    shown: '`8`',
    doc: 'The same for all sessions from one address (IPv6: one /64); past it `TOO_MANY_ROOMS`.',
  },
  PARLEY_REDIS_URL: {
    key: 'redisUrl',
    schema: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    // It may carry the Redis password (`redis://:password@host`).
    secret: true,
    shown: '(unset)',
    doc: 'Redis shared by several nodes (`redis://[:password@]host:port[/db]`): names, rooms, calls, routing and resumable sessions span every node. Unset: one node, state in memory.',
  },
  PARLEY_REDIS_CA_FILE: {
    key: 'redisCaFile',
    schema: z
      .string()
      .transform((p) => resolve(p))
      .optional(),
    shown: '(unset)',
    doc: "With a `rediss://` `PARLEY_REDIS_URL`: trust only this CA certificate (PEM file) for the Redis server's TLS certificate, e.g. a private CA. Unset: the system's CAs.",
  },
  PARLEY_REDIS_PREFIX: {
    key: 'redisPrefix',
    schema: z.string().min(1).max(64).default('parley:'),
    shown: '`parley:`',
    doc: 'Prefix of every Redis key and channel, so several deployments can share one Redis.',
  },
  PARLEY_NODE_ID: {
    key: 'nodeId',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, `.`, `_`, `-` (at most 64)')
      .optional(),
    shown: '(random)',
    doc: "This node's id in Redis; must be unique per running node. Random when unset (a restarted node is a new node).",
  },
  PARLEY_NODE_TTL_S: {
    key: 'nodeTtlS',
    schema: num(0.3, 3600).default(15),
    shown: '`15`',
    doc: 'With Redis: a node that has not refreshed its heartbeat for this long is dead; the other nodes then release its names, rooms and calls (peers get `peer.left` / `call.ended`) within about 1.3× this.',
  },
  PARLEY_AUTH_SECRET: {
    key: 'authSecret',
    schema: z
      .string()
      .refine((s) => Buffer.byteLength(s) >= 32, 'must be at least 32 bytes (e.g. `openssl rand -base64 48`)')
      .optional(),
    secret: true,
    shown: '(unset)',
    doc: 'Require an access token (JWT, HS256, signed with this secret) in every `hello`; missing, expired or forged → `UNAUTHORIZED`. At most one of this and `PARLEY_AUTH_PUBLIC_KEY`.',
  },
  PARLEY_AUTH_PUBLIC_KEY: {
    key: 'authPublicKey',
    schema: z
      .string()
      .refine(
        isEs256PublicKey,
        'must be a P-256 public key (SPKI PEM or JWK JSON) or the path of a file holding one',
      )
      .optional(),
    shown: '(unset)',
    doc: 'The same with ES256 tokens: the public key (PEM, JWK JSON, or a file path); the private key stays with the issuer.',
  },
  PARLEY_AUTH_ISSUER: {
    key: 'authIssuer',
    schema: z.string().optional(),
    shown: '(unset)',
    doc: 'When set, access tokens must carry this `iss`.',
  },
  PARLEY_AUTH_AUDIENCE: {
    key: 'authAudience',
    schema: z.string().optional(),
    shown: '(unset)',
    doc: 'When set, access tokens must carry this `aud`.',
  },
  PARLEY_ALLOWED_ORIGINS: {
    key: 'allowedOrigins',
    schema: z
      .string()
      .transform(splitList)
      .refine(isOriginList, 'entries must be scheme://host[:port], scheme://*.domain or *')
      .default([]),
    shown: '(empty: same host)',
    doc: 'Comma-separated origins whose pages may open the WebSocket (`https://app.example.com`, `https://*.example.com`, `*` for any); others get HTTP 403. Empty: only pages from the host name the request was sent to (any port; loopback names count as one host), so the app Parley serves works and other sites are refused. Clients without `Origin` (CLI, bots) always pass: a browser page cannot leave it out.',
  },
  PARLEY_TRUST_PROXY: {
    key: 'trustProxy',
    schema: z
      .string()
      .refine(isTrustSetting, 'entries must be loopback, private, addresses or CIDR ranges')
      .default(''),
    shown: '(empty)',
    doc: 'Proxies whose `X-Forwarded-For` names the client address (for per-address limits and logs): `loopback`, `private`, addresses, CIDR ranges. Empty: trust nobody.',
  },
  PARLEY_TLS_CERT: {
    key: 'tlsCert',
    schema: z
      .string()
      .transform((p) => resolve(p))
      .optional(),
    shown: '(unset)',
    doc: 'Serve HTTPS/WSS with this certificate (PEM, full chain); needs `PARLEY_TLS_KEY`.',
  },
  PARLEY_TLS_KEY: {
    key: 'tlsKey',
    schema: z
      .string()
      .transform((p) => resolve(p))
      .optional(),
    shown: '(unset)',
    doc: 'Private key (PEM) of `PARLEY_TLS_CERT`.',
  },
  PARLEY_HELLO_RATE_PER_S: {
    key: 'helloRatePerS',
    schema: num(0.001, 1_000_000).default(10),
    shown: '`10`',
    doc: '`hello` attempts per second per client address (fresh and resume); more get `RATE_LIMITED`. Slows name scanning and squatting.',
  },
  PARLEY_HELLO_BURST: {
    key: 'helloBurst',
    schema: int(1, 1_000_000).default(200),
    shown: '`200`',
    doc: '`hello` attempts one address may make at once: room for everyone behind one NAT resuming together after a restart.',
  },
  PARLEY_PASSWORD_RATE_PER_S: {
    key: 'passwordRatePerS',
    schema: num(0.001, 1_000_000).default(0.2),
    shown: '`0.2`',
    doc: 'Room password attempts per second per client address and room; more get `RATE_LIMITED` before any hashing. One address has 5 times this (and the burst) over all rooms together, which bounds the hashing it can cause.',
  },
  PARLEY_PASSWORD_BURST: {
    key: 'passwordBurst',
    schema: int(1, 1_000_000).default(10),
    shown: '`10`',
    doc: 'Room password attempts one address may make at once for one room.',
  },
  PARLEY_AUTH_MAX_TOKEN_AGE_S: {
    key: 'authMaxTokenAgeS',
    schema: int(60, 366 * 86_400).default(86_400),
    shown: '`86400`',
    doc: 'Longest lifetime an access token may have: tokens whose `exp` is more than this after their `iat` (or, without `iat`, after now) get `UNAUTHORIZED`, so a leaked token cannot stay useful for years.',
  },
  PARLEY_METRICS_FROM: {
    key: 'metricsFrom',
    schema: z
      .string()
      .refine(
        (v) => v.trim().toLowerCase() === 'any' || isTrustSetting(v),
        'must be any, or entries loopback, private, addresses or CIDR ranges',
      )
      .default('loopback'),
    shown: '`loopback`',
    doc: 'Client addresses that may read `/metrics` without a token: `loopback`, `private`, addresses, CIDR ranges, or `any`. Behind a proxy the address is the one `PARLEY_TRUST_PROXY` resolves; a proxied request from an untrusted proxy never counts as loopback. Others get 403.',
  },
  PARLEY_METRICS_TOKEN: {
    key: 'metricsToken',
    schema: z
      .string()
      .refine((s) => Buffer.byteLength(s) >= 16, 'must be at least 16 bytes (e.g. `openssl rand -base64 24`)')
      .optional(),
    secret: true,
    shown: '(unset)',
    doc: 'With it, `/metrics` is also served to any address that sends `Authorization: Bearer <this>` (a Prometheus on another host).',
  },
  PARLEY_HEADERS_TIMEOUT_MS: {
    key: 'headersTimeoutMs',
    schema: int(100, 600_000).default(10_000),
    shown: '`10000`',
    doc: 'Time a client has to send a complete request head (HTTP request or WebSocket upgrade); slower ones get 408 and are closed (slowloris).',
  },
  PARLEY_REQUEST_TIMEOUT_MS: {
    key: 'requestTimeoutMs',
    schema: int(100, 3_600_000).default(30_000),
    shown: '`30000`',
    doc: 'Time a client has to send a whole HTTP request, body included; at least `PARLEY_HEADERS_TIMEOUT_MS`.',
  },
  PARLEY_MAX_CONNECTIONS: {
    key: 'maxConnections',
    schema: int(1, 10_000_000).default(10_000),
    shown: '`10000`',
    doc: 'Open TCP connections (HTTP and WebSocket together) the node accepts; more are closed at once. Keep it under the process file limit (`LimitNOFILE`).',
  },
  PARLEY_MAX_SOCKETS_PER_IP: {
    key: 'maxSocketsPerIp',
    schema: int(1, 1_000_000).default(128),
    shown: '`128`',
    doc: "Open TCP connections per client address (IPv6: per /64), counted from the first byte, before any upgrade; more are closed at once. Connections from a trusted proxy (`PARLEY_TRUST_PROXY`) are not counted here (the proxy holds everyone's); behind one, `PARLEY_MAX_CONNS_PER_IP` still applies per real client.",
  },
} as const satisfies Record<string, VarSpec>;

export type ConfigVar = keyof typeof CONFIG_VARS;

/** The validated server configuration. Units are in the names. */
export interface Config {
  host: string;
  port: number;
  logLevel: LogLevel;
  webDir: string;
  maxFrameBytes: number;
  ratePerS: number;
  rateBurst: number;
  rateBytesPerS: number;
  rateBytesBurst: number;
  floodWindowMs: number;
  floodRatio: number;
  floodStrikes: number;
  rateLimitedReplies: number;
  maxConnsPerIp: number;
  maxRoomsPerSession: number;
  maxPeersPerRoom: number;
  maxSendBufferBytes: number;
  heartbeatMs: number;
  graceS: number;
  queueMax: number;
  queueMaxBytes: number;
  queueTotalBytes: number;
  helloTimeoutMs: number;
  ringTimeoutS: number;
  invitesPerPeerPerMin: number;
  drainMs: number;
  stunUrls: readonly string[];
  stunPort: number | 'off';
  stunHost: string;
  stunPublicUrl: string | undefined;
  stunRatePerS: number;
  stunBurst: number;
  stunGlobalPerS: number;
  turnUrls: readonly string[];
  turnSecret: string | undefined;
  turnTtlS: number;
  turnPerAddress: number;
  icePerMin: number;
  presence: boolean;
  janusUrls: readonly string[];
  janusApiSecret: string | undefined;
  janusAdminKey: string | undefined;
  janusTurnKey: string | undefined;
  sfuThreshold: number;
  sfuShrinkDelayS: number;
  sfuPrivateCandidates: 'auto' | 'drop' | 'allow';
  sfuBlockedCandidates: readonly string[];
  sfuMaxRooms: number;
  sfuRoomsPerSession: number;
  sfuRoomsPerIp: number;
  redisUrl: string | undefined;
  redisCaFile: string | undefined;
  redisPrefix: string;
  nodeId: string | undefined;
  nodeTtlS: number;
  authSecret: string | undefined;
  authPublicKey: string | undefined;
  authIssuer: string | undefined;
  authAudience: string | undefined;
  allowedOrigins: readonly string[];
  trustProxy: string;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  helloRatePerS: number;
  helloBurst: number;
  passwordRatePerS: number;
  passwordBurst: number;
  authMaxTokenAgeS: number;
  metricsFrom: string;
  metricsToken: string | undefined;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  maxSocketsPerIp: number;
}

/** Thrown by `loadConfig`; `problems` lists every invalid variable, one line each. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/**
 * Reads and validates the `PARLEY_*` variables of `env`, reporting every problem at once.
 * Empty values count as unset. The result is frozen.
 *
 * @example
 * const config = loadConfig({ PARLEY_PORT: '0', PARLEY_LOG_LEVEL: 'silent' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(CONFIG_VARS) as [ConfigVar, VarSpec][]) {
    const raw = env[name];
    const value = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
    const parsed = spec.schema.safeParse(value);
    if (parsed.success) out[spec.key] = parsed.data;
    else {
      const detail = parsed.error.issues.map((i) => i.message).join('; ');
      // Secrets are never echoed; any other value loses URL credentials (`scheme://user:pw@`).
      const shown = 'secret' in spec && spec.secret ? '(hidden)' : JSON.stringify(withoutUrlCredentials(raw));
      problems.push(`${name}=${shown}: ${detail}`);
    }
  }
  // Pairs and exclusions, reported with the rest.
  if (out.authSecret !== undefined && out.authPublicKey !== undefined) {
    problems.push('PARLEY_AUTH_SECRET and PARLEY_AUTH_PUBLIC_KEY: set at most one (HS256 or ES256)');
  }
  if (
    (out.tlsCert === undefined) !== (out.tlsKey === undefined) &&
    !problems.some((p) => p.startsWith('PARLEY_TLS_'))
  ) {
    problems.push('PARLEY_TLS_CERT and PARLEY_TLS_KEY: set both or neither');
  }
  if (
    typeof out.headersTimeoutMs === 'number' &&
    typeof out.requestTimeoutMs === 'number' &&
    out.requestTimeoutMs < out.headersTimeoutMs
  ) {
    problems.push('PARLEY_REQUEST_TIMEOUT_MS: must be at least PARLEY_HEADERS_TIMEOUT_MS');
  }
  if (out.redisCaFile !== undefined && !(out.redisUrl as string | undefined)?.startsWith('rediss://')) {
    problems.push('PARLEY_REDIS_CA_FILE: needs a rediss:// (TLS) PARLEY_REDIS_URL');
  }
  if (
    typeof out.rateBytesBurst === 'number' &&
    typeof out.maxFrameBytes === 'number' &&
    out.rateBytesBurst < out.maxFrameBytes
  ) {
    problems.push(
      'PARLEY_RATE_BYTES_BURST: must be at least PARLEY_MAX_FRAME_BYTES (else the largest frame never passes)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = out as unknown as Config;
  Object.freeze(config.stunUrls);
  Object.freeze(config.turnUrls);
  Object.freeze(config.janusUrls);
  Object.freeze(config.sfuBlockedCandidates);
  Object.freeze(config.allowedOrigins);
  return Object.freeze(config);
}

/** `redis://:pw@host` → `redis://***@host`, in every URL-looking part of `value`. */
function withoutUrlCredentials(value: string | undefined): string | undefined {
  return value?.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s,]*@/gi, '$1***@');
}

/** The README configuration table, generated from `CONFIG_VARS`. */
export function configTableMarkdown(): string {
  const rows = (Object.entries(CONFIG_VARS) as [ConfigVar, VarSpec][]).map(
    ([name, spec]) => `| \`${name}\` | ${spec.shown} | ${spec.doc} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
