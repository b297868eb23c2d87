/**
 * {@link PeerLink}: what an app needs from one peer session beyond media — its chat channel,
 * file transfers and stats, and a timer that tells the UI when the peer has not become
 * reachable in a reasonable time. The web app and the CLI both use it (they each kept a copy
 * before the features moved out of PeerSession).
 *
 * The SDK itself restarts ICE while it waits; the timer only decides when to stop saying
 * "connecting…" and start saying "unreachable".
 *
 * May import peer/ (types) and the feature modules beside it.
 */
import { InvalidStateError } from '../errors.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { ChatChannel } from './chat.ts';
import type { FileTransfers } from './file-transfer.ts';
// Declares `peer.chat`, `peer.files` and `peer.stats` (and attaches them, in the client).
import './peer-features.ts';
import type { StatsMonitor } from './stats.ts';

/** A peer still not connected after this long is shown as unreachable. */
export const UNREACHABLE_AFTER_MS = 25_000;

/** Options of a {@link PeerLink}. */
export interface PeerLinkOptions {
  /** Start polling `stats` now (a UI shows them; a bot need not). Default true. */
  startStats?: boolean;
  /** When {@link PeerLink.onUnreachable} fires; `null`: never. Default {@link UNREACHABLE_AFTER_MS}. */
  unreachableAfterMs?: number | null;
}

/**
 * The features of one peer session, for an app. Create one per session in a `features` hook
 * (the session must have its data channels, the default). It closes itself with the session.
 *
 * @example
 * ```ts
 * const links = new Map<PeerSession, PeerLink>();
 * const client = await connect(url, { name: 'alice', features: [(peer) => links.set(peer, new PeerLink(peer))] });
 * // later: link.chat.sendText('hi'), link.files.send(file), link.stats.on('stats', render)
 * ```
 */
export class PeerLink {
  readonly peer: PeerSession;
  readonly #stats: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onUnreachable: (() => void) | null = null;
  #unreachable = false;
  #closed = false;

  /** Throws InvalidStateError when the session has no data channels (`dataChannels: false`). */
  constructor(peer: PeerSession, options: PeerLinkOptions = {}) {
    if (!peer.chat || !peer.files) throw new InvalidStateError('the peer session has no data channels');
    this.peer = peer;
    this.#stats = options.startStats ?? true;
    if (this.#stats) peer.stats.start();
    const after =
      options.unreachableAfterMs === undefined ? UNREACHABLE_AFTER_MS : options.unreachableAfterMs;
    if (after !== null) {
      this.#timer = setTimeout(() => {
        if (peer.state !== 'connecting') return;
        this.#unreachable = true;
        this.#onUnreachable?.();
      }, after);
    }
    peer.on('state', (state) => {
      if (state === 'closed') this.close();
    });
  }

  /** The remote name. */
  get name(): string {
    return this.peer.remoteName;
  }

  /** The chat channel (negotiated `parley-chat`). */
  get chat(): ChatChannel {
    return this.peer.chat as ChatChannel;
  }

  /** File transfers with this peer. */
  get files(): FileTransfers {
    return this.peer.files as FileTransfers;
  }

  /** Periodic stats summaries of the connection. */
  get stats(): StatsMonitor {
    return this.peer.stats;
  }

  /** Called once if the peer is still connecting after `unreachableAfterMs`. */
  onUnreachable(fn: () => void): void {
    this.#onUnreachable = fn;
    if (this.#unreachable) fn();
  }

  /** Stops the timer and the stats polling (the session itself is closed by its call or room). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#stats) this.peer.stats.stop();
  }
}
