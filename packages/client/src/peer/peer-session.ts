/**
 * One RTCPeerConnection with one remote peer, negotiated with "perfect negotiation".
 *
 * Both sides run the same code: whoever adds a track (or a data channel, or restarts ICE) just
 * lets `negotiationneeded` make an offer. When both offer at once (glare), the impolite side
 * ignores the other's offer and the polite side rolls its own back (see ./negotiation.ts, the
 * W3C webrtc-pc perfect negotiation example). Every mutation of the connection is serialized
 * through a {@link CommandQueue}; candidates that overtake their description are buffered.
 *
 * Around that core, four recovery concerns live in modules of their own, each owning its state
 * and timers:
 * - ./first-offer-hold.ts: one side (the polite side by default; a call makes the caller hold,
 *   `holdFirstOffer`, since the callee's session starts first) makes no offer of its own at
 *   first and answers the other side's first offer with its tracks attached — one round trip,
 *   no glare — offering itself only if nothing came within `firstOfferWaitMs`.
 * - ./ice-recovery.ts: when ICE fails, or stays disconnected for a few seconds, the impolite
 *   side calls `restartIce()` (the polite side too, later), a bounded number of times, before
 *   the session is declared `failed` with reason `ice-failed`.
 * - ./resync.ts: a description that cannot be applied, an offer that stays unanswered, or
 *   signaling the server dropped: rollback and a fresh ICE-restart offer, until
 *   `maxNegotiationRecoveries` in a row fail it with reason `negotiation-failed`.
 * - ./offer-guard.ts: too many offers of ours in a short window (a re-offer loop) wait, with an
 *   exponential backoff.
 *
 * Engine differences are smoothed in ./rtc-compat.ts, remote streams kept in ./remote-streams.ts.
 * Chat, file transfers and stats are not built here: they attach from outside
 * (../features/peer-features.ts, through {@link PeerSession.attach}), so peer/ imports nothing
 * from features/.
 *
 * At about 800 lines this file is above the house's rule of thumb on purpose: what is left is the
 * W3C algorithm itself (offer, answer, glare, rollback, candidates) with its command queue, and
 * the session's public surface (tracks, signals, lifecycle) that feeds it; they read best side by
 * side, and each part that can stand alone has moved out.
 *
 * May import: ../errors, ../events, ../log, @parley/protocol and the modules of peer/.
 */
import { type JsonValue, LIMITS } from '@parley/protocol';
import { InvalidStateError, isNamedError } from '../errors.ts';
import { TypedEmitter } from '../events.ts';
import { type Logger, silentLogger } from '../log.ts';
import { CommandQueue } from './command-queue.ts';
import { FirstOfferHold } from './first-offer-hold.ts';
import { IceRecovery } from './ice-recovery.ts';
import {
  decideOnCandidate,
  decideOnDescription,
  holdsFirstMediaOffer,
  isPolite,
  keepDtlsRole,
  type SignalingStateName,
} from './negotiation.ts';
import { OfferGuard } from './offer-guard.ts';
import { RemoteStreams } from './remote-streams.ts';
import { NegotiationResync } from './resync.ts';
import {
  applyMaxBitrate,
  connectionStateOf,
  errorName,
  iceHealthOf,
  setLocal,
  toCandidateInit,
  toDescriptionInit,
} from './rtc-compat.ts';
import type { CandidateInit, DescriptionInit, MediaStateData, Scope, SignalData } from './signal-data.ts';

/**
 * `connecting` until media can flow the first time, `connected`, `reconnecting` while ICE is
 * disconnected or restarting, `failed` (with a reason) when recovery gave up, `closed`.
 */
export type PeerState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/**
 * Why a session is `failed` (its `reason`, and the `state` event's): `ice-failed` when ICE
 * recovery gave up (./ice-recovery.ts), `negotiation-failed` when negotiation resync did
 * (./resync.ts). Both are final.
 */
export const PEER_FAILURE_REASONS = ['ice-failed', 'negotiation-failed'] as const;
/** One of {@link PEER_FAILURE_REASONS}. */
export type PeerFailureReason = (typeof PEER_FAILURE_REASONS)[number];

/** An RTCPeerConnection constructor: the browser's, a Node polyfill's, or a test fake. */
export type RTCPeerConnectionConstructor = new (configuration?: RTCConfiguration) => RTCPeerConnection;

