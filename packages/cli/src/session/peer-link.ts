/**
 * The data-channel features of one peer session — the negotiated chat channel and file
 * transfers — exactly as the web app uses them, so a browser and the CLI understand each other.
 *
 * Newer SDK builds create both inside `PeerSession` (`peer.chat`, `peer.files`); they are used
 * when present. Otherwise the link creates them itself, in the order the protocol requires: the
 * chat channel first (its fixed stream id must still be free), then file transfers.
 */
import type { PeerSession } from '@parley/client';
import { ChatChannel, FileTransfers } from './sdk-features.ts';

type SessionWithData = PeerSession & { chat?: ChatChannel | null; files?: FileTransfers | null };

export class PeerLink {
  readonly peer: PeerSession;
  readonly chat: ChatChannel;
  readonly files: FileTransfers;
  /** Whether this link created the features (and so closes them). */
  readonly #owned: boolean;
  #closed = false;

  constructor(peer: PeerSession) {
    this.peer = peer;
    const session = peer as SessionWithData;
    if (session.chat && session.files) {
      this.chat = session.chat;
      this.files = session.files;
      this.#owned = false;
    } else {
      this.chat = new ChatChannel(peer.pc);
      this.files = new FileTransfers();
      this.files.attach(peer.pc);
      this.#owned = true;
    }
    peer.on('state', (state) => {
      if (state === 'closed') this.close();
    });
  }

  get name(): string {
    return this.peer.remoteName;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return; // the session closes its own features
    this.files.close();
    this.chat.close();
  }
}
