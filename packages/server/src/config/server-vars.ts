/**
 * The configuration variables of the node itself: where it listens, the per-connection frame
 * and rate limits, sessions (grace, queues, hello and ring timeouts) and shutdown. One entry per
 * variable: its schema (coercion and default), the `Config` key it fills, and its README text.
 *
 * May import: config/parsers.ts, log.ts and log-format.ts (the level and format names).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LOG_LEVELS } from '../log.ts';
import { LOG_FORMATS } from '../log-format.ts';
import { int, num, type VarSpec } from './parsers.ts';

/** The repository root (this file lives in packages/server/src/config/). */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Listening, frame and rate limits, sessions, shutdown. */
export const SERVER_VARS = {
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
  PARLEY_LOG_FORMAT: {
    key: 'logFormat',
    schema: z.enum(LOG_FORMATS).default('auto'),
    shown: '`auto`',
    doc: '`auto`: readable lines when stdout is a terminal (`npm start` in a shell), JSON otherwise; `json`: always one JSON object per line; `pretty`: always readable lines.',
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
  PARLEY_SERVE_SOURCE_MAPS: {
    key: 'serveSourceMaps',
    schema: z
      .enum(['on', 'off'])
      .default('off')
      .transform((v) => v === 'on'),
    shown: '`off`',
    doc: "Whether the web app's source maps (`*.map`, about 1.4 MB) are served, for debugging in the browser's developer tools; `off`: they answer 404.",
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
  PARLEY_ROOM_DATA_PER_S: {
    key: 'roomDataPerS',
    schema: num(0.1, 1_000_000).default(200),
    shown: '`200`',
    doc: 'Sustained `room.data` frames per second per sender (room channels relayed in SFU rooms). These frames count against this bucket instead of `PARLEY_RATE_PER_S`; over it they get `RATE_LIMITED`, and a flood is closed with `FLOODING` as for other frames. The SDK paces itself to it.',
  },
  PARLEY_ROOM_DATA_BURST: {
    key: 'roomDataBurst',
    schema: int(1, 1_000_000).default(400),
    shown: '`400`',
    doc: '`room.data` frames a sender may send at once.',
  },
  PARLEY_ROOM_DATA_BYTES_PER_S: {
    key: 'roomDataBytesPerS',
    schema: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
    shown: '`1048576`',
    doc: 'Sustained `room.data` bytes per second per sender (frame bytes; each is sent once per other member).',
  },
  PARLEY_ROOM_DATA_BYTES_BURST: {
    key: 'roomDataBytesBurst',
    schema: int(1024, 1024 * 1024 * 1024).default(2 * 1024 * 1024),
    shown: '`2097152`',
    doc: '`room.data` bytes a sender may send at once; at least `PARLEY_MAX_FRAME_BYTES`.',
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
  PARLEY_RELOAD_GRACE_S: {
    key: 'reloadGraceS',
    schema: num(0, 86_400).default(4),
    shown: '`4`',
    doc: 'Seconds a session keeps its name, rooms and call when its page said `leaving` before its socket dropped (a reload or a closed tab): long enough for a reload to resume, short enough that a closed tab frees its name quickly. Never longer than `PARLEY_GRACE_S`.',
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
} as const satisfies Record<string, VarSpec>;
