/**
 * A standards-shaped `RTCDataChannel` over a node-datachannel (libdatachannel) channel.
 *
 * Differences from the browser, handled here once:
 * - `bufferedamountlow`: libdatachannel's callback comes from its own thread and is only a hint
 *   here. The event is fired exactly once per crossing from above `bufferedAmountLowThreshold`
 *   to at or below it, from whichever comes first: the native callback, or a poll of
 *   `bufferedAmount` that runs only while the channel is above the threshold. A sender that waits
 *   for the event therefore never stalls, even if the native callback is late or missed.
 * - Binary messages arrive as Node `Buffer`s, often views into a shared pool: they are copied
 *   into an exact `ArrayBuffer` (or a `Blob` when `binaryType` is `'blob'`).
 * - Sizes above the negotiated `maxMessageSize` throw `TypeError` (webrtc-pc §6.2 `send()`),
 *   instead of failing inside the native stack.
 */
import type { DataChannel as NativeDataChannel } from 'node-datachannel';
import { eventWith, HandlerEventTarget } from './handler-event-target.ts';

/** How often `bufferedAmount` is polled while above the threshold, in milliseconds. */
export const BUFFERED_AMOUNT_POLL_MS = 10;

/** Counters for `getStats()` (`RTCDataChannelStats`). */
export interface DataChannelCounters {
  messagesSent: number;
  bytesSent: number;
  messagesReceived: number;
  bytesReceived: number;
}

const encoder = new TextEncoder();

/**
 * The bytes of `view` as an ArrayBuffer of exactly that length. node-datachannel hands over a
 * Buffer that owns its memory for large messages: that memory is used as is (no copy). A view
 * into a larger buffer (Node's small-Buffer pool) is copied, so the app never sees other bytes.
 * Copying every message doubled the garbage per message and let a receiver's RSS reach 1.5×
 * the file size on a 500 MiB transfer before the collector caught up.
 */
function exactArrayBuffer(view: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = view;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  const copy = new ArrayBuffer(byteLength);
  new Uint8Array(copy).set(view);
  return copy;
}

/** See the file comment. Created by `NodeRTCPeerConnection`, never directly. */
export class NodeRTCDataChannel extends HandlerEventTarget {
  #native: NativeDataChannel;
  readonly #init: RTCDataChannelInit;
  readonly #maxMessageSize: () => number;
  #readyState: RTCDataChannelState;
  #binaryType: BinaryType = 'arraybuffer';
  #threshold = 0;
  /** True while `bufferedAmount` is above the threshold and the low event is owed. */
  #lowArmed = false;
  #poll: ReturnType<typeof setInterval> | undefined;
  /** Sends queued behind a Blob being read, so messages keep their order. */
  #blobQueue: Promise<void> | undefined;
  readonly counters: DataChannelCounters = {
    messagesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
  };

  /** @internal */
  constructor(native: NativeDataChannel, init: RTCDataChannelInit, maxMessageSize: () => number) {
    super();
    this.#native = native;
    this.#init = init;
    this.#maxMessageSize = maxMessageSize;
    // Always start as `connecting`: a channel the remote side opened is often open natively
    // before its `datachannel` event is handled, and browser code waits for `open` either way.
    this.#readyState = 'connecting';
    this.#bind(native);
  }

