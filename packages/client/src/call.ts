/**
 * A direct call between two names, tracked by the server (`call.*` messages) and carried by one
 * {@link PeerSession}. Outgoing calls go `ringing` → `connecting` → `connected`; incoming calls
 * start `incoming` and are answered with {@link Call.accept}, {@link Call.decline} or
 * {@link Call.busy}. Every call ends exactly once, with a reason.
 */
import { type CallEndReason, type CallReach, type JsonValue, ParleyError } from '@parley/protocol';
import { InvalidStateError } from './errors.ts';
import { TypedEmitter } from './events.ts';
import { type AppChannel, type AppChannelOptions, channelFor } from './features/app-channel.ts';
import { callChannelScope } from './features/app-channel-scopes.ts';
import type { ChatChannel } from './features/chat.ts';
import type { CallAgreement } from './features/e2ee/call-agreement.ts';
import type { E2eeSession, E2eeSetup } from './features/e2ee/e2ee-session.ts';
import type { FileTransfers } from './features/file-transfer.ts';
import { type LocalMedia, type MediaInput, toMediaOptions } from './features/media.ts';
import type { CallControl, ConversationHost } from './host.ts';
import type { Logger } from './log.ts';
import type { PeerSession, RemoteMediaState } from './peer/peer-session.ts';
import type { Scope, SignalData } from './peer/signal-data.ts';

/**
 * `ringing` (we called, the callee's client rings), `incoming` (someone calls us), `connecting`
 * (answered, media being set up), `connected`, `reconnecting` (network trouble, recovering),
 * `ended` (see {@link CallEndedReason}).
 */
export type CallState = 'ringing' | 'incoming' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

/**
 * Why a call ended: the server's reasons (`declined`, `busy`, `cancelled`, `hangup`,
 * `no_answer`, `peer_gone`), or `failed` when the peer connection could not be (re)established,
 * or `closed` when our client was closed.
 */
export type CallEndedReason = CallEndReason | 'failed' | 'closed';

/** Events of {@link Call}. */
export type CallEvents = {
  /** The state changed; `reason` accompanies `ended`. */
  state: [state: CallState, reason?: CallEndedReason];
  /** The callee answered (both sides get it). */
  accepted: [];
  /** The call is over; `by` names who ended it when known. */
  ended: [reason: CallEndedReason, by?: string];
  /** The peer session exists (after accept): chat, stats and raw access hang off it. */
  peer: [peer: PeerSession];
  /** A remote track arrived. */
  track: [track: MediaStreamTrack, stream: MediaStream];
  /** A remote track was removed (e.g. the peer stopped sharing its screen). */
  'track-removed': [track: MediaStreamTrack, stream: MediaStream];
  /** The peer muted/unmuted or started/stopped sharing its screen. */
  'media-state': [state: RemoteMediaState];
  /**
   * While ringing: how far the invite got ({@link Call.reach}: the callee's client has it, or the
   * callee is briefly away and the call rings when it is back) and until when it rings
   * ({@link Call.ringsUntil}, on the callee's side).
   */
  rings: [reach: CallReach | null, ringsUntil: number | null];
  /**
   * The other party's page is going away (a reload, or a closed tab): the call is held for up to
   * `graceMs` (state `reconnecting`); it resumes with a new peer session, or ends `peer_gone`.
   */
  held: [graceMs: number];
};

/** Set by the class's static block, which alone may reach its private members. */
let control: (call: Call) => CallControl;

/** @internal The client's handle on `call` (not exported from the package). */
export function callControl(call: Call): CallControl {
  return control(call);
}

/**
 * A call. Get one from `client.call(name)` or the client's `incoming` event.
 *
 * @example
 * ```ts
 * const call = await client.call('bob', { media: { audio: true, video: true } });
 * call.on('track', (track, stream) => (remoteVideo.srcObject = stream));
 * call.on('ended', (reason) => console.log('call ended:', reason));
 * // later
 * await call.hangup();
 * ```
 */
