/**
 * The configuration variables of media: the built-in STUN server and other STUN/TURN servers
 * handed to clients, presence, and Janus (large rooms through the SFU).
 *
 * May import: config/parsers.ts, and the parsers of the services they configure (stun/, sfu/).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseStunPublicUrl } from '../stun/stun-url.ts';
import { iceUrlList, int, isBlockList, num, splitList, type VarSpec } from './parsers.ts';

/** STUN, TURN, presence, Janus and the SFU. */
export const MEDIA_VARS = {
  PARLEY_STUN_URLS: {
    key: 'stunUrls',
    schema: iceUrlList().default([]),
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
    schema: iceUrlList().default([]),
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
  PARLEY_PRESENCE_INTERVAL_MS: {
    key: 'presenceIntervalMs',
    schema: int(10, 10_000).default(250),
    shown: '`250`',
    doc: 'Presence changes are coalesced over this many milliseconds: a subscriber gets at most one `presence.changed` per interval, with every change in its view since the last.',
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
} as const satisfies Record<string, VarSpec>;
