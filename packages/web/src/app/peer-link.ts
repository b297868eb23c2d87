/**
 * Everything the app hangs off one peer session: the chat channel, file transfers and the stats
 * monitor (all from the SDK's features), closed with it.
 *
 * The chat channel is created after the first negotiation, not with the session. Both peers of a
 * room create their sessions at once and both offer; the polite one rolls its offer back. When
 * that rolled-back offer held only the chat channel's data section (the SDK adds tracks a moment
 * later), Chromium rejects the data section in its answer (`m=application 0`) and every later
 * offer asks for it again: an endless renegotiation, and no chat. Offers that carry audio/video
 * sections are rolled back cleanly, so the data channel waits until those are negotiated. File
 * transfers open their channels much later, so the chat channel still comes first, as it must.
 *
 * It also watches the first connection. When both peers offer at once (a room's newcomer and a
 * member do), the polite side rolls its offer back; under load Chromium sometimes never gathers
 * candidates for the answer that follows, and ICE then stays `new` for good: the SDK's recovery
 * only reacts to `failed`/`disconnected`, so nothing would ever happen. The watchdog restarts ICE
 * once negotiation is stable and ICE has made no progress for a few seconds, and reports the peer
 * as unreachable after {@link UNREACHABLE_AFTER_MS}.
 */
import type { PeerSession } from '@parley/client';
import { ChatChannel, FileTransfers, StatsMonitor } from './sdk-features.ts';

/** How long negotiation must have been stable with ICE not started before restarting ICE. */
const STUCK_AFTER_MS = 4_000;
/** ICE restarts the watchdog tries before giving up. */
const MAX_WATCHDOG_RESTARTS = 3;
/** A peer still not connected after this long is shown as unreachable. */
export const UNREACHABLE_AFTER_MS = 25_000;

/** The features of one peer connection. */
export class PeerLink {
  readonly peer: PeerSession;
  readonly files: FileTransfers;
  readonly stats: StatsMonitor;
  readonly #createdAt = performance.now();
  #stableSince: number | null = null;
  #restarts = 0;
  #timer: ReturnType<typeof setInterval>;
  #onUnreachable: (() => void) | null = null;
  #unreachableReported = false;
  #closed = false;
  #chat: ChatChannel | null = null;
  #chatWaiters: ((chat: ChatChannel) => void)[] = [];
  #offNegotiated: () => void;

  constructor(peer: PeerSession) {
    this.peer = peer;
    this.#offNegotiated = peer.on('negotiated', () => this.#openChat());
    this.files = new FileTransfers();
    this.files.attach(peer.pc);
    this.stats = new StatsMonitor(peer.pc, { intervalMs: 1000 });
    this.stats.start();
    this.#timer = setInterval(() => this.#watch(), 1000);
  }

  /** The remote name. */
  get name(): string {
    return this.peer.remoteName;
  }

  /** The chat channel, once the first negotiation is done (null before). */
  get chat(): ChatChannel | null {
    return this.#chat;
  }

  /** Runs `fn` with the chat channel as soon as it exists. */
  withChat(fn: (chat: ChatChannel) => void): void {
    if (this.#chat) fn(this.#chat);
    else this.#chatWaiters.push(fn);
  }

  #openChat(): void {
    if (this.#chat || this.#closed) return;
    this.#offNegotiated();
    // Negotiated out of band with a fixed stream id, on both sides (see the SDK's chat docs).
    const chat = new ChatChannel(this.peer.pc);
    this.#chat = chat;
    for (const fn of this.#chatWaiters.splice(0)) fn(chat);
  }

  /** Called once if the peer is still not connected after {@link UNREACHABLE_AFTER_MS}. */
  onUnreachable(fn: () => void): void {
    this.#onUnreachable = fn;
    if (this.#unreachableReported) fn();
  }

  #watch(): void {
    const { peer } = this;
    const pc = peer.pc;
    if (peer.state !== 'connecting') {
      // Connected once: from here on the SDK's own ICE recovery is in charge.
      if (peer.state !== 'failed') clearInterval(this.#timer);
      return;
    }
    const now = performance.now();
    if (now - this.#createdAt > UNREACHABLE_AFTER_MS && !this.#unreachableReported) {
      this.#unreachableReported = true;
      this.#onUnreachable?.();
    }
    const stable = pc.signalingState === 'stable' && pc.remoteDescription !== null;
    if (!stable || pc.iceConnectionState !== 'new') {
      this.#stableSince = null;
      return;
    }
    this.#stableSince ??= now;
    // The polite side waits a little longer, so both sides rarely restart at once.
    const wait = STUCK_AFTER_MS + (peer.polite ? 2_000 : 0);
    if (now - this.#stableSince > wait && this.#restarts < MAX_WATCHDOG_RESTARTS) {
      this.#restarts++;
      this.#stableSince = null;
      peer.restartIce();
    }
  }

  /** Closes the features (the session itself is closed by its call or room). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#offNegotiated();
    this.#chatWaiters = [];
    this.stats.stop();
    this.files.close();
    this.#chat?.close();
  }
}
