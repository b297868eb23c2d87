/**
 * A standards-shaped `RTCPeerConnection` (data channels only) over node-datachannel's native
 * `PeerConnection`, so the browser SDK runs unchanged in Node.
 *
 * Why not node-datachannel's own polyfill class: its `setLocalDescription()` without an argument
 * does nothing, `createOffer()` resolves the same first offer forever, `negotiationneeded` never
 * fires and there is no rollback, so perfect negotiation (docs/PROTOCOL.md, the SDK's
 * PeerSession) cannot run on it. This class drives libdatachannel with auto-negotiation off and
 * maps each step of the W3C API (webrtc-pc §4.4) onto it:
 *
 * - `setLocalDescription()` with no argument creates the offer or answer the signaling state
 *   calls for (§4.4.1.5). libdatachannel cannot create a description without applying it, so
 *   `createOffer()`/`createAnswer()` apply it at once and a following `setLocalDescription()`
 *   of the same type is a no-op; a munged `sdp` is not supported (it is ignored).
 * - An offer received in `have-local-offer` rolls the local offer back first (the implicit
 *   rollback of §4.4.1.6), as browsers do for the polite peer.
 * - `negotiationneeded` fires for the first data channel, when the signaling state is stable.
 * - Candidates lose libdatachannel's `a=` prefix; the end of gathering is signalled with a null
 *   candidate only after every candidate in the local description has been announced, because
 *   native callbacks for candidates and for gathering state may be delivered in either order.
 * - Remote mDNS (`.local`) candidates, which libjuice cannot resolve, are ignored like a browser
 *   ignores unresolvable names; the connection then uses the peer-reflexive candidate.
 * - State attributes are read from the native object and every change is dispatched once, from
 *   whichever comes first: the operation that caused it or the native callback.
 * - `restartIce()` is accepted but does nothing: libdatachannel has no ICE restart.
 *
 * At about 750 lines this file is above the house's rule of thumb on purpose: it is one W3C
 * object whose signaling-state machine, description handling and candidate bookkeeping share
 * the same native handle and state; split apart, each part would need the others' internals.
 */
import { randomBytes } from 'node:crypto';
import nodeDataChannel, {
  type PeerConnection as NativePeerConnection,
  type RtcConfig,
} from 'node-datachannel';
import { eventWith, HandlerEventTarget } from './handler-event-target.ts';
import { toNativeIceServers } from './ice-servers.ts';
import { NodeRTCDataChannel } from './rtc-data-channel.ts';
import { NodeRTCIceCandidate, NodeRTCSessionDescription } from './rtc-session-description.ts';

/** Node-only settings that have no place in the browser's `RTCConfiguration`. */
export interface NodePeerOptions {
  /**
   * Local address to gather host candidates on (libdatachannel `bindAddress`). Unset = every
   * interface. `127.0.0.1` confines a peer to loopback (hosts with no other interface).
   */
  bindAddress?: string;
  /** UDP port range for ICE (both ends inclusive). */
  portRange?: { min: number; max: number };
  /** Also gather ICE-TCP candidates. */
  enableIceTcp?: boolean;
  /** Largest message this side accepts, in bytes (SDP `a=max-message-size`). Default 256 KiB. */
  maxMessageSizeBytes?: number;
  /** Called for ICE servers that are valid for a browser but unusable here (e.g. `stuns:`). */
  onSkippedIceServer?: (url: string, reason: string) => void;
}

const { PeerConnection } = nodeDataChannel;
type DataChannelInitConfig = NonNullable<Parameters<NativePeerConnection['createDataChannel']>[1]>;

/** An SDP without `a=candidate` and `a=end-of-candidates` lines (trickle ICE sends them later). */
export function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .join('\r\n');
}

/**
 * An SDP whose audio and video sections are `a=inactive`. The Node peer has no media, but when a
 * browser offers audio and video, libdatachannel answers those sections `sendrecv` with every
 * codec, and the browser then encodes and sends media nobody reads. Declining them in every
 * description we hand out keeps browsers from sending any.
 */
export function withInactiveMedia(sdp: string): string {
  let media = false;
  return sdp
    .split('\r\n')
    .map((line) => {
      if (line.startsWith('m=')) media = /^m=(audio|video) /.test(line);
      return media && /^a=(sendrecv|sendonly|recvonly)$/.test(line) ? 'a=inactive' : line;
    })
    .join('\r\n');
}

