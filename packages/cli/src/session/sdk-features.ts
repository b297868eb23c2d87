/**
 * The SDK's data-channel features (chat, file transfer), imported in one place. The client
 * package's entry point exports the core only, so these come from their modules, as in the web
 * app (packages/web/src/app/sdk-features.ts).
 */
export { ChatChannel, ChatRoom } from '@parley/client/features/chat';
export {
  type FileSink,
  type FileSource,
  type FileTransferError,
  FileTransfers,
  type IncomingTransfer,
  type OutgoingTransfer,
  type TransferProgress,
  type TransferResult,
} from '@parley/client/features/file-transfer';
