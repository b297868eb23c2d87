/**
 * How a node connects to Redis: the ioredis options for `PARLEY_REDIS_URL` (password and TLS come
 * from the URL: `rediss://:password@host:port`; a Sentinel deployment from
 * `redis+sentinel://…`, redis-url.ts) plus a private CA (`PARLEY_REDIS_CA_FILE`), and a readable
 * reason when the connection fails (wrong password, untrusted certificate…).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AbstractConnector, RedisOptions } from 'ioredis';
import { isSentinelUrl, parseSentinelUrl } from './redis-url.ts';

/** What this file uses of ioredis's connector for a plain host:port connection. */
type Connect = AbstractConnector['connect'];
type ConnectorClass = new (
  options: unknown,
) => {
  connect(emitter: Parameters<Connect>[0]): ReturnType<Connect>;
};

// ioredis's own connector, loaded the CommonJS way (it is not part of the package's index).
const StandaloneConnector = (
  createRequire(import.meta.url)('ioredis/built/connectors/StandaloneConnector.js') as {
    default: ConnectorClass;
  }
).default;

/**
 * ioredis listens for a single `error` per socket (`once`), but a TLS socket whose handshake
 * fails (an untrusted certificate) emits a second one when the server's alert arrives: unheard,
 * it would crash the process. This connector keeps a listener on every socket for its whole
 * life; ioredis still hears (and reports) the first error as before.
 */
class GuardedConnector extends StandaloneConnector {
  override async connect(emitter: Parameters<Connect>[0]) {
    const stream = await super.connect(emitter);
    stream.on('error', () => {});
    return stream;
  }
}

/** What `redisConnectionOptions` reads. */
export interface RedisConnectionConfig {
  readonly redisUrl: string;
  /** PEM file of the CA to trust for `rediss://` (absolute path). */
  readonly redisCaFile?: string | undefined;
}

/**
 * ioredis options for the configured Redis. Reads the CA file now, so a missing or unreadable
 * file is reported at startup (the error names the variable and the path, never the URL).
 */
export function redisConnectionOptions(config: RedisConnectionConfig): RedisOptions {
  const sentinel = isSentinelUrl(config.redisUrl);
  // Sentinel mode keeps ioredis's own SentinelConnector (it asks the sentinels for the primary).
  const options: RedisOptions = sentinel
    ? {}
    : { Connector: GuardedConnector as unknown as RedisOptions['Connector'] };
  if (config.redisCaFile !== undefined) {
    let ca: Buffer;
    try {
      ca = readFileSync(config.redisCaFile);
    } catch (err) {
      throw new Error(`PARLEY_REDIS_CA_FILE: cannot read ${config.redisCaFile}: ${(err as Error).message}`);
    }
    if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----'))
      throw new Error(`PARLEY_REDIS_CA_FILE: ${config.redisCaFile} holds no PEM certificate`);
    // Only this CA: a private Redis deployment should not trust every public CA as well.
    options.tls = { ca };
    if (sentinel) options.sentinelTLS = { ca };
  }
  return options;
}

/**
 * The ioredis options that make a connection follow a Sentinel-managed primary, or undefined
 * for a plain `redis://` URL. Writes that reach a demoted primary (READONLY) make the connection
 * ask the sentinels again.
 */
export function sentinelOptions(url: string): RedisOptions | undefined {
  if (!isSentinelUrl(url)) return undefined;
  const t = parseSentinelUrl(url);
  if ('problem' in t) throw new Error(`PARLEY_REDIS_URL: ${t.problem}`);
  return {
    sentinels: t.sentinels,
    name: t.name,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}),
    db: t.db,
    ...(t.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    role: 'master',
    // Hears `+switch-master` from the sentinels and reconnects at once, instead of waiting for
    // the old primary's socket to fail.
    failoverDetector: true,
    sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    reconnectOnError: (err: Error) => /READONLY/.test(err.message),
  };
}

/**
 * A sentence an operator can act on for a Redis connection error (what ioredis or TLS said,
 * plus the likely fix). Never includes the URL or the password.
 */
export function explainRedisError(message: string): string {
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message))
    return `${message} (check the password in PARLEY_REDIS_URL)`;
  if (
    /certificate|self[- ]signed|unable to (get|verify)|CERT_/i.test(message) &&
    !/altname|does not match/i.test(message)
  )
    return `${message} (the Redis server's TLS certificate is not trusted: set PARLEY_REDIS_CA_FILE to the CA that signed it)`;
  if (/altname|Hostname\/IP does not match/i.test(message))
    return `${message} (the Redis server's certificate does not name the host in PARLEY_REDIS_URL)`;
  if (/wrong version number|packet length too long|ECONNRESET|EPROTO/i.test(message))
    return `${message} (does the server speak TLS? rediss:// is TLS, redis:// is plain)`;
  return message;
}
