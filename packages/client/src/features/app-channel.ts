/**
 * App data channels: `call.channel(label, options)` and `room.channel(label, options)` give an
 * {@link AppChannel}, one object whether it reaches one peer or a whole room. It sends strings,
 * binary data (`ArrayBuffer`, typed arrays) and JSON values, reports each message with the name
 * of its sender, bounds what it buffers (an awaitable `send`, a `drain` event, and a hard cap),
 * and follows the call or room: every new peer session (a member joining, a call resuming with
 * a new session) gets the channel at once, and ICE restarts keep it (the SCTP association lives
 * on). In an SFU room it goes through the Parley server instead (`room.data`, app-channel-relay.ts):
 * each message takes the path of the room's mode when it is sent, and receivers take both paths
 * always, so the app does not change when the room switches (see docs/SDK.md for what a switch
 * may reorder or lose).
 *
 * Wire format and stream ids: `@parley/protocol` app-channel.ts; per-connection handshake and
 * queue: app-channel-link.ts.
 *
 * May import the protocol, ../events.ts, ../errors.ts, peer/ (types), app-channel-link.ts and
 * app-channel-relay.ts.
 */
import {
  APP_CHANNEL_LIMITS,
  APP_FRAME_TAG,
  appChannelId,
  appChannelLabelProblem,
  type ErrorCode,
  type JsonValue,
  utf8Bytes,
} from '@parley/protocol';
import { InvalidStateError } from '../errors.ts';
import { TypedEmitter } from '../events.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import { AppChannelLink, type AppChannelReliability, type OutFrame } from './app-channel-link.ts';
import type { RoomDataRelay } from './app-channel-relay.ts';

/** Options of `call.channel()` / `room.channel()`. Every peer must open the label with the same ones. */
export interface AppChannelOptions {
  /** Shorthand: `false` is unordered with no retransmission (`ordered: false, maxRetransmits: 0`). Default true. */
  reliable?: boolean;
  /** Deliver in the order sent. Default true (false when `reliable: false`). */
  ordered?: boolean;
  /** Give up on a message after this many retransmissions (lossy). Not with `maxPacketLifeTime`. */
  maxRetransmits?: number;
  /** Give up on a message after this many milliseconds (lossy). Not with `maxRetransmits`. */
  maxPacketLifeTime?: number;
  /** `send()` resolves at once while `bufferedAmount` is at or below this; later on `drain`. Default 1 MiB. */
  highWaterMarkBytes?: number;
  /** `send()` throws {@link ChannelBufferFullError} beyond this many buffered bytes. Default 16 MiB. */
  maxBufferedBytes?: number;
}

/** What a message carries: a string, the bytes of a binary message, or a JSON value. */
export type AppChannelData = string | ArrayBuffer | JsonValue;
/** What `send` takes. */
export type AppChannelInput = JsonValue | ArrayBuffer | ArrayBufferView<ArrayBuffer>;

/** A peer sent something invalid on the channel (dropped), or opened it with other options. */
export class AppChannelError extends Error {
  override readonly name = 'AppChannelError';
  readonly code: ErrorCode;
  readonly peer: string;
  constructor(code: ErrorCode, message: string, peer: string) {
    super(message);
    this.code = code;
    this.peer = peer;
  }
}

/** `send()` would buffer more than `maxBufferedBytes`: wait for `drain` (or `await send()`). */
export class ChannelBufferFullError extends Error {
  override readonly name = 'ChannelBufferFullError';
}

/** Events of an {@link AppChannel}. */
export type AppChannelEvents = {
  /** A message from `from`: a string, an ArrayBuffer (binary) or a JSON value, as it was sent. */
  message: [data: AppChannelData, from: string];
  /** `peer`'s side of the channel is open: messages flow both ways. */
  open: [peer: string];
  /** `peer`'s side closed (it left, its session ended or was replaced, or it closed the channel). */
  'peer-closed': [peer: string];
  /** `bufferedAmount` fell back to half the high-water mark after a `send` went above it. */
  drain: [];
  /** The channel was closed (`close()`, or its call or room ended). */
  close: [];
  /** A peer sent something invalid (dropped), or opened the label with other options. */
  error: [AppChannelError];
};

