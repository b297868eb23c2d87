/**
 * The composition root: assembles one server node from a configuration — the directory, the
 * services (node/services.ts), the session lifecycle, the node handlers the directory calls, HTTP
 * (static app, health, metrics, ICE) and the WebSocket transport, whose connections each get a
 * `ConnectionHandler`. Everything is owned by the returned `ParleyServer` and released by its
 * idempotent `close()`, which drains first.
 *
 * May import: every layer below node, and the node's modules.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAccessControl } from '../auth/access-control.ts';
import type { Authorizer } from '../auth/authorizer.ts';
import { createAddressMatcher, createClientIpResolver } from '../auth/client-ip.ts';
import { LAG_SAMPLE_MS, LoginGate } from '../auth/login-gate.ts';
import { type CallStore, MemoryCallStore } from '../calls/call-store.ts';
import type { Config } from '../config/variables.ts';
import type { Directory } from '../directory/directory.ts';
import { MemoryDirectory } from '../directory/memory.ts';
import type { RedisDirectory } from '../directory/redis.ts';
import { createHttpHandler, type Health } from '../http/http-handler.ts';
import { createMetricsAccess } from '../http/metrics-access.ts';
import { createRecordingsEndpoint } from '../http/recordings-endpoint.ts';
import { createLogger, type Logger } from '../log.ts';
import { Metrics } from '../metrics.ts';
import { StunServer } from '../stun/stun-server.ts';
import { createPublicHostResolver, selfStunUrl } from '../stun/stun-url.ts';
import { loadTls } from '../tls/load-tls.ts';
import { guardSockets } from '../transport/socket-guard.ts';
import { WsTransport } from '../transport/ws-transport.ts';
import { janusTurnDisabledReason, janusTurnKeyMatches, janusTurnReply } from '../turn/janus-turn.ts';
import { errorFrame, frame } from '../wire/frames.ts';
import { ConnectionHandler, type HandlerContext, type HandlerHooks } from './connection-handler.ts';
import { nodeHandlers } from './node-handlers.ts';
import { createServices } from './services.ts';
import { SessionLifecycle } from './session-lifecycle.ts';

/** How long clients are told to wait before reconnecting after `server.draining`. */
const RECONNECT_AFTER_DRAIN_MS = 1000;

/** Optional collaborators; each defaults to the in-process implementation. */
export interface ServerDeps {
  /** Shared directory (e.g. Redis). Not closed by the server when injected. */
  directory?: Directory;
  /** Shared call state. */
  callStore?: CallStore;
  /** Root logger (default: pino to stdout at `config.logLevel`). */
  logger?: Logger;
  /** This node's id in the directory (default: a random UUID). */
  nodeId?: string;
  /**
   * Access control (token check on hello, room allow-list, Origin check on upgrade). Default:
   * the `AccessControl` the configuration describes (tokens, origins, per-address limits).
   */
  authorizer?: Authorizer;
  /**
   * Serve HTTPS/WSS with this certificate and key (PEM), e.g. the self-signed one of
   * `--https`. Default: `PARLEY_TLS_CERT`/`PARLEY_TLS_KEY` when set, else plain HTTP.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Test seams, e.g. a `beforeDispatch` that throws to provoke INTERNAL. */
  hooks?: HandlerHooks;
}

/** A running server node. */
export interface ParleyServer {
  /** `http://host:port`, or `https://` with TLS (the host as configured; `0.0.0.0`/`::` shown as `localhost`). */
  readonly url: string;
  /** `ws://host:port/ws`, or `wss://` with TLS. */
  readonly wsUrl: string;
  /** The port actually bound (useful with `PARLEY_PORT=0`). */
  readonly port: number;
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly directory: Directory;
  readonly nodeId: string;
  readonly httpServer: Server;
  /** The built-in STUN server (`status`, and `port` when it runs). */
  readonly stun: StunServer;
  /** Current health, as served at `/healthz`. */
  health(): Promise<Health>;
  /**
   * Graceful shutdown (idempotent): refuse new upgrades (503), send `server.draining` and
   * close every socket with SHUTTING_DOWN (4012), wait up to `drainMs`, then stop HTTP.
   */
  close(): Promise<void>;
}

