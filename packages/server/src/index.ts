/**
 * @parley/server — the signaling server as a library. `main.ts` is the composition root that
 * reads the environment; tests and embedders call `createServer(loadConfig({...}))` directly.
 */
export type { CallRecord, CallState, CallStore, CreateCallResult } from './calls/call-store.ts';
export { MemoryCallStore } from './calls/call-store.ts';
export {
  CONFIG_VARS,
  type Config,
  ConfigError,
  type ConfigVar,
  configTableMarkdown,
  loadConfig,
} from './config.ts';
export type {
  Directory,
  NodeHandlers,
  RoomJoinOptions,
  RoomJoinResult,
  RoomState,
} from './directory/directory.ts';
export { MemoryDirectory } from './directory/memory.ts';
export type { Health } from './http/http-handler.ts';
export { createLogger, type Logger } from './log.ts';
export type { Metrics } from './metrics.ts';
export { createServer, type ParleyServer, type ServerDeps } from './server.ts';
export type { Authorizer, HelloRequest } from './session/authorizer.ts';
export type { HandlerHooks } from './session/connection-handler.ts';
export { iceServersFor, mintTurnCredentials, type TurnCredentials } from './turn/credentials.ts';
export { IceIssuer, type SessionIce, turnAddressId } from './turn/ice-issuer.ts';
export { TurnBudget } from './turn/turn-budget.ts';