  /**
   * @internal The peer connection replaced its native connection before anything connected (a
   * rollback, see rtc-peer-connection.ts): carry on over `native`, a channel created on the new
   * one with the same parameters. Callbacks of the old native channel are ignored from now on.
   */
  rebind(native: NativeDataChannel): void {
    if (this.#readyState !== 'connecting') return;
    this.#native = native;
    if (this.#threshold > 0) native.setBufferedAmountLowThreshold(this.#threshold);
    this.#bind(native);
  }

  /** The parameters the channel was created with (to re-create it on a new connection). */
  get init(): Readonly<RTCDataChannelInit> {
    return this.#init;
  }

  #bind(native: NativeDataChannel): void {
    const current = () => native === this.#native;
    native.onOpen(() => {
      if (current()) this.#openIfNative();
    });
    native.onClosed(() => {
      if (current()) this.markClosed();
    });
    native.onError((message) => {
      if (!current() || this.#readyState === 'closed') return;
      const error = new DOMException(message, 'OperationError');
      Object.defineProperty(error, 'errorDetail', { value: 'data-channel-failure' });
      this.dispatchEvent(eventWith('error', { error }));
    });
    native.onBufferedAmountLow(() => {
      if (current()) this.#checkLow();
    });
    native.onMessage((message) => {
      if (!current()) return;
      this.#openIfNative();
      if (this.#readyState !== 'open') return;
      let data: string | ArrayBuffer | Blob;
      if (typeof message === 'string') {
        data = message;
        this.counters.bytesReceived += Buffer.byteLength(message);
      } else {
        const view = message instanceof ArrayBuffer ? new Uint8Array(message) : message;
        const exact = exactArrayBuffer(view);
        data = this.#binaryType === 'blob' ? new Blob([exact]) : exact;
        this.counters.bytesReceived += view.byteLength;
      }
      this.counters.messagesReceived++;
      this.dispatchEvent(new MessageEvent('message', { data }));
    });
    if (native.isOpen()) setImmediate(() => this.#openIfNative());
  }

  get label(): string {
    return this.#native.getLabel();
  }
  get protocol(): string {
    return this.#init.protocol ?? '';
  }
  get id(): number | null {
    const id = this.#native.getId();
    // libdatachannel reports 65535 until the SCTP stream id is assigned; the DOM says null.
    return id >= 0 && id < 65535 ? id : (this.#init.id ?? null);
  }
  get ordered(): boolean {
    return this.#init.ordered ?? true;
  }
  get negotiated(): boolean {
    return this.#init.negotiated ?? false;
  }
  get maxPacketLifeTime(): number | null {
    return this.#init.maxPacketLifeTime ?? null;
  }
  get maxRetransmits(): number | null {
    return this.#init.maxRetransmits ?? null;
  }
  get readyState(): RTCDataChannelState {
    return this.#readyState;
  }
  get bufferedAmount(): number {
    if (this.#readyState === 'closed') return 0;
    try {
      return this.#native.bufferedAmount();
    } catch {
      return 0; // the native channel is already gone
    }
  }
  get bufferedAmountLowThreshold(): number {
    return this.#threshold;
  }
  set bufferedAmountLowThreshold(value: number) {
    const n = Math.max(0, Math.floor(Number(value) || 0));
    this.#threshold = n;
    if (this.#readyState !== 'closed') this.#native.setBufferedAmountLowThreshold(n);
    this.#armIfAbove();
  }
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(value: BinaryType) {
    if (value !== 'arraybuffer' && value !== 'blob') {
      throw new DOMException(`unknown binaryType ${String(value)}`, 'SyntaxError');
    }
    this.#binaryType = value;
  }

  get onopen() {
    return this.getHandler('open');
  }
  set onopen(h) {
    this.setHandler('open', h);
  }
  get onmessage(): ((event: MessageEvent) => unknown) | null {
    return this.getHandler('message') as ((event: MessageEvent) => unknown) | null;
  }
  set onmessage(h: ((event: MessageEvent) => unknown) | null) {
    this.setHandler('message', h);
  }
  get onbufferedamountlow() {
    return this.getHandler('bufferedamountlow');
  }
  set onbufferedamountlow(h) {
    this.setHandler('bufferedamountlow', h);
  }
  get onerror() {
    return this.getHandler('error');
  }
  set onerror(h) {
    this.setHandler('error', h);
  }
  get onclosing() {
    return this.getHandler('closing');
  }
  set onclosing(h) {
    this.setHandler('closing', h);
  }
  get onclose() {
    return this.getHandler('close');
  }
  set onclose(h) {
    this.setHandler('close', h);
  }

  /** Sends a string, ArrayBuffer, typed array / DataView, or Blob (webrtc-pc §6.2). */
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.#readyState !== 'open') {
      throw new DOMException(`data channel is ${this.#readyState}, not open`, 'InvalidStateError');
    }
    if (typeof Blob !== 'undefined' && data instanceof Blob) {
      this.#checkSize(data.size);
      const previous = this.#blobQueue ?? Promise.resolve();
      const queued = previous
        .then(() => data.arrayBuffer())
        .then((buffer) => {
          if (this.#readyState === 'open') this.#sendBytes(new Uint8Array(buffer));
        });
      this.#blobQueue = queued;
      void queued.finally(() => {
        if (this.#blobQueue === queued) this.#blobQueue = undefined;
      });
      return;
    }
    const bytes =
      typeof data === 'string'
        ? undefined
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(
              (data as ArrayBufferView).buffer,
              (data as ArrayBufferView).byteOffset,
              (data as ArrayBufferView).byteLength,
            );
    const size = bytes ? bytes.byteLength : encoder.encode(data as string).byteLength;
    this.#checkSize(size);
    if (this.#blobQueue) {
      // Keep order behind a Blob still being read; copy, since the caller may reuse its buffer.
      const copy = bytes ? bytes.slice() : (data as string);
      this.#blobQueue = this.#blobQueue.then(() => {
        if (this.#readyState !== 'open') return;
        if (typeof copy === 'string') this.#sendText(copy, size);
        else this.#sendBytes(copy);
      });
      return;
    }
    if (bytes) this.#sendBytes(bytes);
    else this.#sendText(data as string, size);
  }

  /** Closes the channel (webrtc-pc §6.2 `close()`); `close` fires once it is down. */
  close(): void {
    if (this.#readyState === 'closing' || this.#readyState === 'closed') return;
    this.#readyState = 'closing';
    try {
      this.#native.close();
    } catch {
      this.markClosed();
    }
  }

  /** @internal Called by the peer connection on close, and by the native close callback. */
  markClosed(): void {
    if (this.#readyState === 'closed') return;
    const wasOpen = this.#readyState === 'open';
    this.#readyState = 'closed';
    this.#stopPoll();
    this.#lowArmed = false;
    // The DOM fires `closing` when the other side starts the close; then `close`, asynchronously.
    if (wasOpen) this.dispatchEvent(new Event('closing'));
    setImmediate(() => this.dispatchEvent(new Event('close')));
  }

  #openIfNative(): void {
    if (this.#readyState !== 'connecting') return;
    let open = false;
    try {
      open = this.#native.isOpen();
    } catch {
      return; // the native channel is gone
    }
    if (!open) return;
    this.#readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }

  #checkSize(size: number): void {
    const max = this.#maxMessageSize();
    if (max > 0 && size > max) {
      throw new TypeError(`message of ${size} bytes exceeds the channel's maxMessageSize of ${max}`);
    }
  }

  #sendText(text: string, size: number): void {
    this.#native.sendMessage(text);
    this.counters.messagesSent++;
    this.counters.bytesSent += size;
    this.#armIfAbove();
  }

  #sendBytes(bytes: Uint8Array): void {
    this.#native.sendMessageBinary(bytes);
    this.counters.messagesSent++;
    this.counters.bytesSent += bytes.byteLength;
    this.#armIfAbove();
  }

  #armIfAbove(): void {
    if (this.#readyState !== 'open' || this.bufferedAmount <= this.#threshold) return;
    this.#lowArmed = true;
    if (!this.#poll) {
      this.#poll = setInterval(() => this.#checkLow(), BUFFERED_AMOUNT_POLL_MS);
      this.#poll.unref();
    }
  }

  #checkLow(): void {
    if (!this.#lowArmed || this.#readyState !== 'open') return;
    if (this.bufferedAmount > this.#threshold) return;
    this.#lowArmed = false;
    this.#stopPoll();
    this.dispatchEvent(new Event('bufferedamountlow'));
  }

  #stopPoll(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = undefined;
  }
}