/**
 * Creates and starts a server node listening on `config.host:config.port`.
 *
 * @example
 * const server = await createServer(loadConfig({ PARLEY_PORT: '0' }));
 * console.log(server.wsUrl);
 * await server.close();
 */
export async function createServer(config: Readonly<Config>, deps: ServerDeps = {}): Promise<ParleyServer> {
  const log = deps.logger ?? createLogger(config.logLevel);
  // Certificates and keys first: a bad file should fail before anything is connected.
  const tls =
    deps.tls ??
    (config.tlsCert !== undefined && config.tlsKey !== undefined
      ? loadTls({ certFile: config.tlsCert, keyFile: config.tlsKey })
      : undefined);
  if (!deps.tls && tls && 'notAfter' in tls)
    log.info({ hosts: tls.hosts, notAfter: tls.notAfter }, 'tls certificate loaded');
  const access = deps.authorizer ? undefined : await createAccessControl(config);
  const authorizer: Authorizer = deps.authorizer ?? access!;
  const clientIp = createClientIpResolver(config.trustProxy);
  log.info(
    {
      tokens: config.authSecret ? 'HS256' : config.authPublicKey ? 'ES256' : 'off',
      origins: config.allowedOrigins.length > 0 ? config.allowedOrigins : 'same host',
      metrics: config.metricsFrom + (config.metricsToken ? ' or token' : ''),
      trustProxy: config.trustProxy || 'none',
    },
    'access control',
  );
  const ownsDirectory = !deps.directory;
  const nodeId = deps.nodeId ?? config.nodeId ?? randomUUID();
  let metricsLate: Metrics | undefined;
  // With PARLEY_REDIS_URL, names, rooms, calls and parked sessions live in Redis (many nodes).
  // The Redis modules (and ioredis, about 20 MiB resident) are loaded only then, or when the
  // injected directory may be a RedisDirectory (then ioredis is loaded already).
  const redisModules = (deps.directory ? !(deps.directory instanceof MemoryDirectory) : config.redisUrl)
    ? await loadRedisModules()
    : undefined;
  const directory =
    deps.directory ??
    (redisModules && config.redisUrl
      ? await redisModules.RedisDirectory.connect({
          url: config.redisUrl,
          prefix: config.redisPrefix,
          nodeTtlMs: Math.round(config.nodeTtlS * 1000),
          queueMax: config.queueMax,
          queueMaxBytes: config.queueMaxBytes,
          // Metrics need the directory (room count), so they are reached late.
          onParkedDrop: (count) => metricsLate?.queueDropped.labels('parked').inc(count),
          log: log.child({ component: 'redis' }),
          // Password and TLS come from the URL; a private CA from PARLEY_REDIS_CA_FILE.
          redis: redisModules.redisConnectionOptions({
            redisUrl: config.redisUrl,
            redisCaFile: config.redisCaFile,
          }),
        })
      : new MemoryDirectory());
  const redis: RedisDirectory | undefined =
    redisModules && directory instanceof redisModules.RedisDirectory ? directory : undefined;
  if (redis) log.info({ nodeId, prefix: redis.prefix }, 'directory: redis');
  const callStore =
    deps.callStore ??
    (redis && redisModules
      ? new redisModules.RedisCallStore(redis.client, redis.prefix)
      : new MemoryCallStore());
  // While a shared directory is unreachable the room count is unknown (NaN), and /metrics still
  // answers, which is when operators need it most.
  const metrics = new Metrics(() => directory.roomCount().catch(() => Number.NaN));
  metricsLate = metrics;
  if (redis) {
    metrics.watchCluster(() => redis.reapStats());
    redis.observeRoundTrips((seconds) => metrics.redisRtt?.observe(seconds));
  }
  // The built-in STUN server (bound below, before HTTP, so the first welcome lists it).
  const stun = new StunServer(config, log.child({ component: 'stun' }), metrics);
  const publicHost = createPublicHostResolver(config.trustProxy);
  const services = createServices({
    selfStun: (host) =>
      stun.status === 'running' ? selfStunUrl(host, stun.port!, config.stunPublicUrl) : undefined,
    config,
    log,
    metrics,
    directory,
    callStore,
    authorizer,
  });
  const lifecycle = new SessionLifecycle({
    config,
    metrics,
    directory,
    nodeId,
    services,
    authorizer,
    handoff: redis,
    log,
  });
  // Registers this node with the directory (routing and presence), then starts the SFU links.
  await directory.attachNode(nodeId, nodeHandlers({ services, lifecycle, metrics, log }));
  services.sfu?.start();
  await services.recorder?.resume();
  /** Ends (or, with shared storage, parks) every session, then unregisters the node. */
  const stopSessions = async () => {
    services.calls.close();
    services.presence.close();
    // Recordings stop before the sessions end (and their Janus rooms with them).
    await services.recorder?.close();
    await lifecycle.close();
    await services.sfu?.close();
    await directory.detachNode(nodeId);
  };

  const startedAt = Date.now();
  let draining = false;
  let transport: WsTransport | undefined;

  const health = async (): Promise<Health> => {
    const directoryOk = await directory.healthy().catch(() => false);
    const sfu = services.sfu?.status() ?? 'off';
    // Parked sessions not reaped a grace period after theirs ended: names stay taken too long.
    const reaper = redis ? reaperHealth(redis.reapStats(), config.graceS) : undefined;
    const ok = directoryOk && sfu !== 'unreachable' && reaper !== 'behind';
    const h: Health = {
      status: draining ? 'draining' : ok ? 'ok' : 'degraded',
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
      sessions: services.registry.size,
      connections: transport?.connections.size ?? 0,
      directory: directoryOk ? 'ok' : 'unreachable',
    };
    // Only reported with Janus configured, so the body of an SFU-less server is unchanged.
    if (sfu !== 'off') h.sfu = sfu;
    if (reaper) h.reaper = reaper;
    // The built-in STUN server: `unavailable` when its port could not be bound (calls then only
    // connect within one network unless other STUN/TURN servers are configured).
    if (config.stunPort !== 'off') h.stun = stun.status === 'running' ? 'ok' : 'unavailable';
    return h;
  };

  // Janus's own TURN credentials (POST /janus/turn): only with its key, a TURN secret and URLs.
  const janusTurnOff = janusTurnDisabledReason(config);
  if (config.janusTurnKey && janusTurnOff) log.warn({ reason: janusTurnOff }, 'janus turn endpoint off');
  const handler = createHttpHandler({
    webDir: config.webDir,
    serveSourceMaps: config.serveSourceMaps,
    metrics,
    log,
    health,
    tls: tls !== undefined,
    metricsAllowed: createMetricsAccess({
      from: config.metricsFrom,
      token: config.metricsToken,
      trustProxy: config.trustProxy,
      clientIp,
    }),
    // GET /ice: rate-limited per address, TURN credentials under the address's budget, and
    // with access tokens only for `Authorization: Bearer <token>` (everyone else: STUN only).
    ice: (req) =>
      services.ice.forSelfTest(
        { ip: clientIp(req), host: publicHost(req) },
        async () => !access || (await access.iceAllowed(req.headers.authorization)),
      ),
    recordings: createRecordingsEndpoint(
      config.recordingsToken,
      services.recorder?.store,
      services.recordingLinks,
    ),
    ...(janusTurnOff
      ? {}
      : {
          janusTurn: {
            keyMatches: (key: string | undefined) => janusTurnKeyMatches(config, key),
            mint: (user: string | undefined) => janusTurnReply(config, user),
          },
        }),
  });
  // Slowloris: a request head must arrive within headersTimeoutMs (Node checks every
  // connectionsCheckingInterval, so that bounds the overshoot), a whole request within
  // requestTimeoutMs, a TLS handshake within headersTimeoutMs as well.
  const timeouts = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.headersTimeoutMs / 4))),
  };
  const http: Server = tls
    ? createHttpsServer(
        { cert: tls.cert, key: tls.key, handshakeTimeout: config.headersTimeoutMs, ...timeouts },
        handler,
      )
    : createHttpServer(timeouts, handler);
  guardSockets(
    http,
    {
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxSocketsPerIp,
      exempt: createAddressMatcher(config.trustProxy, 'trusted proxy'),
    },
    log,
    metrics,
  );
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A request head or body that did not arrive in time (headersTimeout/requestTimeout): 408.
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  const loginGate = new LoginGate({
    ratePerS: config.loginRatePerS,
    burst: config.loginBurst,
    lagTargetMs: config.loginLagMs,
  });
  // The gate's view of how late this node runs (a resume storm under relay load).
  const loopDelay = config.loginLagMs > 0 ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  loopDelay?.enable();
  const lagTimer =
    loopDelay &&
    setInterval(() => {
      loginGate.observeLag(loopDelay.percentile(99) / 1e6);
      loopDelay.reset();
    }, LAG_SAMPLE_MS);
  lagTimer?.unref();
  const handlerContext: HandlerContext = {
    lifecycle,
    services,
    config,
    metrics,
    hooks: deps.hooks,
    loginGate,
  };
  const checkUpgrade = authorizer.upgrade?.bind(authorizer);
  transport = new WsTransport(
    http,
    { ...config, checkUpgrade, clientIp, publicHost },
    log,
    metrics,
    (conn) => {
      const connLog = log.child({ cid: conn.id });
      if (connLog.isLevelEnabled('debug')) connLog.debug({ ip: conn.ip }, 'connection opened');
      new ConnectionHandler(conn, handlerContext, connLog);
    },
  );

  // A taken STUN port is logged and leaves STUN off; the rest of the server runs regardless.
  await stun.start();
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Could not bind: release what was already set up before reporting.
    clearInterval(lagTimer);
    loopDelay?.disable();
    transport.close();
    await stopSessions();
    await stun.close();
    if (ownsDirectory) await directory.close();
    throw err;
  }
  http.on('error', (err) => log.error({ err }, 'http server error'));

  const port = (http.address() as AddressInfo).port;
  const shownHost =
    config.host === '0.0.0.0' || config.host === '::'
      ? 'localhost'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      const t = transport!;
      t.startDraining();
      const shutdownFrame = errorFrame('SHUTTING_DOWN', 'the server is shutting down; reconnect shortly');
      const open = [...t.connections];
      for (const conn of open) {
        // Each client its own moment, spread over the time a node needs to admit them all
        // (auth/login-gate.ts): a restart is not followed by everyone in the same second.
        const drainingFrame = frame({
          type: 'server.draining',
          reconnectMs: RECONNECT_AFTER_DRAIN_MS + loginGate.spreadMs(open.length),
        });
        metrics.frameOut(drainingFrame.type);
        conn.send(drainingFrame.text);
        metrics.frameOut(shutdownFrame.type);
        metrics.errors.labels('SHUTTING_DOWN').inc();
        conn.send(shutdownFrame.text);
        conn.closeFor('SHUTTING_DOWN');
      }
      log.info({ connections: open.length, drainMs: config.drainMs }, 'draining');
      await t.waitForClose(config.drainMs);
      clearInterval(lagTimer);
      loopDelay?.disable();
      t.close();
      await stopSessions();
      await stun.close();
      if (ownsDirectory) await directory.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      log.info('closed');
    })();
    return closing;
  };

  return {
    url,
    wsUrl: `${tls ? 'wss' : 'ws'}://${shownHost}:${port}/ws`,
    port,
    config,
    log,
    metrics,
    directory,
    nodeId,
    httpServer: http,
    stun,
    health,
    close,
  };
}

/** The Redis directory, its connection options and the Redis call store (all need ioredis). */
async function loadRedisModules() {
  const [{ RedisDirectory }, { redisConnectionOptions }, { RedisCallStore }] = await Promise.all([
    import('../directory/redis.ts'),
    import('../directory/redis-connection.ts'),
    import('../calls/redis-call-store.ts'),
  ]);
  return { RedisDirectory, redisConnectionOptions, RedisCallStore };
}

/**
 * `behind` when the oldest parked session past its grace has waited longer than another grace
 * period (at least a second) to be reaped (figures read by the reaper's probe once a second).
 */
function reaperHealth(stats: { backlogAgeMs: number }, graceS: number): 'ok' | 'behind' {
  return stats.backlogAgeMs > Math.max(1000, graceS * 1000) ? 'behind' : 'ok';
}
