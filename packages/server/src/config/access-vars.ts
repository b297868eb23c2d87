/**
 * The configuration variables of clustering and access: Redis, access tokens, allowed origins,
 * trusted proxies, TLS, the per-address abuse limits, `/metrics` access and HTTP timeouts.
 *
 * May import: config/parsers.ts (whose validators reuse the auth/ policies' own parsers).
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { isSentinelUrl, parseSentinelUrl } from '../directory/redis-url.ts';
import {
  int,
  isEs256PublicKey,
  isOriginList,
  isTrustSetting,
  num,
  splitList,
  type VarSpec,
} from './parsers.ts';

/** Redis, tokens, origins, proxies, TLS, abuse limits, metrics access, HTTP timeouts. */
export const ACCESS_VARS = {
  PARLEY_REDIS_URL: {
    key: 'redisUrl',
    schema: z
      .string()
      .regex(
        /^rediss?(\+sentinel)?:\/\//,
        'must start with redis://, rediss://, redis+sentinel:// or rediss+sentinel://',
      )
      .superRefine((url, ctx) => {
        if (!isSentinelUrl(url)) return;
        const target = parseSentinelUrl(url);
        if ('problem' in target) ctx.addIssue({ code: 'custom', message: target.problem });
      })
      .optional(),
    // It may carry the Redis password (`redis://:password@host`).
    secret: true,
    shown: '(unset)',
    doc: 'Redis shared by several nodes (`redis://[:password@]host:port[/db]`, `rediss://` for TLS): names, rooms, calls, routing and resumable sessions span every node. With Redis Sentinel: `redis+sentinel://[:password@]host:port,host:port/mastername[/db][?sentinelPassword=…]` — nodes follow a promoted replica without a restart (docs/DEPLOY.md). Unset: one node, state in memory.',
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
  PARLEY_OPENSSL: {
    key: 'openssl',
    schema: z.string().min(1).default('openssl'),
    shown: '`openssl`',
    doc: 'The `openssl` command `npm start -- --https` runs to make its self-signed certificate: a path when it is not on `PATH`.',
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
  PARLEY_LOGIN_RATE_PER_S: {
    key: 'loginRatePerS',
    schema: num(1, 1_000_000).default(300),
    shown: '`300`',
    doc: 'Logins (`hello`, fresh or resume) this node admits per second from all addresses together; past it they get `BUSY` with a `retryMs` that spreads the crowd out (a reconnect storm after a restart). Draining tells clients to come back spread over the time this rate needs.',
  },
  PARLEY_LOGIN_BURST: {
    key: 'loginBurst',
    schema: int(1, 10_000_000).default(600),
    shown: '`600`',
    doc: 'Logins this node admits at once when it was quiet, before `PARLEY_LOGIN_RATE_PER_S` applies.',
  },
  PARLEY_LOGIN_LAG_MS: {
    key: 'loginLagMs',
    schema: int(0, 60_000).default(100),
    shown: '`100`',
    doc: 'During a reconnect storm (logins past `PARLEY_LOGIN_RATE_PER_S`), the event-loop delay (p99 over 250 ms) past which this node halves the share of that rate it admits, down to a tenth, and grows it back by a tenth per 250 ms within it: a node busy relaying admits only what it can carry. `0` turns it off.',
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
