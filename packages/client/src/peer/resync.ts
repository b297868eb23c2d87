/**
 * Negotiation resync of a {@link PeerSession}.
 *
 * A description that cannot be applied (setRemoteDescription or setLocalDescription throws), an
 * offer of ours that stays unanswered for `answerTimeoutMs`, or signaling the server dropped
 * (`RATE_LIMITED`, see {@link NegotiationResync.signalingLost}) leave the two sides out of step.
 * The session then resynchronizes: it rolls back whatever half-done negotiation it has and sends
 * a fresh ICE-restart offer (new credentials, so candidates that were lost are gathered and sent
 * again). After `maxNegotiationRecoveries` resyncs in a row without a completed offer/answer, it
 * fails with reason `negotiation-failed`.
 *
 * Owns the counters and timers and decides when to resync or give up; the session supplies the
 * rollback (run in its command queue) and the failure. Imports the shared backoff from
 * ./offer-guard.ts and the logger type only.
 */
import type { Logger } from '../log.ts';
import { backoffMs } from './offer-guard.ts';

/** Options of a {@link NegotiationResync}. */
export interface NegotiationResyncOptions {
  /** An offer of ours still unanswered after this long is taken as lost. */
  answerTimeoutMs: number;
  /** Resyncs in a row without a completed offer/answer before giving up. */
  maxNegotiationRecoveries: number;
  /** Whether signaling is up (while down, an offer waits in the outbox and is not lost yet). */
  signalingUp: () => boolean;
  /** Whether our offer with this SDP is still out, waiting for its answer. */
  offerPending: (sdp: string) => boolean;
  /** Whether the connection is stable and connected (lost signaling needs no resync then). */
  settled: () => boolean;
  /** Sends our last media state again (after signaling was lost). */
  resendMediaState: () => void;
  /** Rolls back the half-done negotiation and asks for an ICE-restart offer (queued). */
  rollbackAndRestart: () => Promise<void>;
  /** Resync gave up: the session fails with `negotiation-failed`. */
  fail: () => void;
  logger: Logger;
  /** The remote peer's name, for logs. */
  remoteName: string;
}

/** Brings both sides back in step after a failed or lost negotiation (see the module comment). */
export class NegotiationResync {
  readonly #o: NegotiationResyncOptions;
  /** Fires when our offer stays unanswered for `answerTimeoutMs`. */
  #answerTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resyncs since the last completed offer/answer. */
  #recoveries = 0;
  /** Set once negotiation gave up: the `failed` state is final then. */
  #failed = false;
  /** Pending lost-signaling retry, and how many in a row (backoff). */
  #lostTimer: ReturnType<typeof setTimeout> | undefined;
  #lostLevel = 0;
  #closed = false;

  constructor(options: NegotiationResyncOptions) {
    this.#o = options;
  }

  /** Whether negotiation gave up (final). */
  get failed(): boolean {
    return this.#failed;
  }

  /** An offer/answer exchange went through on our side: recovery counters start over. */
  completed(): void {
    clearTimeout(this.#answerTimer);
    this.#answerTimer = undefined;
    this.#recoveries = 0;
    this.#lostLevel = 0;
  }

  /** Resyncs if the offer with this SDP is still waiting for its answer after `answerTimeoutMs`. */
  watchAnswer(sdp: string): void {
    clearTimeout(this.#answerTimer);
    this.#answerTimer = setTimeout(() => {
      this.#answerTimer = undefined;
      if (this.#closed) return;
      if (!this.#o.offerPending(sdp)) return;
      // Signaling is down: the offer waits in the outbox and may still be answered; wait again.
      if (!this.#o.signalingUp()) this.watchAnswer(sdp);
      else this.resync('answer-timeout');
    }, this.#o.answerTimeoutMs);
  }

  /**
   * Rolls back whatever is half done on our side and sends a fresh ICE-restart offer (the peer,
   * whatever state it is in, either applies it or, if it is the impolite side with its own offer
   * out, ignores it and resyncs itself when its answer timeout fires). Gives up with `failed` /
   * `negotiation-failed` after `maxNegotiationRecoveries` resyncs in a row without a completed
   * exchange.
   */
  resync(reason: string): void {
    if (this.#closed || this.#failed) return;
    if (this.#recoveries >= this.#o.maxNegotiationRecoveries) {
      this.#failed = true;
      clearTimeout(this.#answerTimer);
      this.#o.logger.warn('negotiation failed: giving up', {
        remote: this.#o.remoteName,
        reason,
        recoveries: this.#recoveries,
      });
      this.#o.fail();
      return;
    }
    this.#recoveries++;
    this.#o.logger.warn('negotiation out of step: rollback and ICE restart', {
      remote: this.#o.remoteName,
      reason,
      attempt: this.#recoveries,
    });
    this.#o.rollbackAndRestart().catch((error) => {
      if (this.#closed) return;
      this.#o.logger.warn('rollback failed', { remote: this.#o.remoteName, error: String(error) });
      this.#failed = true;
      this.#o.fail();
    });
  }

  /**
   * Signaling we sent may have been dropped on the way (the server answered `RATE_LIMITED`,
   * which does not say which frame it dropped). After a backoff that lets the server's token
   * bucket refill (about 1 s, doubling on repeats), sends the media state again and, unless the
   * connection is stable and connected, resyncs. Repeated calls during the wait coalesce.
   */
  signalingLost(reason: string): void {
    if (this.#closed || this.#lostTimer !== undefined) return;
    const delay = backoffMs(this.#lostLevel + 1);
    this.#lostLevel++;
    this.#o.logger.info('signaling may have been lost: resync after backoff', {
      remote: this.#o.remoteName,
      reason,
      delayMs: delay,
    });
    this.#lostTimer = setTimeout(() => {
      this.#lostTimer = undefined;
      if (this.#closed) return;
      this.#o.resendMediaState();
      if (!this.#o.settled()) this.resync(reason);
    }, delay);
  }

  /** Clears every timer; nothing resyncs after this. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#answerTimer);
    clearTimeout(this.#lostTimer);
  }
}