/** The remote side's media as it announced it (`media-state` signal). */
export type RemoteMediaState = MediaStateData;

/** Options of {@link PeerSession}. */
export interface PeerSessionOptions {
  /** Our own name. */
  localName: string;
  /** The remote peer's name. */
  remoteName: string;
  /** The conversation this session belongs to: `call:<id>` or `room:<name>`. */
  scope: Scope;
  /** Sends signaling `data` to the remote peer (normally through the signaling server). */
  send: (data: SignalData) => void;
  /**
   * Whether signaling is up now (the client passes "logged in"). While it is down, frames wait
   * in the client's outbox, so an unanswered offer is not yet a lost one: the answer timeout
   * waits. Default: always up.
   */
  signalingUp?: () => boolean;
  /** STUN/TURN servers (from `welcome` or `ice.updated`). */
  iceServers?: RTCIceServer[];
  /** Extra RTCConfiguration fields (e.g. `iceTransportPolicy: 'relay'`). */
  rtcConfiguration?: RTCConfiguration;
  /** RTCPeerConnection constructor; default `globalThis.RTCPeerConnection`. */
  RTCPeerConnection?: RTCPeerConnectionConstructor;
  /** How long ICE may stay `disconnected` before a restart. Default 3000 ms. */
  iceDisconnectedGraceMs?: number;
  /** Extra wait of the polite side before it restarts ICE itself. Default 2000 ms. */
  politeBackupMs?: number;
  /** How long one ICE restart may take before the next. Default 10 000 ms. */
  iceRestartTimeoutMs?: number;
  /** ICE restarts in a row without reaching `connected` before giving up. Default 5. */
  maxIceRestarts?: number;
  /**
   * How long the side that holds its first offer (see `holdFirstOffer`) waits for the other
   * side's first offer before sending its own. Default 1500 ms; 0 sends at once. See "First offer" in
   * the class comment.
   */
  firstOfferWaitMs?: number;
  /**
   * Whether this side holds its first offer back until the remote's first offer arrives (up to
   * `firstOfferWaitMs`). Default: the polite side holds. Exactly one side should hold; a call
   * makes the caller hold, because the callee's session starts first (see call.ts).
   */
  holdFirstOffer?: boolean;
  /** A session not connected this long after it was created restarts ICE. Default 10 000 ms. */
  firstConnectTimeoutMs?: number;
  /**
   * An offer of ours still unanswered after this long is taken as lost (our offer, or the
   * answer, was dropped; or the peer could not apply it): rollback and a fresh ICE-restart
   * offer. Default 5000 ms.
   */
  answerTimeoutMs?: number;
  /**
   * Resyncs (rollback + ICE-restart offer) in a row without a completed offer/answer before the
   * session fails with reason `negotiation-failed`. Default 3.
   */
  maxNegotiationRecoveries?: number;
  /** Loop guard: at most this many offers of ours within `offerWindowMs`. Default 15. */
  maxOffersPerWindow?: number;
  /** Loop guard window. Default 3000 ms. */
  offerWindowMs?: number;
  /** Logger (the client passes its `parley:peer` logger). */
  logger?: Logger;
}

/** Events of {@link PeerSession}. */
export type PeerSessionEvents = {
  /**
   * The session state changed; `reason` is set for `failed` (a {@link PeerFailureReason}) and
   * `closed` (the text given to `close()`).
   */
  state: [state: PeerState, reason?: PeerFailureReason | string];
  /** A remote track arrived, with the stream it belongs to. */
  track: [track: MediaStreamTrack, stream: MediaStream];
  /** A remote track was removed by the peer (e.g. it stopped sharing its screen). */
  'track-removed': [track: MediaStreamTrack, stream: MediaStream];
  /** The peer announced its microphone/camera/screen state. */
  'media-state': [state: RemoteMediaState];
  /** An app message sent with {@link PeerSession.sendAppData} by the peer. */
  'app-data': [data: JsonValue];
  /** A negotiation round completed: local and remote descriptions agree again. */
  negotiated: [];
  /** The peer ended this conversation with a `bye` signal. */
  bye: [reason?: string];
  /** A data channel opened by the peer (not negotiated out of band). */
  datachannel: [channel: RTCDataChannel];
};

