/**
 * One app data channel on one peer connection: the negotiated `RTCDataChannel` (id from its
 * label), the open handshake that tells us the peer created its side too, and a bounded queue
 * for what the app sends before that. {@link AppChannel} (app-channel.ts) owns one link per
 * peer session and is what apps see.
 *
 * Why a handshake: a negotiated channel fires `open` as soon as the SCTP association is up, even
 * if the peer has not created its side yet, and messages sent then are dropped by the peer's
 * stack. So each side sends `hello` on open and repeats it (backing off) until it hears from the
 * peer; a `hello` is answered with `ack`. App messages wait in the queue until then.
 *
 * May import the protocol and ../events.ts only.
 */
import {
  type AppChannelControl,
  type AppFrame,
  appChannelId,
  decodeAppFrame,
  type ErrorCode,
  encodeAppControl,
} from '@parley/protocol';

/** The reliability of an app channel, as both peers configure it. */
export interface AppChannelReliability {
  ordered: boolean;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
}

/** A frame ready to go: text (tagged) or binary, and its size in bytes. */
export interface OutFrame {
  data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>;
  bytes: number;
}

/** What a link reports to its channel. */
export interface AppChannelLinkHandlers {
  /** The peer's side exists: app messages flow. */
  ready(link: AppChannelLink): void;
  /** An app message (string, JSON or binary) from the peer. */
  frame(link: AppChannelLink, frame: Exclude<AppFrame, { kind: 'control' }>): void;
  /** The peer sent something invalid (dropped), or configured its side differently. */
  problem(link: AppChannelLink, code: ErrorCode, message: string): void;
  /** `bufferedAmount` fell to the low threshold. */
  low(link: AppChannelLink): void;
  /** The data channel closed (the peer closed it, or the connection went away). */
  closed(link: AppChannelLink): void;
}

/** First and largest pause between two `hello`s while the peer is silent, in milliseconds. */
export const HELLO_FIRST_MS = 100;
export const HELLO_MAX_MS = 2000;

/** See the file comment. Created by {@link AppChannel}, never by apps. */
export class AppChannelLink {
  readonly peer: string;
  readonly #dc: RTCDataChannel;
  readonly #label: string;
  readonly #reliability: AppChannelReliability;
  readonly #handlers: AppChannelLinkHandlers;
  #queue: OutFrame[] = [];
  #queuedBytes = 0;
  #ready = false;
  #closed = false;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  #helloDelayMs = HELLO_FIRST_MS;
  /** What the peer said its side is (from its hello or ack). */
  remote: AppChannelReliability | undefined;

  constructor(
    pc: RTCPeerConnection,
    peer: string,
    label: string,
    reliability: AppChannelReliability,
    lowThresholdBytes: number,
    handlers: AppChannelLinkHandlers,
  ) {
    this.peer = peer;
    this.#label = label;
    this.#reliability = reliability;
    this.#handlers = handlers;
    const init: RTCDataChannelInit = {
      negotiated: true,
      id: appChannelId(label),
      ordered: reliability.ordered,
    };
    if (reliability.maxRetransmits !== undefined) init.maxRetransmits = reliability.maxRetransmits;
    if (reliability.maxPacketLifeTime !== undefined) init.maxPacketLifeTime = reliability.maxPacketLifeTime;
    const dc = pc.createDataChannel(label, init);
    this.#dc = dc;
    dc.binaryType = 'arraybuffer';
    dc.bufferedAmountLowThreshold = lowThresholdBytes;
    dc.addEventListener('open', () => this.#sayHello());
    dc.addEventListener('close', () => this.#onClosed());
    dc.addEventListener('bufferedamountlow', () => this.#handlers.low(this));
    dc.addEventListener('message', (ev: MessageEvent) => this.#onMessage(ev.data));
    if (dc.readyState === 'open') queueMicrotask(() => this.#sayHello());
  }

  /** The underlying data channel (for stats and tests). */
  get dataChannel(): RTCDataChannel {
    return this.#dc;
  }

  /** True once the peer's side answered. */
  get ready(): boolean {
    return this.#ready;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes not yet handed to the network: the data channel's buffer plus our queue. */
  get bufferedAmount(): number {
    return (this.#closed ? 0 : this.#dc.bufferedAmount) + this.#queuedBytes;
  }

  /** Sends `frame` now, or queues it until the peer's side is ready. */
  send(frame: OutFrame): void {
    if (this.#closed) return;
    if (this.#ready && this.#dc.readyState === 'open') {
      this.#dc.send(frame.data as string);
      return;
    }
    // Keep our own copy of queued bytes: the app may reuse its buffer after send().
    const data =
      typeof frame.data === 'string'
        ? frame.data
        : frame.data instanceof ArrayBuffer
          ? frame.data.slice(0)
          : new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength).slice();
    this.#queue.push({ data, bytes: frame.bytes });
    this.#queuedBytes += frame.bytes;
  }

  /** Closes the data channel (the peer's side closes too). */
  close(): void {
    if (this.#closed) return;
    this.#dc.close();
    this.#onClosed();
  }

  #sayHello(): void {
    if (this.#closed || this.#ready || this.#dc.readyState !== 'open') return;
    this.#sendControl('hello');
    this.#helloTimer = setTimeout(() => this.#sayHello(), this.#helloDelayMs);
    this.#helloDelayMs = Math.min(HELLO_MAX_MS, this.#helloDelayMs * 2);
  }

  #sendControl(t: 'hello' | 'ack'): void {
    const msg: AppChannelControl = { t, label: this.#label, ...this.#reliability };
    try {
      this.#dc.send(encodeAppControl(msg));
    } catch {
      // Closing: the close event follows.
    }
  }

  #becomeReady(): void {
    if (this.#ready || this.#closed) return;
    this.#ready = true;
    clearTimeout(this.#helloTimer);
    const queue = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const frame of queue) this.#dc.send(frame.data as string);
    this.#handlers.ready(this);
  }

  #onControl(msg: AppChannelControl): void {
    const { t, label: _label, ...remote } = msg;
    const first = this.remote === undefined;
    this.remote = remote;
    const mine = this.#reliability;
    if (
      first &&
      (remote.ordered !== mine.ordered ||
        remote.maxRetransmits !== mine.maxRetransmits ||
        remote.maxPacketLifeTime !== mine.maxPacketLifeTime)
    ) {
      this.#handlers.problem(
        this,
        'BAD_MESSAGE',
        `${this.peer} opened "${this.#label}" with other options (${JSON.stringify(remote)})`,
      );
    }
    if (t === 'hello') this.#sendControl('ack');
    this.#becomeReady();
  }

  #onMessage(data: unknown): void {
    if (this.#closed) return;
    let raw: string | ArrayBuffer;
    if (typeof data === 'string' || data instanceof ArrayBuffer) raw = data;
    else if (ArrayBuffer.isView(data))
      raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    else {
      this.#handlers.problem(this, 'BAD_MESSAGE', 'unreadable message payload');
      return;
    }
    const r = decodeAppFrame(raw);
    if (!r.ok) {
      this.#handlers.problem(this, r.code, r.message);
      return;
    }
    const frame = r.msg;
    if (frame.kind === 'control') {
      this.#onControl(frame.data);
      return;
    }
    // The peer sends app messages only once it heard from us: its side exists.
    this.#becomeReady();
    this.#handlers.frame(this, frame);
  }

  #onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#handlers.closed(this);
  }
}
