/**
 * Perfect negotiation decisions as pure functions, so glare can be unit-tested without a browser.
 *
 * This is the algorithm of the W3C webrtc-pc spec's "Perfect negotiation example" (§10.7) and
 * webrtc/samples' `perfect-negotiation/js/peer.js`: each side knows whether it is polite; an
 * offer that collides with our own offer is ignored by the impolite side and accepted by the
 * polite side, whose `setRemoteDescription(offer)` rolls its own offer back. `makingOffer` and
 * `isSettingRemoteAnswerPending` refine "are we stable?" so an offer arriving while our answer
 * is being applied is not mistaken for glare.
 */

/** The signaling states of RTCPeerConnection (W3C webrtc-pc §4.3.1). */
export type SignalingStateName =
  | 'stable'
  | 'have-local-offer'
  | 'have-remote-offer'
  | 'have-local-pranswer'
  | 'have-remote-pranswer'
  | 'closed';

/** What the negotiation decision needs to know about our side. */
export interface NegotiationContext {
  /** The polite side yields on glare. See {@link isPolite}. */
  polite: boolean;
  /** An offer of ours is being created/set right now (between onnegotiationneeded and send). */
  makingOffer: boolean;
  /** `pc.signalingState` now. */
  signalingState: SignalingStateName;
  /** A remote answer is being applied right now. */
  isSettingRemoteAnswerPending: boolean;
}

/** What to do with a remote description. */
export type DescriptionDecision =
  /** Glare on the impolite side: keep our offer, drop theirs (and its candidates' errors). */
  | { action: 'ignore'; reason: 'glare' | 'stale-answer' }
  /**
   * Apply it with setRemoteDescription. `rollback`: our own offer is pending and must be rolled
   * back first (the polite side on glare; engines with implicit rollback do it inside
   * setRemoteDescription). `answer`: reply with setLocalDescription() and send the answer.
   */
  | { action: 'apply'; rollback: boolean; answer: boolean };

/**
 * The decision for an incoming description of `type` ('offer', 'answer' or 'pranswer').
 *
 * @example
 * ```ts
 * decideOnDescription('offer', { polite: false, makingOffer: true,
 *   signalingState: 'have-local-offer', isSettingRemoteAnswerPending: false });
 * // → { action: 'ignore', reason: 'glare' }
 * ```
 */
export function decideOnDescription(type: string, ctx: NegotiationContext): DescriptionDecision {
  if (type === 'offer') {
    const readyForOffer =
      !ctx.makingOffer && (ctx.signalingState === 'stable' || ctx.isSettingRemoteAnswerPending);
    const offerCollision = !readyForOffer;
    if (offerCollision && !ctx.polite) return { action: 'ignore', reason: 'glare' };
    return {
      action: 'apply',
      rollback: offerCollision && ctx.signalingState === 'have-local-offer',
      answer: true,
    };
  }
  // An answer only makes sense while our offer is out. One that arrives in any other state
  // answers an offer we already rolled back or replaced, and applying it would throw.
  if (ctx.signalingState !== 'have-local-offer' && ctx.signalingState !== 'have-local-pranswer') {
    return { action: 'ignore', reason: 'stale-answer' };
  }
  return { action: 'apply', rollback: false, answer: false };
}

/** What to do with a remote ICE candidate. */
export type CandidateDecision = 'add' | 'buffer' | 'drop';

/**
 * Candidates that arrive before the remote description are buffered and added right after it
 * is set (trickle ICE lets them overtake the offer). While an offer is being ignored, its
 * candidates are dropped: they belong to a negotiation we refused.
 */
export function decideOnCandidate(ctx: {
  hasRemoteDescription: boolean;
  ignoreOffer: boolean;
}): CandidateDecision {
  if (ctx.hasRemoteDescription) return 'add';
  return ctx.ignoreOffer ? 'drop' : 'buffer';
}

/**
 * Which side is polite, from data both sides share: the two names. The side whose name sorts
 * first (by UTF-16 code units, the same on every engine, unlike localeCompare) is polite.
 */
export function isPolite(localName: string, remoteName: string): boolean {
  if (localName === remoteName) throw new RangeError('a peer cannot negotiate with itself');
  return localName < remoteName;
}

/** ICE connection states that call for recovery. */
export type IceHealth = 'ok' | 'disconnected' | 'failed';

/** Timing of ICE recovery, see {@link iceRestartDelayMs}. */
export interface IceRecoveryTiming {
  /** How long `disconnected` may last before an ICE restart. */
  iceDisconnectedGraceMs: number;
  /** Extra wait of the polite side, which only restarts if the impolite side did not. */
  politeBackupMs: number;
}

/**
 * How long to wait before restarting ICE, or null when no restart is due. The impolite side
 * restarts at once on `failed` and after `iceDisconnectedGraceMs` on `disconnected`; the polite side
 * waits `politeBackupMs` longer, so normally exactly one side initiates and its offer does not
 * collide with the other's (perfect negotiation would resolve a collision anyway).
 */
export function iceRestartDelayMs(
  health: IceHealth,
  polite: boolean,
  timing: IceRecoveryTiming,
): number | null {
  if (health === 'ok') return null;
  const base = health === 'failed' ? 0 : timing.iceDisconnectedGraceMs;
  return base + (polite ? timing.politeBackupMs : 0);
}

/**
 * Whether this side holds its local changes back, before media is first added to a connection
 * that has none yet (`transceivers` is 0: it was set up for data only, e.g. with a room member
 * met while the room's media went through the SFU, and the room is now back to mesh), until the
 * other side's offer arrives. Both sides add their media at the same moment then (both hear
 * `room.mode mesh`), so both would offer new m-sections, each in its own order. Rolling back such
 * an offer fails in Chromium when the remote offer puts another kind (and so other RTP header
 * extension ids) under the same mid: setRemoteDescription throws `RTP extension ID reassignment
 * not supported`, every later rollback throws the same, and the polite side stays in
 * `have-local-offer` for good (seen in `test/e2e/sfu/sfu-shrink.test.ts`). With the polite side
 * holding, only the impolite side offers; the polite side attaches its tracks to the offered
 * transceivers and answers: one round trip, no glare (as for the first offer of a session). A
 * connection that already has transceivers reuses their m-sections, where a rollback is safe.
 */
export function holdsFirstMediaOffer(ctx: { polite: boolean; transceivers: number }): boolean {
  return ctx.polite && ctx.transceivers === 0;
}

/**
 * An answer to our re-offer that asks to swap the DTLS roles of the live association, rewritten
 * to keep them. Firefox does this: when it made the first offer (we answered `a=setup:active`,
 * so we are the DTLS client), it answers our ICE-restart offer (`actpass`) with `active` again;
 * Chromium then refuses the answer ("Failed to set SSL role for the transport") and the session
 * cannot renegotiate. An answer's role must be the opposite of ours (RFC 8842 §5.5: an existing
 * association keeps its roles), so `active` becomes `passive` (and the other way round) when
 * our last answer already took that role. Any other SDP is returned unchanged.
 * @example
 * keepDtlsRole('…a=setup:active…', '…a=setup:active…') // → '…a=setup:passive…'
 */
export function keepDtlsRole(answerSdp: string, ourLastAnswerSdp: string | undefined): string {
  const ours = ourLastAnswerSdp?.match(/^a=setup:(active|passive)\r?$/m)?.[1];
  if (!ours) return answerSdp;
  const theirs = ours === 'active' ? 'passive' : 'active';
  return answerSdp.replace(new RegExp(`^a=setup:${ours}(\\r?)$`, 'gm'), `a=setup:${theirs}$1`);
}