export class Call extends TypedEmitter<CallEvents> {
  /** The server's call id. */
  readonly id: string;
  /** The other party's name. */
  readonly remote: string;
  /** Who called. */
  readonly direction: 'outgoing' | 'incoming';
  /** `data` the caller attached to its invite, if any. */
  readonly data: JsonValue | undefined;

  readonly #host: ConversationHost;
  readonly #log: Logger;
  #state: CallState;
  #endReason: CallEndedReason | undefined;
  #endedBy: string | undefined;
  #peer: PeerSession | null = null;
  #media: LocalMedia | null = null;
  /** End-to-end encryption of the call's media (`e2ee` given to `call()` / `accept()`). */
  #e2ee: E2eeSession | undefined;
  #reach: CallReach | null = null;
  #ringsUntil: number | null = null;
  /** Our side of the key agreement of an encrypted call (`e2ee({ agree: true })`). */
  #agreement: CallAgreement | undefined;
  /** The caller's key commitment from the invite (incoming encrypted calls). */
  readonly #commit: string | undefined;
  /** The other party's agreement key arrived (a second one is ignored). */
  #remoteKeySeen = false;

  /** @internal Created by the client. */
  constructor(
    host: ConversationHost,
    init: {
      id: string;
      remote: string;
      direction: 'outgoing' | 'incoming';
      data?: JsonValue;
      /** The invite asked for an encrypted call: the caller's key commitment. */
      e2eeCommit?: string;
      /** Taken up again by a reloaded page (`client.rejoinCall`): starts `connecting`. */
      rejoined?: boolean;
    },
  ) {
    super();
    this.#host = host;
    this.#log = host.logger('parley:call');
    this.id = init.id;
    this.remote = init.remote;
    this.direction = init.direction;
    this.data = init.data;
    this.#commit = init.e2eeCommit;
    this.#state = init.rejoined ? 'connecting' : init.direction === 'outgoing' ? 'ringing' : 'incoming';
  }

  /**
   * The caller asked for an end-to-end encrypted call with agreed keys: answer with
   * `accept(media, { e2ee: e2ee({ agree: true, worker }) })` (or decline).
   */
  get encryptionRequested(): boolean {
    return this.#commit !== undefined;
  }

  /** Current state. */
  get state(): CallState {
    return this.#state;
  }
  /**
   * Outgoing, while ringing: `ringing` (the callee's client has the call) or `reaching` (the
   * callee's client is briefly away: hidden, frozen, asleep or switching networks; the call
   * rings once it is back within the ring time). Null when the server did not say.
   */
  get reach(): CallReach | null {
    return this.#reach;
  }
  /** Incoming, while ringing: when the server stops ringing (`Date.now()` clock), or null. */
  get ringsUntil(): number | null {
    return this.#ringsUntil;
  }
  /** Why the call ended (once `ended`). */
  get endReason(): CallEndedReason | undefined {
    return this.#endReason;
  }
  /** Who ended the call, when the server said. */
  get endedBy(): string | undefined {
    return this.#endedBy;
  }
  /** The peer session, once the call is answered. */
  get peer(): PeerSession | null {
    return this.#peer;
  }
  /** Local media of this call (mute, switch camera, share screen), once it has some. */
  get media(): LocalMedia | null {
    return this.#media;
  }
  /** Chat with the other party on the peer-to-peer chat channel, once answered. */
  get chat(): ChatChannel | null {
    return this.#peer?.chat ?? null;
  }
  /** File transfers with the other party, once answered. */
  get files(): FileTransfers | null {
    return this.#peer?.files ?? null;
  }