/** How an {@link AppChannel} finds the peer sessions it spans (a call's, or a room's members'). */
export interface AppChannelScope {
  /** The sessions there are now. */
  sessions(): Iterable<PeerSession>;
  /** Calls `fn` for each new session; returns an unsubscribe. */
  onSession(fn: (peer: PeerSession) => void): () => void;
  /** Calls `fn` once when the call or room is over; returns an unsubscribe. */
  onEnd(fn: () => void): () => void;
  /** Keep what is sent while no session exists (a call before it connects). */
  queueWithoutPeers: boolean;
  /** A room's path through the server, taken while `relayed()` says so (SFU mode). */
  relay?: { via: RoomDataRelay; relayed(): boolean };
}

const DEFAULT_HIGH_WATER_BYTES = 1024 * 1024;
const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** While a send waits for drain, bufferedAmount is also polled (some stacks never fire the event). */
const DRAIN_POLL_MS = 20;

/** Reads and checks the options into the reliability both peers use. */
export function toReliability(options: AppChannelOptions): AppChannelReliability {
  if (options.maxRetransmits !== undefined && options.maxPacketLifeTime !== undefined)
    throw new TypeError('maxRetransmits and maxPacketLifeTime cannot both be set');
  const lossy = options.reliable === false;
  const r: AppChannelReliability = { ordered: options.ordered ?? !lossy };
  const retransmits =
    options.maxRetransmits ?? (lossy && options.maxPacketLifeTime === undefined ? 0 : undefined);
  for (const [key, v] of [
    ['maxRetransmits', retransmits],
    ['maxPacketLifeTime', options.maxPacketLifeTime],
  ] as const) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${key} must be an integer 0…65535`);
    r[key] = v;
  }
  return r;
}

/** Encodes what the app sends into one frame, or throws (TypeError / RangeError). */
export function encodeAppData(data: AppChannelInput): OutFrame {
  const max = APP_CHANNEL_LIMITS.maxMessageBytes;
  let frame: OutFrame;
  if (data instanceof ArrayBuffer) frame = { data, bytes: data.byteLength };
  else if (ArrayBuffer.isView(data)) frame = { data, bytes: data.byteLength };
  else {
    let text: string;
    if (typeof data === 'string') text = APP_FRAME_TAG.string + data;
    else {
      let json: string | undefined;
      try {
        json = JSON.stringify(data);
      } catch (error) {
        throw new TypeError(`cannot send this value as JSON: ${(error as Error).message}`);
      }
      if (json === undefined) throw new TypeError(`cannot send ${typeof data} as JSON`);
      text = APP_FRAME_TAG.json + json;
    }
    frame = { data: text, bytes: utf8Bytes(text, max) };
  }
  if (frame.bytes > max)
    throw new RangeError(`a channel message is at most ${max} bytes (got ${frame.bytes})`);
  return frame;
}

/**
 * See the file comment. Get one from `call.channel()` or `room.channel()`.
 *
 * @example
 * ```ts
 * const cursors = room.channel('cursors', { reliable: false });
 * cursors.on('message', (pos, from) => drawCursor(from, pos));
 * canvas.onpointermove = (e) => cursors.send({ x: e.offsetX, y: e.offsetY });
 * const strokes = room.channel('strokes'); // reliable, ordered
 * await strokes.send(new Float32Array(points)); // waits while more than 1 MiB is buffered
 * ```
 */
export class AppChannel extends TypedEmitter<AppChannelEvents> {
  readonly label: string;
  /** The SCTP stream id (the same on every peer). */
  readonly id: number;
  readonly reliability: Readonly<AppChannelReliability>;
  readonly highWaterMarkBytes: number;
  readonly maxBufferedBytes: number;
  readonly #options: AppChannelOptions;
  readonly #scope: AppChannelScope;
  readonly #links = new Map<PeerSession, AppChannelLink>();
  #pending: OutFrame[] = [];
  #pendingBytes = 0;
  #closed = false;
  #waiters: Array<() => void> = [];
  #poll: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: Array<() => void>;

  /** @internal Use `call.channel()` / `room.channel()`. */
  constructor(label: string, options: AppChannelOptions, scope: AppChannelScope) {
    super();
    const problem = appChannelLabelProblem(label);
    if (problem) throw new TypeError(problem);
    this.label = label;
    this.id = appChannelId(label);
    this.reliability = toReliability(options);
    this.#options = { ...options };
    this.highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    if (!(this.highWaterMarkBytes > 0 && this.maxBufferedBytes >= this.highWaterMarkBytes))
      throw new RangeError('need 0 < highWaterMarkBytes ≤ maxBufferedBytes');
    this.#scope = scope;
    this.#unsubscribe = [scope.onSession((peer) => this.#attach(peer)), scope.onEnd(() => this.close())];
    const relay = scope.relay?.via;
    if (relay) {
      this.#unsubscribe.push(
        relay.onFrame(label, (r, from) => {
          if (this.#closed) return;
          if (r.ok) this.emit('message', r.frame.data, from);
          else this.emit('error', new AppChannelError(r.code, r.message, from));
        }),
        () => relay.forget(label),
      );
    }
    for (const peer of scope.sessions()) this.#attach(peer);
  }

  /** The options it was opened with (a second `channel(label)` must pass the same ones). */
  get options(): Readonly<AppChannelOptions> {
    return this.#options;
  }

  /** `open` until `close()` (or the end of its call or room), then `closed`. */
  get state(): 'open' | 'closed' {
    return this.#closed ? 'closed' : 'open';
  }

  /** Peers whose side of the channel is open. */
  get peers(): string[] {
    return [...this.#links.values()].filter((l) => l.ready && !l.closed).map((l) => l.peer);
  }

  /**
   * Bytes sent but not yet handed to the network: the most any one peer's link holds (a room is
   * as fast as its slowest member), plus what waits for a first peer.
   */
  get bufferedAmount(): number {
    let most = 0;
    for (const link of this.#links.values()) most = Math.max(most, link.bufferedAmount);
    return most + this.#pendingBytes + (this.#scope.relay?.via.buffered(this.label) ?? 0);
  }

  /** The data channel to `peer` (for stats), if there is one. */
  dataChannel(peer: string): RTCDataChannel | undefined {
    for (const link of this.#links.values()) if (link.peer === peer && !link.closed) return link.dataChannel;
    return undefined;
  }

  /** The options `peer` announced for its side (from its handshake), once it answered. */
  remoteOptions(peer: string): Readonly<AppChannelReliability> | undefined {
    for (const link of this.#links.values()) if (link.peer === peer && !link.closed) return link.remote;
    return undefined;
  }

  /**
   * Sends `data` to every peer of the channel (strings and JSON values as text, ArrayBuffer and
   * typed arrays as binary; see the protocol's app-channel.ts). Returns a promise that resolves
   * at once while `bufferedAmount` is at most `highWaterMarkBytes`, else on the next `drain` (or
   * when the channel closes); it never rejects. Throws `TypeError` for what cannot be sent,
   * `RangeError` above the message size limit, {@link ChannelBufferFullError} beyond
   * `maxBufferedBytes`, `InvalidStateError` after `close()`.
   */
  send(data: AppChannelInput): Promise<void> {
    if (this.#closed) throw new InvalidStateError(`channel "${this.label}" is closed`);
    const frame = encodeAppData(data);
    if (this.bufferedAmount + frame.bytes > this.maxBufferedBytes)
      throw new ChannelBufferFullError(
        `channel "${this.label}" holds ${this.bufferedAmount} bytes (limit ${this.maxBufferedBytes}): wait for drain`,
      );
    const relay = this.#scope.relay;
    if (relay?.relayed()) {
      const lossy =
        this.reliability.maxRetransmits !== undefined || this.reliability.maxPacketLifeTime !== undefined;
      relay.via.send(this.label, frame, lossy);
      return this.#afterSend();
    }
    const live = [...this.#links.values()].filter((l) => !l.closed);
    if (live.length === 0 && this.#scope.queueWithoutPeers) {
      this.#pending.push(encodeAppData(copyOf(data)));
      this.#pendingBytes += frame.bytes;
    }
    for (const link of live) link.send(frame);
    return this.#afterSend();
  }

  #afterSend(): Promise<void> {
    if (this.bufferedAmount <= this.highWaterMarkBytes) return Promise.resolve();
    this.#poll ??= setInterval(() => this.#checkDrain(), DRAIN_POLL_MS);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Closes the channel on every peer connection (the peers see `peer-closed`). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    for (const link of [...this.#links.values()]) link.close();
    this.#links.clear();
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#release();
    this.emit('close');
  }

  #attach(peer: PeerSession): void {
    if (this.#closed || this.#links.has(peer) || peer.state === 'closed') return;
    // Without the chat channel the session has no SCTP association to carry ours.
    if (!peer.chat) return;
    const link = new AppChannelLink(
      peer.pc,
      peer.remoteName,
      this.label,
      this.reliability,
      this.highWaterMarkBytes / 2,
      {
        ready: (l) => this.emit('open', l.peer),
        frame: (l, frame) => this.emit('message', frame.data, l.peer),
        problem: (l, code, message) => this.emit('error', new AppChannelError(code, message, l.peer)),
        low: () => this.#checkDrain(),
        closed: (l) => {
          if (this.#links.get(peer) === l) this.#links.delete(peer);
          if (!this.#closed) this.emit('peer-closed', l.peer);
          this.#checkDrain();
        },
      },
    );
    this.#links.set(peer, link);
    peer.attach({ close: () => link.close() });
    if (this.#pending.length > 0) {
      for (const frame of this.#pending) link.send(frame);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
  }

  #checkDrain(): void {
    // Owed only after a send went above the high-water mark (the poll runs from then on).
    if (this.#poll === undefined) return;
    if (!this.#closed && this.bufferedAmount > this.highWaterMarkBytes / 2) return;
    this.#release();
    if (!this.#closed) this.emit('drain');
  }

  #release(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** A copy the app cannot change later (only binary needs one: strings and JSON are encoded). */
function copyOf(data: AppChannelInput): AppChannelInput {
  if (data instanceof ArrayBuffer) return data.slice(0);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() as Uint8Array<ArrayBuffer>;
  return data;
}

const registries = new WeakMap<object, Map<string, AppChannel>>();

/**
 * The channel `label` of `owner` (a call or room): the open one if the app asked before (same
 * options), else a new one. Throws if `label` was opened with other options, or if its stream id
 * is taken by another open label of `owner` (pick another label).
 */
export function channelFor(
  owner: object,
  label: string,
  options: AppChannelOptions,
  scope: () => AppChannelScope,
): AppChannel {
  let channels = registries.get(owner);
  if (!channels) {
    channels = new Map();
    registries.set(owner, channels);
  }
  const existing = channels.get(label);
  if (existing && existing.state === 'open') {
    if (JSON.stringify(existing.options) !== JSON.stringify(options))
      throw new TypeError(`channel "${label}" is already open with other options`);
    return existing;
  }
  const id = appChannelId(label);
  for (const other of channels.values()) {
    if (other.state === 'open' && other.label !== label && other.id === id)
      throw new RangeError(
        `channel "${label}" would use the stream id of "${other.label}": choose another label`,
      );
  }
  const channel = new AppChannel(label, options, scope());
  channels.set(label, channel);
  return channel;
}
