/**
 * The SDK's peer features (chat channel, file transfers, stats monitor), imported in one place.
 *
 * `@parley/client`'s entry point does not export them yet (its index lists signaling, peers,
 * calls, rooms and media only), so this module reaches them inside the client package. It is the
 * only file that does: once the entry point exports them, these lines become
 * `export { … } from '@parley/client'` and nothing else in the app changes.
 */
export { ChatChannel } from '../../../client/src/features/chat.ts';
export {
  type FileTransferError,
  FileTransfers,
  type IncomingTransfer,
  type OutgoingTransfer,
  type TransferProgress,
  type TransferResult,
  type TransferState,
} from '../../../client/src/features/file-transfer.ts';
export { StatsMonitor, type StatsSummary } from '../../../client/src/features/stats.ts';