const DEFAULTS = {
  iceDisconnectedGraceMs: 3_000,
  politeBackupMs: 2_000,
  iceRestartTimeoutMs: 10_000,
  maxIceRestarts: 5,
  firstOfferWaitMs: 1_500,
  firstConnectTimeoutMs: 10_000,
  answerTimeoutMs: 5_000,
  maxNegotiationRecoveries: 3,
  maxOffersPerWindow: 15,
  offerWindowMs: 3_000,
};

/**
 * A peer-to-peer session with one remote peer. Calls and rooms create these for you; use the
 * class directly only to build your own conversation model on {@link SignalingClient}.
 *
 * @example
 * ```ts
 * const peer = new PeerSession({ localName: 'alice', remoteName: 'bob', scope: 'room:demo',
 *   send: (data) => signaling.send({ type: 'signal', to: 'bob', data }) });
 * peer.on('track', (track, stream) => (video.srcObject = stream));
 * for (const t of stream.getTracks()) void peer.addTrack(t, stream);
 * attachPeerFeatures(peer); // peer.chat, peer.files, peer.stats (the client does this itself)
 * // and for each inbound `signal` from bob with this scope: peer.handleSignal(data)
 * ```
 */
export class PeerSession extends TypedEmitter<PeerSessionEvents> {
  readonly localName: string;
  readonly remoteName: string;
  readonly scope: Scope;
  /** This side yields on offer collisions. Derived from the two names; both sides agree. */
  readonly polite: boolean;
  /** The underlying connection. Prefer the session's methods for anything that negotiates. */
  readonly pc: RTCPeerConnection;

  readonly #send: (data: SignalData) => void;
  readonly #queue = new CommandQueue();
  readonly #log: Logger;
  readonly #hold: FirstOfferHold;
  readonly #ice: IceRecovery;
  readonly #guard: OfferGuard;
  readonly #resync: NegotiationResync;
  /** Things attached from outside (chat, files, stats…), closed with the session. */
  #attached: { close(): void }[] = [];

  // Perfect negotiation state (names as in the W3C example).
  #makingOffer = false;
  #ignoreOffer = false;
  #isSettingRemoteAnswerPending = false;
  #pendingCandidates: CandidateInit[] = [];