  /**
   * The app data channel `label` with the peer: strings, binary and JSON, reliable or lossy,
   * with backpressure (features/app-channel.ts). The peer opens the same label with the same
   * options. Asking again for an open label gives the same object.
   */
  channel(label: string, options: AppChannelOptions = {}): AppChannel {
    return channelFor(this, label, options, () => callChannelScope(this));
  }
  /** Remote streams received so far. */
  get remoteStreams(): MediaStream[] {
    return this.#peer?.remoteStreams ?? [];
  }
  /** The signaling scope of this call's peer session. */
  get scope(): Scope {
    return `call:${this.id}`;
  }

  /**
   * End-to-end encryption of this call's media when placed or answered with `e2ee` (else
   * undefined): its safety code and whether the other side's frames decrypt.
   */
  get e2ee(): E2eeSession | undefined {
    return this.#e2ee;
  }

  /**
   * Answers an incoming call with local media: a stream, or {@link MediaOptions} (default: camera
   * and microphone, falling back to receive-only). Rejects if the call is no longer incoming.
   */
  async accept(media: MediaInput = {}, extra: { e2ee?: E2eeSetup } = {}): Promise<void> {
    const options = toMediaOptions(media);
    if (this.#state !== 'incoming')
      throw new InvalidStateError(`cannot accept a call in state ${this.#state}`);
    if (extra.e2ee?.agree && this.#commit === undefined)
      throw new InvalidStateError('the caller did not ask for an encrypted call');
    this.#setState('connecting');
    if (extra.e2ee) {
      if (extra.e2ee.agree) this.#agreement = await extra.e2ee.agree();
      this.#e2ee = await extra.e2ee.create(this.#host.name, `call:${this.remote}:${this.#host.name}`);
    }
    const acquired = await this.#host.acquireMedia(options);
    if (this.#ended()) {
      if (acquired.owned) for (const t of acquired.stream?.getTracks() ?? []) t.stop();
      throw new InvalidStateError(`the call ended (${this.#endReason}) before it was answered`);
    }
    this.#media = this.#host.createLocalMedia(acquired);
    this.#startPeer();
    const accepted = this.#host.request({ type: 'call.accept', call: this.id });
    // Our agreement key right behind the accept, ahead of our offer (one socket keeps the order).
    if (this.#agreement) this.#sendKey(this.#agreement);
    try {
      await accepted;
    } catch (error) {
      // CALL_NOT_FOUND: the caller cancelled (or the ring timed out) while we answered.
      this.#end(error instanceof ParleyError && error.code === 'CALL_NOT_FOUND' ? 'cancelled' : 'failed');
      throw error;
    }
  }

  /** Declines an incoming call. */
  decline(): Promise<void> {
    return this.#refuse(false);
  }

  /** Declines an incoming call as busy (the caller sees `busy`). */
  busy(): Promise<void> {
    return this.#refuse(true);
  }

  /** Cancels an outgoing call that is still ringing. */
  async cancel(): Promise<void> {
    if (this.#state !== 'ringing')
      throw new InvalidStateError(`cannot cancel a call in state ${this.#state}`);
    this.#end('cancelled', this.#host.name);
    await this.#quietly({ type: 'call.cancel', call: this.id });
  }

  /**
   * Ends the call whatever its state: cancels a ringing call, declines an incoming one, hangs up
   * an answered one. Resolves once the server was told (or could not be); idempotent.
   */
  async hangup(): Promise<void> {
    switch (this.#state) {
      case 'ended':
        return;
      case 'ringing':
        return this.cancel();
      case 'incoming':
        return this.decline();
      default: {
        this.#end('hangup', this.#host.name);
        await this.#tellHangup();
      }
    }
  }

  // ---- driven by the client (through CallControl) -----------------------------------------

  static {
    control = (call) => ({
      call,
      accepted: () => call.#onAccepted(),
      ended: (reason, by) => call.#end(reason, by),
      resumed: (restart) => (restart ? call.#restart() : call.#onResumed()),
      held: (graceMs) => call.#onHeld(graceMs),
      signal: (data) => call.#onSignal(data),
      setMedia: (media) => {
        call.#media = media;
      },
      setE2ee: (session, agreement) => {
        call.#e2ee = session;
        call.#agreement = agreement;
      },
      terminate: (reason) => call.#end(reason),
      rings: (update) => call.#onRings(update),
    });
  }

  #onRings({ reach, ringMs }: { reach?: CallReach; ringMs?: number }): void {
    if (this.#ended()) return;
    if (reach !== undefined) this.#reach = reach;
    if (ringMs !== undefined) this.#ringsUntil = Date.now() + ringMs;
    this.emit('rings', this.#reach, this.#ringsUntil);
  }

  /** The server says the call was answered. */
  #onAccepted(): void {
    if (this.#ended()) return;
    if (this.direction === 'outgoing') {
      this.#setState('connecting');
      this.#startPeer();
    }
    this.emit('accepted');
  }

  /**
   * The server knows the call again after forgetting it (both parties sent `call.resume`).
   * Signals we sent before that were refused (PEER_NOT_FOUND), so the peer session resyncs (an
   * ICE-restart offer) unless it is stable and connected.
   */
  #onResumed(): void {
    if (this.#ended()) return;
    this.#log.info('call known to the server again', { call: this.id });
    this.#peer?.signalingLost('call-resumed');
  }

  /** The other party's page is going: its connection is dead; wait for it to come back. */
  #onHeld(graceMs: number): void {
    if (this.#ended() || this.#state === 'ringing' || this.#state === 'incoming') return;
    this.#log.info('call held: the other party is reloading', { call: this.id, graceMs });
    this.#dropPeer();
    this.#setState('reconnecting');
    this.emit('held', graceMs);
  }

  /**
   * `call.resumed {restart}`: a party's page was reloaded (ours, after {@link rejoinCall}, or
   * theirs): the peer connection starts over, with our media on it.
   */
  #restart(): void {
    if (this.#ended()) return;
    this.#log.info('call restarts after a reload', { call: this.id });
    this.#dropPeer();
    this.#setState('connecting');
    this.#startPeer();
  }

  /** Closes the peer session without ending the call (it is replaced). */
  #dropPeer(): void {
    const peer = this.#peer;
    if (!peer) return;
    this.#peer = null;
    if (this.#media) this.#media.detach(peer);
    peer.close('replaced');
  }

  /** A signal for this call's scope from the remote party; false while there is no peer session yet. */
  #onSignal(data: SignalData): boolean {
    if (this.#ended()) return true;
    if (data.kind === 'e2ee-key') {
      void this.#onRemoteKey(data.key);
      return true;
    }
    if (!this.#peer) return false;
    this.#peer.handleSignal(data);
    return true;
  }

  /**
   * The other party's agreement key (see call-agreement.ts): the caller answers with its own
   * key (revealing what its invite committed to), then both derive the secret and key the E2EE
   * session. Anything wrong (no agreement asked, a second key, a key that does not match the
   * commitment or is no P-256 point) keys nothing: the session reports the error.
   */
  async #onRemoteKey(key: string): Promise<void> {
    const agreement = this.#agreement;
    const session = this.#e2ee;
    if (!agreement || !session || this.#remoteKeySeen) {
      this.#log.debug('agreement key ignored', { call: this.id, expected: !!agreement });
      return;
    }
    this.#remoteKeySeen = true;
    const role = this.direction === 'outgoing' ? 'caller' : 'callee';
    if (role === 'caller') this.#sendKey(agreement);
    try {
      const secret = await agreement.secret(key, role, this.#commit);
      if (!session.closed) await session.useSecret(secret);
    } catch (error) {
      session.reportError(`key agreement failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #sendKey(agreement: CallAgreement): void {
    const data: SignalData = { kind: 'e2ee-key', scope: this.scope, key: agreement.publicKey };
    try {
      this.#host.send({ type: 'signal', to: this.remote, data });
    } catch (error) {
      this.#log.debug('agreement key not sent', { call: this.id, error: String(error) });
    }
  }

  // ------------------------------------------------------------------------------------------

  #startPeer(): void {
    if (this.#peer) return;
    // The callee starts its session first (on accept) and offers at once: its offer travels
    // right behind `call.accepted`, so the caller, whose session starts on `call.accepted`, holds
    // its own first offer and answers that one, whichever side is polite. One round trip, no
    // glare, and no wait for an offer sent only after the accept reached the caller.
    const peer = this.#host.createPeer(this.remote, this.scope, {
      holdFirstOffer: this.direction === 'outgoing',
    });
    this.#peer = peer;
    this.#e2ee?.attach(peer.pc, this.remote);
    // A replaced peer session (see #dropPeer) speaks no more for the call.
    const current = () => this.#peer === peer;
    peer.on('track', (track, stream) => current() && this.emit('track', track, stream));
    peer.on('track-removed', (track, stream) => current() && this.emit('track-removed', track, stream));
    peer.on('media-state', (state) => current() && this.emit('media-state', state));
    peer.on('bye', () => current() && this.#end('hangup', this.remote));
    peer.on('state', (state) => {
      if (this.#ended() || !current()) return;
      if (state === 'connected') this.#setState('connected');
      else if (state === 'reconnecting') this.#setState('reconnecting');
      else if (state === 'failed') {
        this.#end('failed');
        void this.#tellHangup();
      }
    });
    if (this.#media) void this.#media.attach(peer);
    this.emit('peer', peer);
    // The caller can hear from the callee just before `call.accepted` is processed: the signals
    // kept for this call until now are delivered (see conversations.ts).
    this.#host.callReady(this.id);
  }

  /**
   * Tells the server the call is over. A server that restarted since the call began no longer
   * knows it (CALL_NOT_FOUND): then the peer is told directly with a `bye` signal.
   */
  async #tellHangup(): Promise<void> {
    try {
      await this.#host.request({ type: 'call.hangup', call: this.id });
    } catch (error) {
      if (error instanceof ParleyError && error.code === 'CALL_NOT_FOUND') this.#sendBye('hangup');
      else this.#log.debug('hangup not confirmed', { call: this.id, error: String(error) });
    }
  }

  /** A `bye` straight to the peer (its session here is already closed). */
  #sendBye(reason: string): void {
    const data: SignalData = { kind: 'bye', scope: this.scope, reason };
    try {
      this.#host.send({ type: 'signal', to: this.remote, data });
    } catch {
      // Signaling is closed: nothing more can be said.
    }
  }

  async #refuse(busy: boolean): Promise<void> {
    if (this.#state !== 'incoming')
      throw new InvalidStateError(`cannot decline a call in state ${this.#state}`);
    this.#end(busy ? 'busy' : 'declined', this.#host.name);
    await this.#quietly({ type: 'call.decline', call: this.id, ...(busy ? { busy: true } : {}) });
  }

  /** Sends a request whose failure changes nothing locally (the call is already over here). */
  async #quietly(msg: Parameters<ConversationHost['request']>[0]): Promise<void> {
    try {
      await this.#host.request(msg);
    } catch (error) {
      this.#log.debug('request not confirmed', { type: msg.type, call: this.id, error: String(error) });
    }
  }

  #ended(): boolean {
    return this.#state === 'ended';
  }

  #end(reason: CallEndedReason, by?: string): void {
    if (this.#ended()) return;
    this.#endReason = reason;
    this.#endedBy = by;
    this.#peer?.close(`call ${reason}`);
    if (this.#peer && this.#media) this.#media.detach(this.#peer);
    this.#media?.stop();
    this.#e2ee?.close();
    this.#host.forget({ call: this.id });
    this.#log.info('call ended', { call: this.id, reason });
    this.#setState('ended', reason);
    this.emit('ended', reason, by);
  }

  #setState(state: CallState, reason?: CallEndedReason): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, reason);
  }
}