/** `RTCDataChannelInit` in libdatachannel's terms (it says `unordered` where the DOM says `ordered`). */
function toNativeChannelInit(init: RTCDataChannelInit): DataChannelInitConfig {
  return {
    ...(init.protocol ? { protocol: init.protocol } : {}),
    ...(init.negotiated ? { negotiated: true } : {}),
    ...(init.id != null ? { id: init.id } : {}),
    unordered: init.ordered === false,
    ...(init.maxPacketLifeTime != null ? { maxPacketLifeTime: init.maxPacketLifeTime } : {}),
    ...(init.maxRetransmits != null ? { maxRetransmits: init.maxRetransmits } : {}),
  };
}

/** The largest message a Chromium data channel accepts, and our default to match it. */
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 256 * 1024;
/** How long to wait for straggling candidate callbacks before announcing the end of gathering. */
const END_OF_CANDIDATES_GRACE_MS = 500;

type StateName = 'signaling' | 'connection' | 'ice' | 'gathering';
const STATE_EVENTS: Record<StateName, string> = {
  signaling: 'signalingstatechange',
  connection: 'connectionstatechange',
  ice: 'iceconnectionstatechange',
  gathering: 'icegatheringstatechange',
};

/** See the file comment. */
export class NodeRTCPeerConnection extends HandlerEventTarget {
  /**
   * A subclass whose constructor takes only an `RTCConfiguration`, with `options` applied, so it
   * can be injected wherever the browser's `RTCPeerConnection` constructor is expected.
   */
  static withOptions(options: NodePeerOptions): typeof NodeRTCPeerConnection {
    return class extends NodeRTCPeerConnection {
      constructor(configuration?: RTCConfiguration, more?: NodePeerOptions) {
        super(configuration, { ...options, ...more });
      }
    };
  }

  /** Not supported by libdatachannel's bindings. */
  static generateCertificate(): Promise<never> {
    return Promise.reject(new DOMException('generateCertificate is not supported', 'NotSupportedError'));
  }