  #state: PeerState = 'connecting';
  #reason: string | undefined;
  #iceRestartRequested = false;
  readonly #remoteStreams = new RemoteStreams((track, stream) => {
    if (!this.#closed) this.emit('track-removed', track, stream);
  });
  #remoteMedia: RemoteMediaState | null = null;
  #maxVideoBitrateBps: number | null = null;
  #closed = false;
  /** The last media state we announced, sent again after signaling was lost. */
  #lastMediaState: MediaStateData | null = null;

  constructor(options: PeerSessionOptions) {
    super();
    this.localName = options.localName;
    this.remoteName = options.remoteName;
    this.scope = options.scope;
    this.polite = isPolite(options.localName, options.remoteName);
    this.#send = options.send;
    this.#log = options.logger ?? silentLogger;
    const remoteName = this.remoteName;
    const logger = this.#log;
    const PC =
      options.RTCPeerConnection ??
      (globalThis as { RTCPeerConnection?: RTCPeerConnectionConstructor }).RTCPeerConnection;
    if (!PC)
      throw new InvalidStateError('no RTCPeerConnection implementation: pass options.RTCPeerConnection');
    this.pc = new PC({ ...options.rtcConfiguration, iceServers: options.iceServers ?? [] });
    this.#hold = new FirstOfferHold({
      waitMs: options.firstOfferWaitMs ?? DEFAULTS.firstOfferWaitMs,
      onTimeout: () => this.#release(),
    });
    this.#guard = new OfferGuard({
      maxOffersPerWindow: options.maxOffersPerWindow ?? DEFAULTS.maxOffersPerWindow,
      offerWindowMs: options.offerWindowMs ?? DEFAULTS.offerWindowMs,
      onRetry: () => this.#requestOffer(),
      logger,
      remoteName,
    });
    this.#resync = new NegotiationResync({
      answerTimeoutMs: options.answerTimeoutMs ?? DEFAULTS.answerTimeoutMs,
      maxNegotiationRecoveries: options.maxNegotiationRecoveries ?? DEFAULTS.maxNegotiationRecoveries,
      signalingUp: options.signalingUp ?? (() => true),
      offerPending: (sdp) =>
        this.pc.signalingState === 'have-local-offer' && this.pc.localDescription?.sdp === sdp,
      settled: () => this.pc.signalingState === 'stable' && this.#isConnected(),
      resendMediaState: () => {
        if (this.#lastMediaState)
          this.#signal({ kind: 'media-state', scope: this.scope, ...this.#lastMediaState });
      },
      rollbackAndRestart: () => this.#queue.push('resync', () => this.#rollbackAndRestart()),
      fail: () => this.#fail('negotiation-failed'),
      logger,
      remoteName,
    });
    this.#wire();
    if (options.holdFirstOffer ?? this.polite) this.#hold.hold();
    // Also starts the first-connect timer: a first connection that never comes (ICE stuck in
    // `new` or `checking`) is recovered like a failed one.
    this.#ice = new IceRecovery({
      polite: this.polite,
      iceDisconnectedGraceMs: options.iceDisconnectedGraceMs ?? DEFAULTS.iceDisconnectedGraceMs,
      politeBackupMs: options.politeBackupMs ?? DEFAULTS.politeBackupMs,
      iceRestartTimeoutMs: options.iceRestartTimeoutMs ?? DEFAULTS.iceRestartTimeoutMs,
      maxIceRestarts: options.maxIceRestarts ?? DEFAULTS.maxIceRestarts,
      firstConnectTimeoutMs: options.firstConnectTimeoutMs ?? DEFAULTS.firstConnectTimeoutMs,
      isConnected: () => this.#isConnected(),
      restartIce: () => this.restartIce(),
      giveUp: () => this.#fail('ice-failed'),
      logger,
      remoteName,
    });
    this.#log.debug('peer session created', {
      remote: this.remoteName,
      scope: this.scope,
      polite: this.polite,
    });
  }

  /** Current state. */
  get state(): PeerState {
    return this.#state;
  }
  /** Why the session is `failed` (a {@link PeerFailureReason}) or `closed`. */
  get reason(): PeerFailureReason | string | undefined {
    return this.#reason;
  }
  /** The remote streams received so far (camera, screen…), by stream id. */
  get remoteStreams(): MediaStream[] {
    return this.#remoteStreams.all;
  }
  /** The remote side's last announced media state, or null before it sent one. */
  get remoteMediaState(): RemoteMediaState | null {
    return this.#remoteMedia;
  }
  /** ICE restarts since the last time the session was connected. */
  get iceRestarts(): number {
    return this.#ice.restarts;
  }

  /** Feeds one inbound signaling `data` (already routed to this session by scope). */
  handleSignal(data: SignalData): void {
    if (this.#closed) return;
    switch (data.kind) {
      case 'description':
        // Told on arrival, not when the queue gets to it: a polite backup restart due while an
        // earlier command runs would otherwise cross the offer already here (./ice-recovery.ts).
        if (data.description.type === 'offer') this.#ice.remoteOffer();
        this.#queue
          .push('remote-description', () => this.#onRemoteDescription(data.description))
          .catch((error) => this.#onNegotiationError('remote description', error));
        return;
      case 'candidate':
        if (data.candidate === null) return; // end-of-candidates: nothing to do with trickle ICE
        this.#queue
          .push('candidate', () => this.#onRemoteCandidate(data.candidate as CandidateInit))
          .catch((error) => this.#onNegotiationError('candidate', error));
        return;
      case 'media-state':
        this.#remoteMedia = { audio: data.audio, video: data.video, screen: data.screen };
        this.emit('media-state', this.#remoteMedia);
        return;
      case 'bye':
        this.emit('bye', data.reason);
        return;
      case 'app':
        this.emit('app-data', data.data);
        return;
    }
  }

  /**
   * Sends a local track. Negotiation follows by itself (`negotiationneeded`). Sending the same
   * track twice is a no-op. Resolves with its RTCRtpSender.
   */
  addTrack(track: MediaStreamTrack, stream?: MediaStream): Promise<RTCRtpSender> {
    return this.#mutate('addTrack', () => {
      const existing = this.pc.getSenders().find((s) => s.track === track);
      if (existing) return existing;
      const sender = stream ? this.pc.addTrack(track, stream) : this.pc.addTrack(track);
      if (track.kind === 'video' && this.#maxVideoBitrateBps !== null) {
        void applyMaxBitrate(sender, this.#maxVideoBitrateBps, this.#log);
      }
      this.#log.debug('track added', { remote: this.remoteName, kind: track.kind });
      return sender;
    });
  }

  /** Stops sending a track; the peer sees it removed after the renegotiation that follows. */
  removeTrack(track: MediaStreamTrack): Promise<void> {
    return this.#mutate('removeTrack', () => {
      const sender = this.pc.getSenders().find((s) => s.track === track);
      if (!sender) return;
      this.pc.removeTrack(sender);
      this.#log.debug('track removed', { remote: this.remoteName, kind: track.kind });
    });
  }

  /**
   * Swaps the track a sender sends for another of the same kind, without renegotiation (a
   * camera or microphone switch). Returns false when no sender sends `oldTrack`.
   */
  replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack | null): Promise<boolean> {
    return this.#mutate('replaceTrack', async () => {
      const sender = this.pc.getSenders().find((s) => s.track === oldTrack);
      if (!sender) return false;
      await sender.replaceTrack(newTrack);
      return true;
    });
  }

  /**
   * Makes sure media of `kind` can be received even though we send none (no camera, or the
   * permission was denied): adds a `recvonly` transceiver unless one of that kind exists.
   */
  ensureReceiving(kind: 'audio' | 'video'): Promise<void> {
    return this.#mutate('ensureReceiving', () => {
      const has = this.pc
        .getTransceivers()
        .some((t) => (t.receiver.track?.kind ?? t.sender.track?.kind) === kind && t.direction !== 'inactive');
      if (!has) this.pc.addTransceiver(kind, { direction: 'recvonly' });
    });
  }

  /**
   * Call before adding media to a session that may so far carry data only (a room member met
   * while the room's media went through the SFU, when the room goes back to mesh and both sides
   * add their media at once). If the connection has no transceivers yet, the polite side holds
   * its local changes until the other side's offer arrives (at most `firstOfferWaitMs`) and
   * answers it with its tracks attached, instead of offering too: rolling back a colliding offer
   * that adds the first m-sections breaks Chromium's connection (see
   * {@link holdsFirstMediaOffer}). A no-op on the impolite side and on connections with media
   * sections already.
   */
  expectFirstMedia(): void {
    if (this.#closed || this.#hold.holding) return;
    const transceivers = this.pc.getTransceivers().length;
    if (!holdsFirstMediaOffer({ polite: this.polite, transceivers })) return;
    this.#log.debug('first media: waiting for the offer of the other side', { remote: this.remoteName });
    this.#hold.hold();
  }

  /**
   * Caps the bitrate of every video sender (bits per second), e.g. lower as a mesh grows.
   * `null` removes the cap. Engines without `setParameters` are left alone.
   */
  setMaxVideoBitrate(bps: number | null): Promise<void> {
    this.#maxVideoBitrateBps = bps;
    return this.#queue.push('setMaxVideoBitrate', async () => {
      for (const sender of this.pc.getSenders()) {
        if (sender.track?.kind === 'video') await applyMaxBitrate(sender, bps, this.#log);
      }
    });
  }

  /**
   * Runs `change` on the connection in the command queue, after the first offer on the polite
   * side (see the class comment). For features that add to the connection themselves, such as a
   * data channel: creating it in here avoids a colliding first offer.
   */
  runLocalChange<T>(name: string, change: (pc: RTCPeerConnection) => T | Promise<T>): Promise<T> {
    return this.#mutate(name, () => change(this.pc));
  }

  /** The cap set by {@link setMaxVideoBitrate}, or null. */
  get maxVideoBitrateBps(): number | null {
    return this.#maxVideoBitrateBps;
  }

  /** Tells the peer our microphone/camera/screen state (shown by its UI). */
  sendMediaState(state: MediaStateData): void {
    this.#lastMediaState = { audio: state.audio, video: state.video, screen: state.screen };
    this.#signal({ kind: 'media-state', scope: this.scope, ...this.#lastMediaState });
  }

  /**
   * Tells the session that signaling it sent may have been dropped on the way (the server
   * answered `RATE_LIMITED`, which does not say which frame it dropped). After a backoff that
   * lets the server's token bucket refill (about 1 s, doubling on repeats), the session sends its
   * media state again and, unless it is stable and connected, resynchronizes (rollback and an
   * ICE-restart offer, which also re-sends candidates). Repeated calls during the wait coalesce.
   */
  signalingLost(reason = 'signaling-lost'): void {
    if (this.#closed) return;
    this.#resync.signalingLost(reason);
  }

  /** Sends an app-defined JSON message to the peer over signaling (small control messages). */
  sendAppData(data: JsonValue): void {
    this.#signal({ kind: 'app', scope: this.scope, data });
  }

  /** Tells the peer this conversation is over (used when the server cannot, e.g. after it restarted). */
  sendBye(reason?: string): void {
    // Clamped to the schema's bound, so the peer does not drop the bye as malformed.
    const said = reason?.slice(0, LIMITS.reasonMaxChars);
    this.#signal({ kind: 'bye', scope: this.scope, ...(said ? { reason: said } : {}) });
  }

  /**
   * Restarts ICE: new credentials, new candidates, one more offer/answer. Called by the session
   * itself when ICE fails; call it yourself after a network change you know about.
   */
  restartIce(): void {
    if (this.#closed) return;
    this.#log.info('ice restart', { remote: this.remoteName, attempt: this.#ice.restarts });
    if (typeof this.pc.restartIce === 'function') {
      this.pc.restartIce();
    } else {
      // Engines without restartIce(): make the next offer an ICE restart ourselves.
      this.#iceRestartRequested = true;
      this.#requestOffer();
    }
  }

  /**
   * Ties something built on this session's connection (a data channel's user, a stats poller…)
   * to the session's life: its `close()` runs when the session closes, before the connection
   * does, last attached first. On a closed session it runs at once. Returns `feature`.
   */
  attach<T extends { close(): void }>(feature: T): T {
    if (this.#closed) feature.close();
    else this.#attached.push(feature);
    return feature;
  }

  /** Uses new ICE servers for future candidates (e.g. refreshed TURN credentials). */
  setIceServers(iceServers: RTCIceServer[]): void {
    if (this.#closed) return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
    } catch (error) {
      this.#log.warn('setConfiguration failed', { error: String(error) });
    }
  }

  /** The connection's statistics (see `RTCPeerConnection.getStats`). */
  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  /**
   * Closes the connection. Queued operations reject with InvalidStateError. Idempotent; emits
   * `state` `closed` once.
   */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ice.close();
    this.#guard.close();
    this.#resync.close();
    this.#queue.close();
    this.#hold.close();
    // Attached features last in, first out, while the connection is still open (an active file
    // transfer sends its cancel).
    for (const feature of this.#attached.splice(0).reverse()) {
      try {
        feature.close();
      } catch (error) {
        this.#log.warn('attached feature threw on close', { error: String(error) });
      }
    }
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.ondatachannel = null;
    try {
      this.pc.close();
    } catch {
      // Already closed.
    }
    this.#log.debug('peer session closed', { remote: this.remoteName, reason });
    this.#setState('closed', reason);
  }

  // -------------------------------------------------------------------------------------------

  /** Queues a local change, or holds it while this side waits for the first offer. */
  #mutate<T>(name: string, run: () => T | Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new InvalidStateError(`${name}: the peer session is closed`));
    if (!this.#hold.holding) return this.#queue.push(name, run);
    return this.#hold.defer(run);
  }

  /** Stops holding (no first offer came in time): the held changes go through the queue. */
  #release(): void {
    if (!this.#hold.holding || this.#closed) return;
    this.#log.debug('no first offer yet: sending our own', { remote: this.remoteName });
    this.#queue
      .push('release', async () => {
        // The offer owed for a negotiationneeded skipped while holding: release() clears that
        // flag, and the event need not fire again (it was for a change made before).
        if (await this.#hold.release()) await this.#makeOffer();
      })
      .catch((e) => this.#onNegotiationError('offer', e));
  }

  #wire(): void {
    const pc = this.pc;
    pc.onnegotiationneeded = () => {
      if (this.#hold.holding) {
        // This side waits for the first offer (./first-offer-hold.ts); owe one if none comes.
        this.#hold.skipNegotiation();
        return;
      }
      this.#requestOffer();
    };
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate) return;
      const init = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate;
      this.#signal({ kind: 'candidate', scope: this.scope, candidate: toCandidateInit(init) });
    };
    pc.ontrack = (ev) => this.#onTrack(ev);
    pc.ondatachannel = (ev) => this.emit('datachannel', ev.channel);
    pc.onconnectionstatechange = () => this.#updateState();
    pc.oniceconnectionstatechange = () => this.#updateState();
    pc.onsignalingstatechange = () => {
      if (pc.signalingState === 'stable' && !this.#closed) this.emit('negotiated');
    };
  }

  #signal(data: SignalData): void {
    if (this.#closed) return;
    try {
      this.#send(data);
    } catch (error) {
      this.#log.warn('signal not sent', { kind: data.kind, error: String(error) });
    }
  }

  /**
   * Queues an offer, unless the loop guard holds offers back: then one offer is owed and made
   * when the backoff ends.
   */
  #requestOffer(): void {
    if (this.#closed) return;
    if (!this.#guard.request()) return;
    this.#queue.push('offer', () => this.#makeOffer()).catch((e) => this.#onNegotiationError('offer', e));
  }

  async #makeOffer(): Promise<void> {
    const pc = this.pc;
    // negotiationneeded is only fired in `stable`; if another command moved us on meanwhile,
    // the browser fires it again once we are back in `stable`.
    if (pc.signalingState !== 'stable') return;
    this.#guard.offered();
    this.#makingOffer = true;
    try {
      if (this.#iceRestartRequested) {
        this.#iceRestartRequested = false;
        await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
      } else {
        await setLocal(pc, 'offer');
      }
      const local = pc.localDescription;
      if (!local || this.#closed) return;
      this.#log.debug('offer sent', { remote: this.remoteName });
      this.#log.trace('local sdp', { sdp: local.sdp });
      this.#signal({ kind: 'description', scope: this.scope, description: toDescriptionInit(local) });
      this.#resync.watchAnswer(local.sdp ?? '');
    } finally {
      this.#makingOffer = false;
    }
  }

  async #onRemoteDescription(description: DescriptionInit): Promise<void> {
    const pc = this.pc;
    const decision = decideOnDescription(description.type, {
      polite: this.polite,
      makingOffer: this.#makingOffer,
      signalingState: pc.signalingState as SignalingStateName,
      isSettingRemoteAnswerPending: this.#isSettingRemoteAnswerPending,
    });
    this.#ignoreOffer = description.type === 'offer' && decision.action === 'ignore';
    if (decision.action === 'ignore') {
      this.#log.debug('remote description ignored', { remote: this.remoteName, reason: decision.reason });
      return;
    }
    this.#log.debug('remote description', {
      remote: this.remoteName,
      type: description.type,
      rollback: decision.rollback,
    });
    this.#log.trace('remote sdp', { sdp: description.sdp });
    this.#isSettingRemoteAnswerPending = description.type === 'answer';
    const lastLocal = pc.currentLocalDescription;
    if (description.type === 'answer' && lastLocal?.type === 'answer' && description.sdp) {
      const sdp = keepDtlsRole(description.sdp, lastLocal.sdp);
      if (sdp !== description.sdp) {
        this.#log.info('answer asked to swap DTLS roles: kept ours', { remote: this.remoteName });
        description = { ...description, sdp };
      }
    }
    try {
      await this.#setRemote(description, decision.rollback);
    } finally {
      this.#isSettingRemoteAnswerPending = false;
    }
    if (description.type === 'answer') this.#resync.completed();
    await this.#flushCandidates();
    // Our held tracks join the transceivers this offer created, so the answer carries them.
    if (description.type === 'offer' && this.#hold.holding) await this.#hold.release();
    if (decision.answer) {
      await setLocal(pc, 'answer');
      const local = pc.localDescription;
      if (!local || this.#closed) return;
      this.#signal({ kind: 'description', scope: this.scope, description: toDescriptionInit(local) });
      this.#resync.completed();
    }
  }

  /**
   * The resync command (./resync.ts decides when): rolls back whatever negotiation is half done
   * on our side and asks for an ICE-restart offer.
   */
  async #rollbackAndRestart(): Promise<void> {
    const pc = this.pc;
    if (pc.signalingState === 'have-local-offer') {
      await pc.setLocalDescription({ type: 'rollback' });
    } else if (pc.signalingState === 'have-remote-offer') {
      await pc.setRemoteDescription({ type: 'rollback' } as RTCSessionDescriptionInit);
    }
    // Candidates buffered for the description we gave up on belong to it.
    this.#pendingCandidates = [];
    if (this.#hold.holding) await this.#hold.release();
    this.#iceRestartRequested = true;
    this.#requestOffer();
  }

  /**
   * setRemoteDescription, rolling our offer back first where needed. Current engines roll back
   * implicitly inside setRemoteDescription(offer) (webrtc-pc §4.4.1.5); older ones throw
   * InvalidStateError, so we roll back explicitly and try again.
   */
  async #setRemote(description: DescriptionInit, rollback: boolean): Promise<void> {
    try {
      await this.pc.setRemoteDescription(description);
    } catch (error) {
      if (!rollback || this.pc.signalingState !== 'have-local-offer') throw error;
      this.#log.debug('explicit rollback', { remote: this.remoteName });
      await this.pc.setLocalDescription({ type: 'rollback' });
      await this.pc.setRemoteDescription(description);
    }
  }

  async #onRemoteCandidate(candidate: CandidateInit): Promise<void> {
    const decision = decideOnCandidate({
      hasRemoteDescription: this.pc.remoteDescription !== null,
      ignoreOffer: this.#ignoreOffer,
    });
    if (decision === 'drop') return;
    if (decision === 'buffer') {
      this.#pendingCandidates.push(candidate);
      return;
    }
    await this.#addCandidate(candidate);
  }

  async #flushCandidates(): Promise<void> {
    const pending = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const c of pending) await this.#addCandidate(c);
  }

  async #addCandidate(candidate: CandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates of an offer we ignored are expected to fail (W3C example); others are logged:
      // a stale candidate from before an ICE restart is harmless too.
      if (!this.#ignoreOffer)
        this.#log.debug('candidate rejected', { remote: this.remoteName, error: String(error) });
    }
  }

  #onNegotiationError(step: string, error: unknown): void {
    if (this.#closed || isNamedError(error, 'InvalidStateError')) {
      // After close, queued work is rejected on purpose; before close, an InvalidStateError
      // means the state moved on (the next negotiationneeded or restart recovers).
      this.#log.debug('negotiation step skipped', { step, error: String(error) });
      return;
    }
    // A description that cannot be applied (e.g. Chromium's "Failed to start SCTP transport"
    // on an offer with a rejected data section) leaves the two sides out of step: resync, and
    // fail visibly if that does not help.
    this.#log.warn('negotiation step failed', { remote: this.remoteName, step, error: String(error) });
    if (step === 'candidate') return; // a bad candidate does not stall negotiation
    this.#resync.resync(`${step} failed: ${errorName(error)}`);
  }

  #onTrack(ev: RTCTrackEvent): void {
    const track = ev.track;
    const stream = this.#remoteStreams.add(ev);
    this.#log.debug('remote track', { remote: this.remoteName, kind: track.kind });
    this.emit('track', track, stream);
  }

  #isConnected(): boolean {
    return connectionStateOf(this.pc) === 'connected';
  }

  #updateState(): void {
    if (this.#closed || this.#resync.failed) return;
    const pc = this.pc;
    const conn = connectionStateOf(pc);
    if (conn === 'connected') {
      this.#ice.connected();
      if (this.#maxVideoBitrateBps !== null)
        void this.setMaxVideoBitrate(this.#maxVideoBitrateBps).catch(() => {});
      this.#setState('connected');
      return;
    }
    if (conn === 'closed') {
      this.close('closed');
      return;
    }
    const health = iceHealthOf(pc);
    this.#ice.check(health);
    if (this.#state === 'failed') return;
    this.#setState(this.#ice.everConnected || health !== 'ok' ? 'reconnecting' : 'connecting');
  }

  #fail(reason: PeerFailureReason): void {
    this.#setState('failed', reason);
  }

  #setState(state: PeerState, reason?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#reason = reason;
    this.#log.debug('peer state', { remote: this.remoteName, state, reason });
    this.emit('state', state, reason);
  }
}
