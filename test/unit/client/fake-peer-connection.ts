/**
 * The one RTCPeerConnection stand-in of the SDK's unit tests. It models the signaling state
 * machine (W3C webrtc-pc §4.3.1) with implicit rollback, `negotiationneeded` and trickle
 * candidates, for the negotiation tests; and, once `fakePair` links two of them, in-band and
 * negotiated data channels with ordered asynchronous delivery, `bufferedAmount` with
 * `bufferedamountlow`, and a hook to tamper with messages in flight, for the data-channel
 * features. It tests our logic only; real calls and channels are proven in Chromium (test/e2e).
 * Imports nothing (fakes.ts builds on it).
 */

type Payload = string | ArrayBuffer;

export class FakeDataChannel extends EventTarget {
  readonly label: string;
  readonly id: number | null;
  readyState: RTCDataChannelState = 'connecting';
  binaryType: BinaryType = 'arraybuffer';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  peer: FakeDataChannel | null = null;
  /** Rewrites (or drops, returning null) each message this end sends. */
  tamper: ((data: Payload) => Payload | null) | null = null;
  #queue: Payload[] = [];
  #scheduled = false;

  constructor(label: string, id: number | null) {
    super();
    this.label = label;
    this.id = id;
  }

  send(data: string | ArrayBufferView | ArrayBuffer): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: channel not open');
    let payload: Payload;
    if (typeof data === 'string') payload = data;
    else if (data instanceof ArrayBuffer) payload = data.slice(0);
    else payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    this.bufferedAmount += typeof payload === 'string' ? payload.length : payload.byteLength;
    this.#queue.push(payload);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0, 64);
    for (const msg of batch) {
      if (this.readyState !== 'open' && this.readyState !== 'closing') return;
      const before = this.bufferedAmount;
      this.bufferedAmount -= typeof msg === 'string' ? msg.length : msg.byteLength;
      const out = this.tamper ? this.tamper(msg) : msg;
      const peer = this.peer;
      if (out !== null && peer && peer.readyState === 'open') {
        peer.dispatchEvent(new MessageEvent('message', { data: out }));
      }
      if (
        before > this.bufferedAmountLowThreshold &&
        this.bufferedAmount <= this.bufferedAmountLowThreshold
      ) {
        this.dispatchEvent(new Event('bufferedamountlow'));
      }
    }
    if (this.#queue.length === 0 && this.readyState === 'closing') this.#closeBoth();
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Opens both ends (as the SCTP stream coming up). */
  open(): void {
    for (const end of [this, this.peer!]) {
      if (end.readyState !== 'connecting') continue;
      end.readyState = 'open';
      end.dispatchEvent(new Event('open'));
    }
  }

  /**
   * Closes the channel like Chromium does: messages already queued are delivered first, then both
   * ends close and fire `close`.
   */
  close(): void {
    if (this.readyState === 'closed' || this.readyState === 'closing') return;
    this.readyState = 'closing';
    if (this.#queue.length === 0) this.#closeBoth();
  }

  #closeBoth(): void {
    for (const end of [this, this.peer]) {
      if (!end || end.readyState === 'closed') continue;
      end.readyState = 'closed';
      end.#queue = [];
      end.bufferedAmount = 0;
      setImmediate(() => end.dispatchEvent(new Event('close')));
    }
  }
}

type Desc = { type: string; sdp: string };

let nextPcId = 0;

/**
 * A fake RTCPeerConnection. Signaling: each local track must be carried by an offer of ours
 * whose answer came back before it counts as negotiated; until then, whenever the connection
 * is stable, `negotiationneeded` fires (asynchronously, as in browsers). Data: alone, its data
 * channels stay `connecting`; linked to a `peer` (see `fakePair`), they reach the peer's and open.
 * Only `datachannel` is dispatched as an event (the other events go to the `on…` handlers only).
 */
export class FakePeerConnection extends EventTarget {
  readonly id = ++nextPcId;
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  iceConnectionState: RTCIceConnectionState = 'new';
  localDescription: Desc | null = null;
  remoteDescription: Desc | null = null;
  readonly addedCandidates: RTCIceCandidateInit[] = [];
  readonly log: string[] = [];
  configuration: RTCConfiguration;
  sctp = { maxMessageSize: 262144 };
  /** The other end, once `fakePair` linked the two: data channels reach it. */
  peer: FakePeerConnection | null = null;
  restartIceCalls = 0;
  /** Delay of each async operation in ms, to interleave two peers' operations. */
  opDelayMs = 0;

