/**
 * ICE recovery of a {@link PeerSession}: when ICE fails, or stays disconnected for a few seconds,
 * the impolite side calls `restartIce()` (the polite side too, later, if nothing happened; see
 * {@link iceRestartDelayMs}), a bounded number of times, before the session is declared `failed`
 * with reason `ice-failed`. A first connection that never comes (ICE stuck in `new` or
 * `checking`) is recovered like a failed one.
 *
 * Owns the restart count and the timers; the session tells it what the connection does and
 * supplies the restart itself. Imports the pure timing decision from ./negotiation.ts and the
 * logger type only.
 */
import type { Logger } from '../log.ts';
import { type IceHealth, type IceRecoveryTiming, iceRestartDelayMs } from './negotiation.ts';

/** Timing of {@link IceRecovery}. */
export interface IceRecoveryOptions extends IceRecoveryTiming {
  /** This side yields on offer collisions, and restarts ICE only as a backup. */
  polite: boolean;
  /** How long one ICE restart may take before the next. */
  iceRestartTimeoutMs: number;
  /** ICE restarts in a row without reaching `connected` before giving up. */
  maxIceRestarts: number;
  /** A session not connected this long after it was created restarts ICE (polite: later). */
  firstConnectTimeoutMs: number;
  /** Whether the connection is `connected` now. */
  isConnected: () => boolean;
  /** Restarts ICE (the session's `restartIce()`). */
  restartIce: () => void;
  /** Recovery gave up: the session fails with `ice-failed`. */
  giveUp: () => void;
  logger: Logger;
  /** The remote peer's name, for logs. */
  remoteName: string;
}

/** Restarts ICE when it fails or stays disconnected (see the module comment). */
export class IceRecovery {
  readonly #o: IceRecoveryOptions;
  #restarts = 0;
  #everConnected = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firstConnectTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** Starts the first-connect timer. */
  constructor(options: IceRecoveryOptions) {
    this.#o = options;
    // The polite side waits longer, as for any restart.
    this.#firstConnectTimer = setTimeout(
      () => {
        if (!this.#everConnected && this.#timer === undefined) this.#recover();
      },
      options.firstConnectTimeoutMs + (options.polite ? options.politeBackupMs : 0),
    );
  }

  /** ICE restarts since the last time the session was connected. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether the connection was ever `connected`. */
  get everConnected(): boolean {
    return this.#everConnected;
  }

  /** The connection is `connected`: no recovery due, the restart count starts over. */
  connected(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#restarts = 0;
    this.#everConnected = true;
    clearTimeout(this.#firstConnectTimer);
  }

  /** The connection is not connected: schedules a restart if ICE is unhealthy and none is due. */
  check(health: IceHealth): void {
    if (health === 'ok' || this.#timer !== undefined) return;
    const delay = iceRestartDelayMs(health, this.#o.polite, this.#o) ?? 0;
    this.#o.logger.debug('ice unhealthy', { remote: this.#o.remoteName, health, restartInMs: delay });
    this.#timer = setTimeout(() => this.#recover(), delay);
  }

  /**
   * A remote offer arrived. On the polite side with a restart due, the impolite side is already
   * renegotiating (normally its ICE restart): give that time to finish before our backup
   * restart, so exactly one side restarts.
   */
  remoteOffer(): void {
    if (!this.#o.polite || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#recover(), this.#o.iceRestartTimeoutMs);
  }

  /** Clears every timer. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#firstConnectTimer);
  }

  #recover(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    if (this.#o.isConnected()) return;
    if (this.#restarts >= this.#o.maxIceRestarts) {
      this.#o.logger.warn('ice recovery gave up', { remote: this.#o.remoteName, restarts: this.#restarts });
      this.#o.giveUp();
      return;
    }
    this.#restarts++;
    this.#o.restartIce();
    // Check again later: a restart may stall (peer offline, signaling down) without any event.
    this.#timer = setTimeout(() => this.#recover(), this.#o.iceRestartTimeoutMs);
  }
}
