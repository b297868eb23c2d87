/**
 * @parley/server/tools — the server's helpers for operator scripts (`npm run token`, `npm run
 * turn`, `npm run janus`): minting access tokens, this machine's LAN addresses, Janus's
 * configuration. A second, light face of the package: importing it does not load the server
 * (Redis client, metrics, the whole node), so the scripts start as fast as before; index.ts
 * re-exports the same names.
 */
export { type SignAccessTokenOptions, signAccessToken } from './auth/token-signer.ts';
export { DEFAULT_MAX_TOKEN_AGE_S } from './auth/tokens.ts';
export { findJanusLibDir, type JanusConfigOptions, writeJanusConfig } from './sfu/janus-config.ts';
export {
  lanIPv4Addresses,
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
  type SelfSignedOptions,
} from './tls/self-signed.ts';
