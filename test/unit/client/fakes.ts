/**
 * Fakes for the client SDK's unit tests: a scriptable WebSocket, and an RTCPeerConnection that
 * models just the signaling state machine (W3C webrtc-pc §4.3.1) with implicit rollback,
 * negotiationneeded and trickle candidates. They test our logic only; real calls are proven in
 * Chromium by the e2e suite.
 */

import type { WebSocketLike } from '../../../packages/client/src/signaling/signaling-client.ts';
import { checkClientFrame, checkServerFrame } from '../../helpers/frame-checks.ts';

/** A WebSocket whose server side is driven by the test. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly url: string;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  /**
   * Whether every `signal` sent must carry the SDK's signal vocabulary (true for a ParleyClient;
   * a bare SignalingClient may send any JSON).
   */
  sdkSignals = true;

  constructor(url: string) {
    this.url = url;
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    checkClientFrame(data, { sdkSignals: this.sdkSignals });
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  // ---- test side ----
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  /**
   * Delivers a server frame to the SDK. An object must be a frame the protocol defines (checked
   * with the real decoder, so a test cannot pass by pushing a frame the SDK would drop); a string
   * goes through as it is (for tests of malformed input).
   */
  push(frame: unknown): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    if (typeof frame !== 'string') checkServerFrame(text);
    this.onmessage?.({ data: text });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  last(type?: string): Record<string, unknown> | undefined {
    const list = type ? this.sent.filter((f) => f.type === type) : this.sent;
    return list[list.length - 1];
  }
}

/** A WebSocket constructor that records every socket it makes. */
export function fakeWebSocket(options: { sdkSignals?: boolean } = {}): {
  WebSocket: new (url: string) => FakeSocket;
  sockets: FakeSocket[];
} {
  const sockets: FakeSocket[] = [];
  class WS extends FakeSocket {
    constructor(url: string) {
      super(url);
      if (options.sdkSignals !== undefined) this.sdkSignals = options.sdkSignals;
      sockets.push(this);
    }
  }
  return { WebSocket: WS, sockets };
}

/** A `welcome` frame with sensible defaults. */
export function welcome(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'welcome',
    version: '1',
    name: 'alice',
    session: 'session-token-0123456789',
    iceServers: [],
    heartbeatMs: 60_000,
    graceMs: 20_000,
    resumed: false,
    rooms: [],
    ...over,
  };
}

/** Resolves after pending timers and microtasks ran (a macrotask turn). */
export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it is truthy (bounded). */
export async function until(fn: () => unknown, what = 'condition', timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(1);
  }
}

type Desc = { type: string; sdp: string };

let nextPcId = 0;

/**
 * A signaling-only RTCPeerConnection. Each local track must be carried by an offer of ours
 * whose answer came back before it counts as negotiated; until then, whenever the connection
 * is stable, `negotiationneeded` fires (asynchronously, as in browsers).
 */
export class FakePeerConnection {
  readonly id = ++nextPcId;
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  iceConnectionState: RTCIceConnectionState = 'new';
  localDescription: Desc | null = null;
  remoteDescription: Desc | null = null;
  readonly addedCandidates: RTCIceCandidateInit[] = [];
  readonly log: string[] = [];
  configuration: RTCConfiguration;
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

  constructor(configuration: RTCConfiguration = {}) {
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
  readonly channels: { label: string; readyState: string }[] = [];
  createDataChannel(label: string): unknown {
    const channel = {
      label,
      readyState: 'connecting',
      binaryType: 'blob',
      bufferedAmount: 0,
      addEventListener: () => {},
      removeEventListener: () => {},
      send: () => {},
      close: () => {
        channel.readyState = 'closed';
      },
    };
    this.channels.push(channel);
    if (this.channels.length === 1) {
      this.#tracks.push({ id: 'sctp', kind: 'application' });
      if (this.signalingState === 'have-remote-offer') this.#joinsAnswer.add('sctp');
      this.#maybeNegotiationNeeded();
    }
    return channel;
  }
  addEventListener(): void {}
  removeEventListener(): void {}
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

  close(): void {
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
    return this.opDelayMs > 0 ? tick(this.opDelayMs) : Promise.resolve();
  }
}

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}
