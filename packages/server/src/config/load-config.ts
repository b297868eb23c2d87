/**
 * `loadConfig`: reads the `PARLEY_*` variables, validates them against their schemas
 * (variables.ts), reports every problem in one `ConfigError`, and freezes the result. This is the
 * only module that reads `process.env`; everything else receives the `Config` object.
 *
 * May import: this folder.
 */

import type { VarSpec } from './parsers.ts';
import { CONFIG_VARS, type Config, type ConfigVar } from './variables.ts';

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
  if (
    out.redisCaFile !== undefined &&
    !/^rediss(\+sentinel)?:\/\//.test((out.redisUrl as string | undefined) ?? '')
  ) {
    problems.push('PARLEY_REDIS_CA_FILE: needs a rediss:// (TLS) PARLEY_REDIS_URL (or rediss+sentinel://)');
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
  if (
    typeof out.roomDataBytesBurst === 'number' &&
    typeof out.maxFrameBytes === 'number' &&
    out.roomDataBytesBurst < out.maxFrameBytes
  ) {
    problems.push('PARLEY_ROOM_DATA_BYTES_BURST: must be at least PARLEY_MAX_FRAME_BYTES');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = out as Config;
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
