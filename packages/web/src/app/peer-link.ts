/**
 * The app's link to one peer session — its chat channel, file transfers, stats, and the timer
 * that tells the UI when the peer has not become reachable — is the SDK's {@link PeerLink},
 * shared with the CLI. Re-exported here so the app's modules keep importing it from one place.
 */
export { PeerLink, UNREACHABLE_AFTER_MS } from '@parley/client';