  onnegotiationneeded: (() => void) | null = null;
  onicecandidate: ((ev: { candidate: { toJSON(): RTCIceCandidateInit } | null }) => void) | null = null;
  ontrack: ((ev: unknown) => void) | null = null;
  ondatachannel: ((ev: unknown) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  onsignalingstatechange: (() => void) | null = null;

  #tracks: { id: string; kind: string }[] = [];
  #negotiated = new Set<string>();
  #offered: string[] = [];
  #offers = 0;
  #nnScheduled = false;
  #joinsAnswer = new Set<string>();
  #negotiatedChannels = new Map<number, FakeDataChannel>();

  constructor(configuration: RTCConfiguration = {}) {
    super();
    this.configuration = configuration;
  }

  get negotiatedTracks(): string[] {
    return [...this.#negotiated];
  }

  getConfiguration(): RTCConfiguration {
    return this.configuration;
  }
  setConfiguration(c: RTCConfiguration): void {
    this.configuration = c;
  }

  addTrack(track: { id: string; kind: string }): { track: unknown } {
    this.#tracks.push(track);
    // Added while a remote offer is pending: it joins one of the offer's transceivers and the
    // answer carries it (JSEP §5.10), no renegotiation needed.
    if (this.signalingState === 'have-remote-offer') this.#joinsAnswer.add(track.id);
    this.#maybeNegotiationNeeded();
    return { track };
  }
  readonly channels: FakeDataChannel[] = [];
  createDataChannel(label: string, init: RTCDataChannelInit = {}): FakeDataChannel {
    if (this.connectionState === 'closed') throw new Error('InvalidStateError: closed');
    const local = new FakeDataChannel(label, init.id ?? null);
    this.channels.push(local);
    if (this.channels.length === 1) {
      // The first channel adds the m=application section, which needs negotiating.
      this.#tracks.push({ id: 'sctp', kind: 'application' });
      if (this.signalingState === 'have-remote-offer') this.#joinsAnswer.add('sctp');
      this.#maybeNegotiationNeeded();
    }
    const peer = this.peer;
    if (init.negotiated) {
      this.#negotiatedChannels.set(init.id!, local);
      const remote = peer ? peer.#negotiatedChannels.get(init.id!) : undefined;
      if (remote) {
        local.peer = remote;
        remote.peer = local;
        setImmediate(() => local.open());
      }
      return local;
    }
    if (!peer) return local;
    const remote = new FakeDataChannel(label, null);
    local.peer = remote;
    remote.peer = local;
    peer.channels.push(remote);
    setImmediate(() => {
      const ev = Object.assign(new Event('datachannel'), { channel: remote });
      peer.dispatchEvent(ev);
      peer.ondatachannel?.(ev);
      local.open();
    });
    return local;
  }
  addTransceiver(kind: string): unknown {
    this.#tracks.push({ id: `recv-${kind}-${this.#tracks.length}`, kind });
    this.#maybeNegotiationNeeded();
    return {};
  }
  getSenders(): { track: unknown }[] {
    return this.#tracks.map((t) => ({ track: t }));
  }
  getTransceivers(): unknown[] {
    return [];
  }
  restartIce(): void {
    this.restartIceCalls++;
    this.#negotiated.delete('ice');
    this.#tracks.push({ id: 'ice', kind: 'ice' });
    this.#maybeNegotiationNeeded();
  }

  /** Fails the next setRemoteDescription calls of these types (as an engine would on a bad SDP). */
  readonly failRemote: string[] = [];
  createOfferOptions: unknown[] = [];

  async createOffer(options?: unknown): Promise<Desc> {
    await this.#delay();
    this.#assertOpen();
    this.createOfferOptions.push(options);
    if ((options as { iceRestart?: boolean } | undefined)?.iceRestart) {
      this.restartIceCalls++;
      this.#negotiated.delete('ice');
      if (!this.#tracks.some((t) => t.id === 'ice')) this.#tracks.push({ id: 'ice', kind: 'ice' });
    }
    return { type: 'offer', sdp: '' };
  }

  async setLocalDescription(desc?: Desc): Promise<void> {
    await this.#delay();
    this.#assertOpen();
    if (desc?.type === 'rollback') {
      if (this.signalingState !== 'have-local-offer')
        throw named('InvalidStateError', 'rollback in wrong state');
      this.localDescription = null;
      this.log.push('rollback');
      this.#set('stable');
      return;
    }
    if (this.signalingState === 'stable' || this.signalingState === 'have-local-offer') {
      this.#offered = this.#tracks.map((t) => t.id).filter((id) => !this.#negotiated.has(id));
      this.localDescription = {
        type: 'offer',
        sdp: `pc${this.id}-offer${++this.#offers}:${this.#offered.join(',')}`,
      };
      this.log.push('offer');
      this.#set('have-local-offer');
    } else if (this.signalingState === 'have-remote-offer') {
      this.localDescription = { type: 'answer', sdp: `pc${this.id}-answer` };
      for (const id of this.#joinsAnswer) this.#negotiated.add(id);
      this.#joinsAnswer.clear();
      this.log.push('answer');
      this.#set('stable');
    } else {
      throw named('InvalidStateError', `SLD in ${this.signalingState}`);
    }
    queueMicrotask(() =>
      this.onicecandidate?.({ candidate: { toJSON: () => ({ candidate: `cand-${this.id}`, sdpMid: '0' }) } }),
    );
  }

  async setRemoteDescription(desc: Desc): Promise<void> {
    await this.#delay();
    this.#assertOpen();
    if (desc.type === 'rollback') {
      if (this.signalingState !== 'have-remote-offer')
        throw named('InvalidStateError', 'remote rollback in wrong state');
      this.remoteDescription = null;
      this.log.push('remote-rollback');
      this.#set('stable');
      return;
    }
    const fail = this.failRemote.indexOf(desc.type);
    if (fail >= 0) {
      this.failRemote.splice(fail, 1);
      this.log.push(`srd-failed-${desc.type}`);
      throw named('InvalidModificationError', `Failed to set remote ${desc.type} sdp`);
    }
    if (desc.type === 'offer') {
      if (this.signalingState === 'have-local-offer') {
        this.log.push('implicit-rollback');
        this.localDescription = null;
      } else if (this.signalingState !== 'stable') {
        throw named('InvalidStateError', `SRD(offer) in ${this.signalingState}`);
      }
      this.remoteDescription = desc;
      this.#set('have-remote-offer');
      return;
    }
    if (this.signalingState !== 'have-local-offer')
      throw named('InvalidStateError', `SRD(answer) in ${this.signalingState}`);
    this.remoteDescription = desc;
    for (const id of this.#offered) this.#negotiated.add(id);
    this.#set('stable');
  }

  async addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    await this.#delay();
    if (!this.remoteDescription) throw named('InvalidStateError', 'no remote description');
    this.addedCandidates.push(c);
  }

  async getStats(): Promise<Map<string, unknown>> {
    return new Map();
  }

  /** Closes this connection: its channels close (the far ends fire `close`). */
  close(): void {
    this.connectionState = 'closed';
    for (const ch of this.channels) ch.close();
    this.#set('closed');
  }

  /** Test helper: move ICE to a state and fire the events. */
  setIce(state: RTCIceConnectionState, conn: RTCPeerConnectionState): void {
    this.iceConnectionState = state;
    this.connectionState = conn;
    this.oniceconnectionstatechange?.();
    this.onconnectionstatechange?.();
  }

  #set(state: RTCSignalingState): void {
    this.signalingState = state;
    this.onsignalingstatechange?.();
    if (state === 'stable') this.#maybeNegotiationNeeded();
  }

  #maybeNegotiationNeeded(): void {
    if (this.#nnScheduled || this.signalingState === 'closed') return;
    this.#nnScheduled = true;
    setTimeout(() => {
      this.#nnScheduled = false;
      const pending = this.#tracks.some((t) => !this.#negotiated.has(t.id));
      if (pending && this.signalingState === 'stable') this.onnegotiationneeded?.();
    }, 0);
  }

  #assertOpen(): void {
    if (this.signalingState === 'closed') throw named('InvalidStateError', 'closed');
  }

  #delay(): Promise<void> {
    return this.opDelayMs > 0 ? new Promise((r) => setTimeout(r, this.opDelayMs)) : Promise.resolve();
  }
}

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** A connected pair, typed as the real thing for the code under test. */
export function fakePair(): {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  fa: FakePeerConnection;
  fb: FakePeerConnection;
} {
  const fa = new FakePeerConnection();
  const fb = new FakePeerConnection();
  fa.peer = fb;
  fb.peer = fa;
  fa.connectionState = 'connected';
  fb.connectionState = 'connected';
  return { a: fa as unknown as RTCPeerConnection, b: fb as unknown as RTCPeerConnection, fa, fb };
}
