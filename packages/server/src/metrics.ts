/**
 * Prometheus metrics, in a registry of their own per server instance so that several servers in
 * one process (tests, clusters) never share counters. Labelled children used on the hot path
 * are looked up once and cached.
 */
import {
  CLIENT_MESSAGE_TYPES,
  type ClientMessageType,
  SERVER_MESSAGE_TYPES,
  type ServerMessageType,
} from '@parley/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type CounterChild = ReturnType<Counter<'type'>['labels']>;

/** What a shared directory reports about parked sessions and itself (directory/redis-reaper.ts). */
export interface ClusterFigures {
  /** Parked sessions cluster-wide. */
  readonly parked: number;
  /** Parked sessions past their grace, not reaped yet. */
  readonly backlog: number;
  /** How long the oldest of those is past its grace (ms). */
  readonly backlogAgeMs: number;
  /** Sessions this node reaped since it started. */
  readonly reaped: number;
}

/** Every metric the server exports at `GET /metrics`. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly sessions: Gauge;
  readonly rooms: Gauge;
  readonly framesIn: Counter<'type'>;
  readonly framesOut: Counter<'type'>;
  readonly errors: Counter<'code'>;
  readonly relayLatency: Histogram;
  readonly queued: Gauge;
  readonly queuedBytes: Gauge;
  readonly queueDropped: Counter<'reason'>;
  readonly rateLimitedSilent: Counter;
  /** Lossy `room.data` frames not sent to a backed-up or absent recipient. */
  readonly roomDataDropped: Counter;
  readonly resumes: Counter;
  readonly socketsRefused: Counter<'reason'>;
  /** TURN credentials handed out or withheld (see turn/ice-issuer.ts). */
  readonly turnCredentials: Counter<'via' | 'result'>;
  /** `GET /ice` requests refused with 429. */
  readonly iceRateLimited: Counter;
  /** Datagrams at the built-in STUN server, by what became of them (see stun/stun-server.ts). */
  readonly stunRequests: Counter<'result'>;
  /** Redis round trips (a PING once a second); registered by `watchCluster`. */
  redisRtt: Histogram | undefined;
  readonly #in = new Map<string, CounterChild>();
  readonly #out = new Map<string, CounterChild>();

  /** `countRooms` is asked at scrape time (the directory owns rooms). */
  constructor(countRooms: () => Promise<number>) {
    const registers = [this.registry];
    this.connections = new Gauge({
      name: 'parley_connections',
      help: 'Open WebSocket connections.',
      registers,
    });
    this.sessions = new Gauge({
      name: 'parley_sessions',
      help: 'Sessions on this node (live or in resume grace).',
      registers,
    });
    this.rooms = new Gauge({
      name: 'parley_rooms',
      help: 'Non-empty rooms in the directory.',
      registers,
      async collect() {
        this.set(await countRooms());
      },
    });
    this.framesIn = new Counter({
      name: 'parley_frames_in_total',
      help: 'Frames received, by message type (invalid frames count as "invalid").',
      labelNames: ['type'],
      registers,
    });
    this.framesOut = new Counter({
      name: 'parley_frames_out_total',
      help: 'Frames sent or queued for a session, by message type.',
      labelNames: ['type'],
      registers,
    });
    this.errors = new Counter({
      name: 'parley_errors_total',
      help: 'Error frames sent (and connections closed for an error), by error code.',
      labelNames: ['code'],
      registers,
    });
    this.relayLatency = new Histogram({
      name: 'parley_relay_latency_seconds',
      help: 'Time from receiving a signal or room message to sending the relayed frame.',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    });
    this.queued = new Gauge({
      name: 'parley_queued_messages',
      help: 'Frames waiting in the queues of sessions in resume grace.',
      registers,
    });
    this.queuedBytes = new Gauge({
      name: 'parley_queued_bytes',
      help: 'Bytes waiting in the queues of sessions in resume grace on this node (bounded by PARLEY_QUEUE_TOTAL_BYTES).',
      registers,
    });
    this.queueDropped = new Counter({
      name: 'parley_queue_dropped_total',
      help:
        'Frames for sessions in grace dropped, by reason: "frames" (PARLEY_QUEUE_MAX, oldest dropped), "bytes" ' +
        '(PARLEY_QUEUE_MAX_BYTES, oldest dropped), "node_bytes" (PARLEY_QUEUE_TOTAL_BYTES, the new frame dropped), ' +
        '"parked" (the same per-session budgets applied to a session parked in Redis).',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimitedSilent = new Counter({
      name: 'parley_rate_limited_silent_total',
      help: 'Frames refused by the rate limits without a RATE_LIMITED reply (past PARLEY_RATE_LIMITED_REPLIES in the window).',
      registers,
    });
    this.roomDataDropped = new Counter({
      name: 'parley_room_data_dropped_total',
      help:
        'Lossy room.data frames dropped for a recipient whose socket held more than a quarter of ' +
        'PARLEY_MAX_SEND_BUFFER_BYTES, or who was in grace (never queued).',
      registers,
    });
    this.resumes = new Counter({
      name: 'parley_resumes_total',
      help: 'Sessions resumed with their token.',
      registers,
    });
    this.socketsRefused = new Counter({
      name: 'parley_sockets_refused_total',
      help: 'TCP connections closed on accept: over PARLEY_MAX_SOCKETS_PER_IP for their address (per_address) or over PARLEY_MAX_CONNECTIONS (max_connections).',
      labelNames: ['reason'],
      registers,
    });
    this.turnCredentials = new Counter({
      name: 'parley_turn_credentials_total',
      help: 'TURN credentials minted or withheld (per-address budget full, or no token for /ice), by where they were asked for (welcome, refresh, ice).',
      labelNames: ['via', 'result'],
      registers,
    });
    this.iceRateLimited = new Counter({
      name: 'parley_ice_rate_limited_total',
      help: 'GET /ice requests refused with 429 (per-address rate limit).',
      registers,
    });
    this.stunRequests = new Counter({
      name: 'parley_stun_requests_total',
      help: 'Datagrams at the built-in STUN server: answered, rate_limited (per address or overall), oversized, malformed, unsupported (not a plain Binding request); only answered ones get a reply.',
      labelNames: ['result'],
      registers,
    });
    for (const r of ['answered', 'rate_limited', 'oversized', 'malformed', 'unsupported'])
      this.stunRequests.labels(r).inc(0);
    for (const t of CLIENT_MESSAGE_TYPES) this.#in.set(t, this.framesIn.labels(t));
    this.#in.set('invalid', this.framesIn.labels('invalid'));
    for (const t of SERVER_MESSAGE_TYPES) this.#out.set(t, this.framesOut.labels(t));
  }

  /**
   * Adds the metrics of a shared directory (Redis): parked sessions, the reap backlog and its
   * age, sessions reaped by this node, and the Redis round trip (observe `redisRtt`).
   */
  watchCluster(figures: () => Readonly<ClusterFigures>): void {
    const registers = [this.registry];
    new Gauge({
      name: 'parley_parked_sessions',
      help: 'Sessions parked in Redis for a resume (all nodes): their socket dropped and their grace runs.',
      registers,
      collect() {
        this.set(figures().parked);
      },
    });
    new Gauge({
      name: 'parley_reap_backlog',
      help: 'Parked sessions whose grace has ended but that are not reaped yet (all nodes); their names are still taken.',
      registers,
      collect() {
        this.set(figures().backlog);
      },
    });
    new Gauge({
      name: 'parley_reap_backlog_age_seconds',
      help: 'How long the oldest parked session past its grace has waited to be reaped (0: no backlog). /healthz is degraded past PARLEY_GRACE_S.',
      registers,
      collect() {
        this.set(figures().backlogAgeMs / 1000);
      },
    });
    let counted = 0;
    new Counter({
      name: 'parley_reaped_total',
      help: 'Parked sessions this node ended because their grace ran out (names, rooms and calls released).',
      registers,
      collect() {
        const now = figures().reaped;
        this.inc(now - counted);
        counted = now;
      },
    });
    this.redisRtt = new Histogram({
      name: 'parley_redis_roundtrip_seconds',
      help: 'Round trip of a PING to Redis, once a second per node.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
      registers,
    });
  }

  /** Counts a received frame. */
  frameIn(type: ClientMessageType | 'invalid'): void {
    this.#in.get(type)?.inc();
  }

  /** Counts a sent (or queued) frame. */
  frameOut(type: ServerMessageType): void {
    this.#out.get(type)?.inc();
  }
}
