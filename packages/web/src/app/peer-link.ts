/**
 * What the app needs from one peer session beyond media: its chat channel, file transfers and
 * stats (the SDK opens them with the session), and a timer that tells the UI when the peer has
 * not become reachable in a reasonable time. The SDK itself restarts ICE while it waits; the
 * timer only decides when to stop saying "connecting…" and start saying "unreachable".
 */
import type { ChatChannel, FileTransfers, PeerSession, StatsMonitor } from '@parley/client';

/** A peer still not connected after this long is shown as unreachable. */
export const UNREACHABLE_AFTER_MS = 25_000;

/** The features of one peer connection. */
export class PeerLink {
  readonly peer: PeerSession;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onUnreachable: (() => void) | null = null;
  #unreachable = false;
  #closed = false;

  constructor(peer: PeerSession) {
    this.peer = peer;
    peer.stats.start();
    this.#timer = setTimeout(() => {
      if (peer.state !== 'connecting') return;
      this.#unreachable = true;
      this.#onUnreachable?.();
    }, UNREACHABLE_AFTER_MS);
  }

  /** The remote name. */
  get name(): string {
    return this.peer.remoteName;
  }

  /** The chat channel (null only when the SDK runs without data channels). */
  get chat(): ChatChannel | null {
    return this.peer.chat;
  }

  /** File transfers with this peer (null only without data channels). */
  get files(): FileTransfers | null {
    return this.peer.files;
  }

  /** Periodic stats summaries of the connection. */
  get stats(): StatsMonitor {
    return this.peer.stats;
  }

  /** Called once if the peer is still connecting after {@link UNREACHABLE_AFTER_MS}. */
  onUnreachable(fn: () => void): void {
    this.#onUnreachable = fn;
    if (this.#unreachable) fn();
  }

  /** Stops the timer and the stats polling (the session itself is closed by its call or room). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.peer.stats.stop();
  }
}