  #native: NativePeerConnection;
  /** True once a remote description was applied: a rollback can no longer start afresh. */
  #everRemote = false;
  /**
   * Our first offer's candidates are held back until the answer is applied (see
   * {@link NodeRTCPeerConnection.localDescription}): the events, queued here, and the SDP lines.
   */
  #holdCandidates = false;
  #heldEvents: NodeRTCIceCandidate[] = [];
  readonly #options: NodePeerOptions;
  #configuration: RTCConfiguration;
  #closed = false;
  readonly #channels = new Set<NodeRTCDataChannel>();
  #channelsOpened = 0;
  #channelsClosed = 0;
  readonly #last: Record<StateName, string> = {
    signaling: 'stable',
    connection: 'new',
    ice: 'new',
    gathering: 'new',
  };
  /** A description `createOffer`/`createAnswer` already applied (see the file comment). */
  #prepared: 'offer' | 'answer' | undefined;
  #negotiationNeeded = false;
  #negotiationQueued = false;
  #hasDataSection = false;
  /** Candidates announced since gathering (re)started, to know when the end may be announced. */
  readonly #announced = new Set<string>();
  #endPending = false;
  #endTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #ids = `${randomBytes(4).toString('hex')}`;

  constructor(configuration: RTCConfiguration = {}, options: NodePeerOptions = {}) {
    super();
    this.#options = options;
    this.#configuration = { iceServers: [], iceTransportPolicy: 'all', ...configuration };
    this.#native = this.#createNative();
  }

  /** Creates a native connection and routes its callbacks here while it is the current one. */
  #createNative(): NativePeerConnection {
    const n = new PeerConnection(`parley-${this.#ids}`, this.#nativeConfig(this.#configuration));
    const live = () => !this.#closed && n === this.#native;
    n.onStateChange(() => {
      if (live()) this.#sync();
    });
    n.onIceStateChange(() => {
      if (live()) this.#sync();
    });
    n.onSignalingStateChange(() => {
      if (live()) this.#sync();
    });
    n.onGatheringStateChange(() => {
      if (live()) this.#sync();
    });
    n.onLocalCandidate((candidate, mid) => {
      if (!live()) return;
      const init = new NodeRTCIceCandidate({ candidate, sdpMid: mid, sdpMLineIndex: 0 });
      if (this.#holdCandidates) {
        this.#heldEvents.push(init);
        return;
      }
      this.#announced.add(init.candidate);
      this.dispatchEvent(eventWith('icecandidate', { candidate: init, url: null }));
      this.#maybeEndOfCandidates();
    });
    n.onDataChannel((native) => {
      if (!live()) return;
      const channel = this.#adopt(new NodeRTCDataChannel(native, {}, () => this.#maxMessageSize()));
      this.dispatchEvent(eventWith('datachannel', { channel }));
    });
    return n;
  }

  /**
   * Rolls back our pending offer. libdatachannel's own rollback resets the description but keeps
   * the ICE agent it created for the offer (still controlling, with the old credentials), so an
   * offer accepted after it fails with an ICE role conflict and a DTLS certificate error
   * (measured on two CLI peers in glare). Before any remote description has been applied nothing
   * depends on that agent, so the native connection is replaced by a fresh one and our channels
   * are re-created on it; this is exactly the state a browser returns to. Later (connected)
   * rollbacks use libdatachannel's.
   */
  #rollback(): void {
    if (this.#everRemote) {
      this.#call(() => this.#native.setLocalDescription('rollback'));
      return;
    }
    const old = this.#native;
    this.#native = this.#createNative();
    for (const channel of this.#channels) {
      const init = channel.init;
      channel.rebind(this.#native.createDataChannel(channel.label, toNativeChannelInit(init)));
    }
    this.#announced.clear();
    this.#endPending = false;
    this.#holdCandidates = false;
    this.#heldEvents = [];
    if (this.#endTimer) clearTimeout(this.#endTimer);
    this.#endTimer = undefined;
    this.#hasDataSection = false;
    try {
      old.close();
    } catch {
      // Already gone.
    }
  }

  // --- Attributes ------------------------------------------------------------------------------

  get signalingState(): RTCSignalingState {
    return this.#closed ? 'closed' : this.#native.signalingState();
  }
  get connectionState(): RTCPeerConnectionState {
    return this.#closed ? 'closed' : this.#native.state();
  }
  get iceConnectionState(): RTCIceConnectionState {
    return this.#closed ? 'closed' : this.#native.iceState();
  }
  get iceGatheringState(): RTCIceGatheringState {
    if (this.#closed) return 'complete';
    // libdatachannel says `in-progress` where the DOM says `gathering`.
    const state = this.#native.gatheringState() as string;
    return state === 'in-progress' ? 'gathering' : (state as RTCIceGatheringState);
  }
  /**
   * The local description. Our *first* offer is given without its candidates (and without
   * `a=end-of-candidates`); they are announced as trickled candidates once the answer is applied.
   * Why: libdatachannel's DTLS server (the offerer, `setup:actpass` answered with `active`)
   * fails the handshake if the answerer's ClientHello arrives before the answer carrying its
   * fingerprint — which happens whenever the peer-to-peer path is faster than the signaling
   * server (measured: about 1 in 15 CLI-to-CLI calls on a loaded host, "DTLS alert: unknown CA").
   * An answerer that does not know our candidates cannot reach us before we know its fingerprint.
   */
  get localDescription(): NodeRTCSessionDescription | null {
    const description = this.#description(() => this.#native.localDescription());
    if (!description) return null;
    let sdp = withInactiveMedia(description.sdp);
    if (this.#holdCandidates && description.type === 'offer') sdp = withoutCandidates(sdp);
    return sdp === description.sdp
      ? description
      : new NodeRTCSessionDescription({ type: description.type, sdp });
  }
  get remoteDescription(): NodeRTCSessionDescription | null {
    return this.#description(() => this.#native.remoteDescription());
  }
  get currentLocalDescription(): NodeRTCSessionDescription | null {
    return this.signalingState === 'stable' ? this.localDescription : null;
  }
  get pendingLocalDescription(): NodeRTCSessionDescription | null {
    return this.signalingState === 'stable' ? null : this.localDescription;
  }
  get currentRemoteDescription(): NodeRTCSessionDescription | null {
    return this.signalingState === 'stable' ? this.remoteDescription : null;
  }
  get pendingRemoteDescription(): NodeRTCSessionDescription | null {
    return this.signalingState === 'stable' ? null : this.remoteDescription;
  }
  get canTrickleIceCandidates(): boolean | null {
    return this.remoteDescription ? true : null;
  }
  /** The SCTP transport once negotiated (null before), with the peer's `maxMessageSize`. */
  get sctp(): {
    readonly maxMessageSize: number;
    readonly maxChannels: number;
    readonly state: string;
  } | null {
    if (this.#closed || !this.remoteDescription || !this.#hasDataSection) return null;
    const connected = this.connectionState === 'connected';
    return {
      maxMessageSize: this.#maxMessageSize(),
      maxChannels: connected ? this.#native.maxDataChannelId() + 1 : 0,
      state: connected ? 'connected' : 'connecting',
    };
  }

  get onicecandidate() {
    return this.getHandler('icecandidate');
  }
  set onicecandidate(h) {
    this.setHandler('icecandidate', h);
  }
  get onicecandidateerror() {
    return this.getHandler('icecandidateerror');
  }
  set onicecandidateerror(h) {
    this.setHandler('icecandidateerror', h);
  }
  get onnegotiationneeded() {
    return this.getHandler('negotiationneeded');
  }
  set onnegotiationneeded(h) {
    this.setHandler('negotiationneeded', h);
  }
  get onsignalingstatechange() {
    return this.getHandler('signalingstatechange');
  }
  set onsignalingstatechange(h) {
    this.setHandler('signalingstatechange', h);
  }
  get onconnectionstatechange() {
    return this.getHandler('connectionstatechange');
  }
  set onconnectionstatechange(h) {
    this.setHandler('connectionstatechange', h);
  }
  get oniceconnectionstatechange() {
    return this.getHandler('iceconnectionstatechange');
  }
  set oniceconnectionstatechange(h) {
    this.setHandler('iceconnectionstatechange', h);
  }
  get onicegatheringstatechange() {
    return this.getHandler('icegatheringstatechange');
  }
  set onicegatheringstatechange(h) {
    this.setHandler('icegatheringstatechange', h);
  }
  get ondatachannel() {
    return this.getHandler('datachannel');
  }
  set ondatachannel(h) {
    this.setHandler('datachannel', h);
  }
  get ontrack() {
    return this.getHandler('track');
  }
  set ontrack(h) {
    this.setHandler('track', h);
  }

  // --- Methods -------------------------------------------------------------------------------

  getConfiguration(): RTCConfiguration {
    return { ...this.#configuration };
  }

  /** Only the parts libdatachannel can change live: none. Validates and stores the rest. */
  setConfiguration(configuration: RTCConfiguration): void {
    this.#assertOpen();
    toNativeIceServers(configuration.iceServers ?? []);
    this.#configuration = { ...this.#configuration, ...configuration };
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): NodeRTCDataChannel {
    this.#assertOpen();
    if (init.maxPacketLifeTime != null && init.maxRetransmits != null) {
      throw new TypeError('maxPacketLifeTime and maxRetransmits are mutually exclusive');
    }
    const native = this.#native.createDataChannel(String(label), toNativeChannelInit(init));
    const channel = this.#adopt(new NodeRTCDataChannel(native, init, () => this.#maxMessageSize()));
    if (!this.#hasDataSection) {
      this.#negotiationNeeded = true;
      this.#queueNegotiationNeeded();
    }
    return channel;
  }

  async createOffer(_options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    this.#assertOpen();
    const state = this.signalingState;
    if (state !== 'stable' && state !== 'have-local-offer') {
      throw new DOMException(`cannot create an offer in state ${state}`, 'InvalidStateError');
    }
    this.#applyLocal('offer');
    this.#prepared = 'offer';
    return this.localDescription!.toJSON();
  }

  async createAnswer(_options?: RTCAnswerOptions): Promise<RTCSessionDescriptionInit> {
    this.#assertOpen();
    const state = this.signalingState;
    if (state !== 'have-remote-offer' && state !== 'have-local-pranswer') {
      throw new DOMException(`cannot create an answer in state ${state}`, 'InvalidStateError');
    }
    this.#applyLocal('answer');
    this.#prepared = 'answer';
    return this.localDescription!.toJSON();
  }

  async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    this.#assertOpen();
    const state = this.signalingState;
    const type =
      description?.type ??
      (state === 'have-remote-offer' || state === 'have-local-pranswer' ? 'answer' : 'offer');
    if (type === 'rollback') {
      this.#prepared = undefined;
      if (state === 'stable') return;
      if (state === 'have-local-offer') this.#rollback();
      else this.#call(() => this.#native.setLocalDescription('rollback'));
      this.#sync();
      return;
    }
    if (type === 'pranswer') throw new DOMException('pranswer is not supported', 'NotSupportedError');
    const prepared = this.#prepared === type;
    this.#prepared = undefined;
    // createOffer()/createAnswer() already applied it: the caller is completing the classic pattern.
    if (prepared && this.localDescription?.type === type) return;
    if (type === 'answer' && state !== 'have-remote-offer') {
      throw new DOMException(`cannot set an answer in state ${state}`, 'InvalidStateError');
    }
    this.#applyLocal(type);
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.#assertOpen();
    if (!description || typeof description.type !== 'string') {
      throw new TypeError('setRemoteDescription needs a description with a type');
    }
    const state = this.signalingState;
    if (description.type === 'rollback') {
      if (state === 'have-remote-offer') this.#call(() => this.#native.setRemoteDescription('', 'rollback'));
      this.#sync();
      return;
    }
    if (typeof description.sdp !== 'string' || description.sdp.length === 0) {
      throw new TypeError('setRemoteDescription needs an sdp');
    }
    if (description.type === 'offer' && state === 'have-local-offer') {
      // Implicit rollback (webrtc-pc §4.4.1.6 step 4.2): the polite peer yields to the offer.
      this.#prepared = undefined;
      this.#rollback();
    } else if (description.type === 'answer' && state !== 'have-local-offer') {
      throw new DOMException(`cannot set a remote answer in state ${state}`, 'InvalidStateError');
    }
    this.#call(() => this.#native.setRemoteDescription(description.sdp!, description.type as 'offer'));
    this.#everRemote = true;
    if (this.#holdCandidates) this.#releaseCandidates();
    if (/^m=application /m.test(description.sdp)) this.#hasDataSection = true;
    this.#sync();
  }

  async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    this.#assertOpen();
    if (!candidate?.candidate) return; // end-of-candidates: nothing to do here
    if (candidate.sdpMid == null && candidate.sdpMLineIndex == null) {
      throw new TypeError('candidate needs sdpMid or sdpMLineIndex');
    }
    if (!this.remoteDescription) {
      throw new DOMException('no remote description yet', 'InvalidStateError');
    }
    const line = candidate.candidate.startsWith('a=') ? candidate.candidate.slice(2) : candidate.candidate;
    try {
      this.#native.addRemoteCandidate(`a=${line}`, candidate.sdpMid ?? '0');
    } catch (err) {
      // An mDNS host name from a browser: libjuice cannot resolve it; browsers ignore these too.
      if (/\s[^\s]+\.local\s/i.test(line)) return;
      throw new DOMException(`bad candidate: ${(err as Error).message}`, 'OperationError');
    }
  }

  /** Accepted for compatibility; libdatachannel cannot restart ICE (see the file comment). */
  restartIce(): void {}

  getSenders(): never[] {
    return [];
  }
  getReceivers(): never[] {
    return [];
  }
  getTransceivers(): never[] {
    return [];
  }
  addTrack(): never {
    throw new DOMException('media tracks are not supported by the Node peer', 'NotSupportedError');
  }
  addTransceiver(): never {
    throw new DOMException('media tracks are not supported by the Node peer', 'NotSupportedError');
  }
  removeTrack(): never {
    throw new DOMException('media tracks are not supported by the Node peer', 'NotSupportedError');
  }

  /**
   * A stats report shaped like the browser's (webrtc-stats): `transport`, the selected
   * `candidate-pair` with its `local-candidate` and `remote-candidate`, one `data-channel` entry
   * per channel, and `peer-connection`. `currentRoundTripTime` is in seconds, as specified.
   */
  async getStats(): Promise<Map<string, Record<string, unknown>>> {
    const report = new Map<string, Record<string, unknown>>();
    const timestamp = performance.timeOrigin + performance.now();
    report.set(`P${this.#ids}`, {
      id: `P${this.#ids}`,
      type: 'peer-connection',
      timestamp,
      dataChannelsOpened: this.#channelsOpened,
      dataChannelsClosed: this.#channelsClosed,
    });
    let i = 0;
    for (const channel of this.#channels) {
      const id = `D${this.#ids}-${i++}`;
      report.set(id, {
        id,
        type: 'data-channel',
        timestamp,
        label: channel.label,
        protocol: channel.protocol,
        dataChannelIdentifier: channel.id,
        state: channel.readyState,
        ...channel.counters,
      });
    }
    if (this.#closed) return report;
    const pair = this.#native.getSelectedCandidatePair();
    const bytesSent = this.#native.bytesSent();
    const bytesReceived = this.#native.bytesReceived();
    const rttMs = this.#native.rtt();
    const pairId = `CP${this.#ids}`;
    if (pair) {
      for (const [kind, info] of [
        ['local', pair.local],
        ['remote', pair.remote],
      ] as const) {
        const id = `${kind === 'local' ? 'L' : 'R'}${this.#ids}`;
        report.set(id, {
          id,
          type: `${kind}-candidate`,
          timestamp,
          transportId: `T${this.#ids}`,
          candidateType: info.type,
          address: info.address,
          port: info.port,
          protocol: info.transportType.toLowerCase(),
          priority: (info as { priority?: number }).priority,
        });
      }
      report.set(pairId, {
        id: pairId,
        type: 'candidate-pair',
        timestamp,
        transportId: `T${this.#ids}`,
        localCandidateId: `L${this.#ids}`,
        remoteCandidateId: `R${this.#ids}`,
        state: 'succeeded',
        nominated: true,
        bytesSent,
        bytesReceived,
        ...(rttMs >= 0 ? { currentRoundTripTime: rttMs / 1000 } : {}),
      });
    }
    report.set(`T${this.#ids}`, {
      id: `T${this.#ids}`,
      type: 'transport',
      timestamp,
      bytesSent,
      bytesReceived,
      iceState: this.iceConnectionState,
      dtlsState: this.connectionState === 'connected' ? 'connected' : 'new',
      ...(pair ? { selectedCandidatePairId: pairId } : {}),
    });
    return report;
  }

  /**
   * Node-only: resolves once every open data channel has handed its queued bytes to the network
   * (`bufferedAmount` 0), or after `timeoutMs`. Lets a short-lived process (a chat bot piping a
   * line) close without cutting off what it just sent. Resolves true when drained.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const busy = [...this.#channels].some((c) => c.readyState === 'open' && c.bufferedAmount > 0);
      if (!busy) return true;
      if (performance.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Closes the connection and its channels; no state events fire afterwards (webrtc-pc §4.4.1.5). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#endTimer) clearTimeout(this.#endTimer);
    for (const channel of this.#channels) channel.markClosed();
    try {
      this.#native.close();
    } catch {
      // Already torn down natively; nothing left to release.
    }
  }

  // --- Internals -----------------------------------------------------------------------------

  #nativeConfig(configuration: RTCConfiguration): RtcConfig {
    const { servers, skipped } = toNativeIceServers(configuration.iceServers ?? []);
    for (const s of skipped) this.#options.onSkippedIceServer?.(s.url, s.reason);
    const o = this.#options;
    return {
      iceServers: servers,
      iceTransportPolicy: configuration.iceTransportPolicy === 'relay' ? 'relay' : 'all',
      disableAutoNegotiation: true,
      maxMessageSize: o.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES,
      ...(o.bindAddress ? { bindAddress: o.bindAddress } : {}),
      ...(o.portRange ? { portRangeBegin: o.portRange.min, portRangeEnd: o.portRange.max } : {}),
      ...(o.enableIceTcp ? { enableIceTcp: true } : {}),
    };
  }

  #adopt(channel: NodeRTCDataChannel): NodeRTCDataChannel {
    this.#channels.add(channel);
    channel.addEventListener('open', () => this.#channelsOpened++);
    channel.addEventListener('close', () => {
      this.#channelsClosed++;
      this.#channels.delete(channel);
    });
    return channel;
  }

  #maxMessageSize(): number {
    try {
      return this.#native.maxMessageSize();
    } catch {
      return DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    }
  }

  #applyLocal(type: 'offer' | 'answer'): void {
    if (type === 'offer') {
      this.#announced.clear();
      this.#endPending = false;
      if (!this.#everRemote) this.#holdCandidates = true;
    }
    this.#call(() => this.#native.setLocalDescription(type));
    const sdp = this.#native.localDescription()?.sdp ?? '';
    if (/^m=application /m.test(sdp)) {
      this.#hasDataSection = true;
      this.#negotiationNeeded = false;
    }
    this.#sync();
  }

  #description(read: () => { type: string; sdp: string } | null): NodeRTCSessionDescription | null {
    if (this.#closed) return null;
    const d = read();
    if (!d?.sdp || d.type === 'unspec') return null;
    return new NodeRTCSessionDescription({ type: d.type as RTCSdpType, sdp: d.sdp });
  }

  /** Runs a native call, turning libdatachannel's errors into the DOM's. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const name = /state|without/i.test(message) ? 'InvalidStateError' : 'OperationError';
      throw new DOMException(message, name);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new DOMException('the peer connection is closed', 'InvalidStateError');
  }

  /** Dispatches one event per state attribute that changed since the last dispatch. */
  #sync(): void {
    if (this.#closed) return;
    const now: Record<StateName, string> = {
      signaling: this.signalingState,
      connection: this.connectionState,
      ice: this.iceConnectionState,
      gathering: this.iceGatheringState,
    };
    for (const name of ['signaling', 'gathering', 'ice', 'connection'] as const) {
      if (now[name] === this.#last[name]) continue;
      this.#last[name] = now[name];
      if (name === 'gathering' && now[name] === 'gathering') {
        this.#endPending = false;
      }
      this.dispatchEvent(new Event(STATE_EVENTS[name]));
      if (this.#closed) return;
      if (name === 'gathering' && now[name] === 'complete') {
        this.#endPending = true;
        this.#maybeEndOfCandidates();
      }
    }
    if (now.signaling === 'stable') this.#queueNegotiationNeeded();
  }

  /** Fires the null candidate once every candidate in the local description was announced. */
  #maybeEndOfCandidates(): void {
    if (!this.#endPending || this.#closed || this.#holdCandidates) return;
    const sdp = this.#native.localDescription()?.sdp ?? '';
    const inSdp = [...sdp.matchAll(/^a=(candidate:[^\r\n]+)/gm)].map((m) => m[1]!);
    const missing = inSdp.some((c) => !this.#announced.has(c));
    if (missing && !this.#endTimer) {
      this.#endTimer = setTimeout(() => {
        this.#endTimer = undefined;
        this.#announceEnd();
      }, END_OF_CANDIDATES_GRACE_MS);
      this.#endTimer.unref();
      return;
    }
    if (!missing) this.#announceEnd();
  }

  /** The answer is applied: announce the candidates held back from our first offer. */
  #releaseCandidates(): void {
    this.#holdCandidates = false;
    const held = this.#heldEvents;
    this.#heldEvents = [];
    // From a task, as candidates are: the caller's setRemoteDescription() resolves first.
    setImmediate(() => {
      if (this.#closed) return;
      for (const candidate of held) {
        this.#announced.add(candidate.candidate);
        this.dispatchEvent(eventWith('icecandidate', { candidate, url: null }));
      }
      this.#maybeEndOfCandidates();
    });
  }

  #announceEnd(): void {
    if (!this.#endPending || this.#closed) return;
    this.#endPending = false;
    if (this.#endTimer) clearTimeout(this.#endTimer);
    this.#endTimer = undefined;
    this.dispatchEvent(eventWith('icecandidate', { candidate: null, url: null }));
  }

  #queueNegotiationNeeded(): void {
    if (!this.#negotiationNeeded || this.#negotiationQueued) return;
    this.#negotiationQueued = true;
    // Fired from a task, not synchronously, like the browser's "update the negotiation-needed flag".
    setImmediate(() => {
      this.#negotiationQueued = false;
      if (this.#closed || !this.#negotiationNeeded || this.signalingState !== 'stable') return;
      this.#negotiationNeeded = false;
      this.dispatchEvent(new Event('negotiationneeded'));
    });
  }
}
