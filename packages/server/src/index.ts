/**
 * @parley/server — the signaling server as a library. `main.ts` is the process entry that reads
 * the environment; `createServer` (node/server.ts) is the composition root that tests and
 * embedders call directly with `createServer(loadConfig({...}))`. The repository's scripts and
 * benchmarks import from here (or from the light `@parley/server/tools`), never a file inside.
 */
export type { AccessContext } from './auth/access-control.ts';
export type { Authorizer, HelloRequest } from './auth/authorizer.ts';
export type { CallRecord, CallState, CallStore, CreateCallResult } from './calls/call-store.ts';
export { MemoryCallStore } from './calls/call-store.ts';
export { ConfigError, loadConfig } from './config/load-config.ts';
export { configTableMarkdown } from './config/readme-table.ts';
export { CONFIG_VARS, type Config, type ConfigVar } from './config/variables.ts';
export type {
  Directory,
  NodeHandlers,
  RoomJoinOptions,
  RoomJoinResult,
  RoomState,
} from './directory/directory.ts';
export { MemoryDirectory } from './directory/memory.ts';
export type { RedisDirectory, RedisDirectoryOptions } from './directory/redis.ts';
export type { Health } from './http/http-handler.ts';
export { createLogger, type Logger, type LogLevel } from './log.ts';
export type { Metrics } from './metrics.ts';
export type { HandlerHooks } from './node/connection-handler.ts';
export { createServer, type ParleyServer, type ServerDeps } from './node/server.ts';
export { findJanusLibDir, type JanusConfigOptions, writeJanusConfig } from './sfu/janus-config.ts';
export {
  lanIPv4Addresses,
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  type SelfSignedOptions,
} from './tls/self-signed.ts';
// The helpers of operator scripts (also importable alone as `@parley/server/tools`).
export * from './tools.ts';
export { iceServersFor, mintTurnCredentials, type TurnCredentials } from './turn/credentials.ts';
export { IceIssuer, type SessionIce, turnAddressId } from './turn/ice-issuer.ts';
export { TurnBudget } from './turn/turn-budget.ts';
/**
 * Connects a Redis directory outside a server (benchmarks, tools). ioredis is loaded only when
 * this is called, so importing the package stays as light as before.
 */
export async function connectRedisDirectory(
  options: import('./directory/redis.ts').RedisDirectoryOptions,
): Promise<import('./directory/redis.ts').RedisDirectory> {
  const { RedisDirectory } = await import('./directory/redis.ts');
  return RedisDirectory.connect(options);
}
