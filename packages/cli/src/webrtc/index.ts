/**
 * The Node WebRTC stack Parley's SDK runs on in the CLI: standards-shaped classes over
 * node-datachannel (libdatachannel). See rtc-peer-connection.ts for every difference handled.
 */
export { parseIceUrl, toNativeIceServers } from './ice-servers.ts';
export { BUFFERED_AMOUNT_POLL_MS, NodeRTCDataChannel } from './rtc-data-channel.ts';
export {
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  type NodePeerOptions,
  NodeRTCPeerConnection,
} from './rtc-peer-connection.ts';
export { NodeRTCIceCandidate, NodeRTCSessionDescription } from './rtc-session-description.ts';
