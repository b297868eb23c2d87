/**
 * Parley's client SDK: signaling, perfect negotiation, calls by name, mesh rooms, media
 * controls. Start with {@link connect}. See docs/SDK.md.
 *
 * The public face: what apps build on (the client, calls, rooms, peer sessions and their
 * features, media, errors and their typed reasons, logging and the seams for Node). Internal
 * machinery — the command queue, the outbox, the negotiation decisions, the SFU layer-choice
 * math — stays in its modules; the SDK's own unit tests import those by path.
 *
 * @example
 * ```ts
 * import { connect } from '@parley/client';
 * const client = await connect('wss://parley.example/ws', { name: 'alice' });
 * client.on('incoming', (call) => call.accept());
 * const call = await client.call('bob');
 * call.on('track', (track, stream) => (video.srcObject = stream));
 * ```
 */
export type {
  CallEndReason,
  CallReach,
  ErrorCode,
  ErrorReason,
  JsonValue,
  PeerLeftReason,
  RoomLimits,
  RoomMode,
  SfuSource,
} from '@parley/protocol';
export { Call, type CallEndedReason, type CallEvents, type CallState } from './call.ts';
export {
  type ClientEvents,
  type ClientState,
  type ConnectOptions,
  connect,
  type JoinOptions,
  type MissedCall,
  ParleyClient,
  type PeerFeature,
  type PresenceChange,
  type PresenceView,
  type RecordingNotice,
  type RecordingProgressNotice,
  SFU_DEFAULT_MEDIA,
} from './client.ts';
export {
  ConnectionError,
  type ConnectionErrorReason,
  InvalidStateError,
  isNamedError,
  ParleyError,
  TimeoutError,
} from './errors.ts';
export { type EventMap, type Listener, TypedEmitter } from './events.ts';
export {
  ActiveSpeakerDetector,
  type ActiveSpeakerOptions,
  audioLevelsFromStats,
} from './features/active-speaker.ts';
export {
  AppChannel,
  type AppChannelData,
  AppChannelError,
  type AppChannelEvents,
  type AppChannelInput,
  type AppChannelOptions,
  ChannelBufferFullError,
} from './features/app-channel.ts';
export {
  ChatChannel,
  type ChatChannelEvents,
  type ChatChannelOptions,
  ChatError,
  ChatRoom,
  type ChatRoomEvents,
  type ChatState,
} from './features/chat.ts';
// The E2EE implementation is a subpath of its own (`@parley/client/e2ee`), so apps that do not
// use it do not carry it; these are its types, for join options and room.e2ee.
export type {
  E2eeEvents,
  E2eeSession,
  E2eeSetup,
  E2eeWorkerSource,
  MemberKeyState,
} from './features/e2ee/e2ee-session.ts';
export {
  BlobSink,
  blobSource,
  bytesSource,
  FILE_TRANSFER_DEFAULTS,
  type FileHash,
  type FileSink,
  type FileSource,
  FileTransferError,
  type FileTransferErrorCode,
  type FileTransferOptions,
  FileTransfers,
  type FileTransfersEvents,
  IncomingTransfer,
  isFinalState,
  OutgoingTransfer,
  type TransferEvents,
  type TransferProgress,
  type TransferResult,
  type TransferState,
} from './features/file-transfer.ts';
export {
  type AcquiredMedia,
  acquireMedia,
  type GetDisplayMedia,
  type GetUserMedia,
  LocalMedia,
  type LocalMediaEvents,
  type MediaInput,
  type MediaOptions,
  toMediaOptions,
  videoBitrateForPeers,
} from './features/media.ts';
export { attachPeerFeatures, type PeerFeatureOptions } from './features/peer-features.ts';
export { PeerLink, type PeerLinkOptions, UNREACHABLE_AFTER_MS } from './features/peer-link.ts';
export {
  type CandidateType,
  type Resolution,
  StatsMonitor,
  type StatsMonitorEvents,
  type StatsMonitorOptions,
  type StatsSummary,
  summarizeStats,
} from './features/stats.ts';
export {
  createLoggerFactory,
  LOG_LEVELS,
  LOGGER_NAMES,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogSink,
} from './log.ts';
export {
  PEER_FAILURE_REASONS,
  type PeerFailureReason,
  PeerSession,
  type PeerSessionEvents,
  type PeerSessionOptions,
  type PeerState,
  type RemoteMediaState,
  type RTCPeerConnectionConstructor,
} from './peer/peer-session.ts';
export { type MediaStateData, parseSignalData, type Scope, type SignalData } from './peer/signal-data.ts';
export {
  Room,
  type RoomEvents,
  type RoomOptions,
  type RoomPeerLeftReason,
  type RoomState,
  STATS_INTERVAL_MS,
} from './room.ts';
export {
  type ModerationHost,
  RoomModeration,
  type RoomModerationEvents,
} from './room-moderation.ts';
export type { FeedLayer, Substream, VideoView } from './sfu/layer-choice.ts';
export {
  SfuSession,
  type SfuSessionEvents,
  type SfuSessionOptions,
  type SfuSignaling,
  type SfuTrack,
} from './sfu/sfu-session.ts';
export {
  type BackoffOptions,
  ExponentialBackoffPolicy,
  NEVER_RECONNECT,
  NON_RETRYABLE_REASONS,
  type ReconnectContext,
  type ReconnectPolicy,
} from './signaling/reconnect-policy.ts';
export {
  SignalingClient,
  type SignalingClientOptions,
  type SignalingEvents,
  type SignalingState,
  type StorageLike,
  type WebSocketConstructor,
  type WebSocketLike,
} from './signaling/signaling-client.ts';
export { browserWakeSource, type WakeReason, type WakeSource } from './signaling/wake-signals.ts';
