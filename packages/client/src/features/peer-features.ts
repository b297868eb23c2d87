/**
 * The SDK's built-in features of a peer session — the negotiated chat channel, file transfers
 * and stats — attached to a {@link PeerSession} from outside. The client attaches them to every
 * session it creates, before the app's `features` hooks and its `peer` event run; an app that
 * builds its own sessions calls {@link attachPeerFeatures} itself.
 *
 * `peer.chat`, `peer.files` and `peer.stats` keep their place on the session through TypeScript
 * declaration merging (the way a fastify plugin decorates the instance): peer/ stays free of
 * features/, while apps, calls and rooms read the features where they always did.
 *
 * May import peer/ (types) and the feature modules beside it.
 */
import type { PeerSession } from '../peer/peer-session.ts';
import { ChatChannel } from './chat.ts';
import { type FileTransferOptions, FileTransfers } from './file-transfer.ts';
import { StatsMonitor } from './stats.ts';

declare module '../peer/peer-session.ts' {
  interface PeerSession {
    /**
     * Chat and small app messages on the negotiated `parley-chat` data channel (null when data
     * channels are off). Messages sent before it opens are queued. Set by
     * {@link attachPeerFeatures}.
     */
    readonly chat: ChatChannel | null;
    /**
     * File transfers with this peer, each on its own `parley-file/…` channel (null when off).
     * Set by {@link attachPeerFeatures}.
     */
    readonly files: FileTransfers | null;
    /**
     * Periodic getStats() summaries (bitrate, RTT, loss, candidate type): call `stats.start()`.
     * Set by {@link attachPeerFeatures}.
     */
    readonly stats: StatsMonitor;
  }
}

/** Options of {@link attachPeerFeatures}. */
export interface PeerFeatureOptions {
  /**
   * Open the data channels: chat (negotiated `parley-chat`) and file transfers (`parley-file/…`).
   * Default true; false gives a media-only connection (`chat` and `files` are null).
   */
  dataChannels?: boolean;
  /** Options of the file transfers (chunk size, watermarks, resume…). */
  fileTransfer?: FileTransferOptions;
  /** Period of the `stats` monitor once started. Default 1000 ms. */
  statsIntervalMs?: number;
}

/**
 * Gives `peer` its chat channel, file transfers and stats monitor (`peer.chat`, `peer.files`,
 * `peer.stats`), closed with the session. Call it right after creating the session, in the
 * same task: the chat channel is negotiated (fixed id) and must exist on both sides before file
 * channels, and both belong in the session's first offer.
 *
 * @example
 * ```ts
 * const peer = new PeerSession({ localName: 'alice', remoteName: 'bob', scope: 'room:demo', send });
 * attachPeerFeatures(peer);
 * peer.chat?.sendText('hi');
 * ```
 */
export function attachPeerFeatures(peer: PeerSession, options: PeerFeatureOptions = {}): void {
  const withData = options.dataChannels ?? true;
  const chat = withData ? peer.attach(new ChatChannel(peer.pc)) : null;
  const files = withData ? peer.attach(new FileTransfers(options.fileTransfer)) : null;
  files?.attach(peer.pc);
  const stats = new StatsMonitor(peer.pc, { intervalMs: options.statsIntervalMs ?? 1000 });
  peer.attach({ close: () => stats.stop() });
  Object.defineProperties(peer, {
    chat: { value: chat, enumerable: true },
    files: { value: files, enumerable: true },
    stats: { value: stats, enumerable: true },
  });
}
