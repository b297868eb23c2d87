/**
 * Chat and small control messages between two peers, on one reliable ordered data channel.
 *
 * The channel is negotiated out of band (`negotiated: true`, fixed stream id, label
 * `parley-chat`; see `CHAT_CHANNEL` in `@parley/protocol`): both peers create it when they attach
 * to the connection, so it needs no signaling and no `datachannel` event, and it exists from the
 * first offer. Every received message is validated with the protocol's schemas; bad input becomes
 * an `error` event, never an exception. {@link ChatRoom} fans one message out to every peer of a
 * room and tags what arrives with the peer it came from.
 */
import {
  assertNever,
  CHAT_CHANNEL,
  CHAT_SCHEMAS,
  type ChatMessage,
  type ChatMessageOf,
  decodeChat,
  type ErrorCode,
  type JsonValue,
} from '@parley/protocol';
import { TypedEmitter } from '../events.ts';

/** A message the peer sent that failed validation (or could not be read). It was dropped. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  /** `TOO_LARGE`, `BAD_JSON`, `UNKNOWN_TYPE` or `BAD_MESSAGE`. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The state of the chat channel (the data channel's `readyState`). */
export type ChatState = RTCDataChannelState;

/** Events of a {@link ChatChannel}, one per message type plus lifecycle. */
export type ChatChannelEvents = {
  /** A chat text from the peer. */
  chat: [ChatMessageOf<'chat'>];
  /** An application message from the peer (validate `data` yourself). */
  app: [ChatMessageOf<'app'>];
  /** The peer's outgoing media changed (mute/unmute, camera on/off, screen share). */
  'media-state': [ChatMessageOf<'media-state'>];
  /** The peer started or stopped typing. */
  typing: [ChatMessageOf<'typing'>];
  /** Every valid message, whatever its type, after its own event. */
  message: [ChatMessage];
  /** The channel is open; messages queued before it were flushed. */
  open: [];
  /** The channel closed (peer connection closed, or `close()`). */
  close: [];
  /** The peer sent something invalid; it was dropped. */
  error: [ChatError];
};

/** Options of a {@link ChatChannel}. */
export interface ChatChannelOptions {
  /** Messages kept while the channel is still connecting; beyond this `send` throws. Default 1000. */
  maxQueued?: number;
}

/**
 * The chat channel with one peer.
 *
 * @example
 * ```ts
 * const chat = new ChatChannel(pc); // on both peers, before the first offer
 * chat.on('chat', (m) => show(m.text));
 * chat.on('media-state', (s) => showMuted(!s.audio));
 * chat.sendText('hello');
 * chat.sendMediaState({ audio: false, video: true });
 * ```
 */
export class ChatChannel extends TypedEmitter<ChatChannelEvents> {
  readonly #channel: RTCDataChannel;
  readonly #maxQueued: number;
  #queue: string[] = [];
  #idPrefix = randomHex(6);
  #nextId = 0;
  #remoteMediaState: ChatMessageOf<'media-state'> | null = null;
  #closed = false;

  /**
   * Creates the negotiated chat channel on `pc`. Do it on both peers, and before any in-band data
   * channel (file transfers) is created on `pc`, so the fixed stream id is still free.
   */
  constructor(pc: RTCPeerConnection, options: ChatChannelOptions = {}) {
    super();
    this.#maxQueued = options.maxQueued ?? 1000;
    const channel = pc.createDataChannel(CHAT_CHANNEL.label, {
      negotiated: true,
      id: CHAT_CHANNEL.id,
      ordered: true,
    });
    this.#channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('open', () => {
      for (const text of this.#queue) channel.send(text);
      this.#queue = [];
      this.emit('open');
    });
    channel.addEventListener('close', () => {
      this.#closed = true;
      this.#queue = [];
      this.emit('close');
    });
    channel.addEventListener('message', (ev: MessageEvent) => this.#onMessage(ev.data));
  }

  /** `connecting`, `open`, `closing` or `closed`. */
  get state(): ChatState {
    return this.#channel.readyState;
  }

  /** The peer's last announced media state, or null if it has not sent one. */
  get remoteMediaState(): ChatMessageOf<'media-state'> | null {
    return this.#remoteMediaState;
  }

  /** Sends a chat text; returns the message as sent (with its id and timestamp). */
  sendText(text: string): ChatMessageOf<'chat'> {
    const msg: ChatMessageOf<'chat'> = { type: 'chat', id: this.nextId(), text, ts: Date.now() };
    this.send(msg);
    return msg;
  }

  /** Sends an application message of kind `kind`. */
  sendApp(kind: string, data: JsonValue): ChatMessageOf<'app'> {
    const msg: ChatMessageOf<'app'> = { type: 'app', id: this.nextId(), kind, data, ts: Date.now() };
    this.send(msg);
    return msg;
  }

  /** Tells the peer which of our media are live (not muted). */
  sendMediaState(state: { audio: boolean; video: boolean; screen?: boolean }): void {
    this.send({ type: 'media-state', ...state });
  }

  /** Tells the peer we started or stopped typing. */
  sendTyping(active: boolean): void {
    this.send({ type: 'typing', active });
  }

  /**
   * Sends any chat-channel message. It is validated first: an invalid message (text too long, …)
   * throws a `RangeError`, since that is a bug in the caller. While the channel is connecting the
   * message waits in a bounded queue; after close this throws an `InvalidStateError`-named error.
   */
  send(msg: ChatMessage): void {
    const parsed = CHAT_SCHEMAS[msg.type].safeParse(msg);
    if (!parsed.success)
      throw new RangeError(`invalid ${msg.type}: ${parsed.error.issues[0]?.message ?? ''}`);
    const text = JSON.stringify(parsed.data);
    const state = this.#channel.readyState;
    if (state === 'open') {
      this.#channel.send(text);
    } else if (state === 'connecting' && !this.#closed) {
      if (this.#queue.length >= this.#maxQueued) throw invalidState('chat queue is full while connecting');
      this.#queue.push(text);
    } else {
      throw invalidState('chat channel is closed');
    }
  }

  /** A fresh message id: a random per-channel prefix and a counter. */
  nextId(): string {
    return `${this.#idPrefix}-${(this.#nextId++).toString(36)}`;
  }

  /** Closes the chat channel (the peer sees `close`). */
  close(): void {
    this.#queue = [];
    this.#channel.close();
  }

  #onMessage(data: unknown): void {
    const raw =
      typeof data === 'string' || data instanceof ArrayBuffer
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
    if (raw === null) {
      this.emit('error', new ChatError('BAD_JSON', 'unreadable message payload'));
      return;
    }
    const r = decodeChat(raw);
    if (!r.ok) {
      this.emit('error', new ChatError(r.code, r.message));
      return;
    }
    const msg = r.msg;
    switch (msg.type) {
      case 'chat':
        this.emit('chat', msg);
        break;
      case 'app':
        this.emit('app', msg);
        break;
      case 'media-state':
        this.#remoteMediaState = msg;
        this.emit('media-state', msg);
        break;
      case 'typing':
        this.emit('typing', msg);
        break;
      default:
        assertNever(msg);
    }
    this.emit('message', msg);
  }
}

/** Events of a {@link ChatRoom}: each {@link ChatChannelEvents} message event, tagged with the peer. */
export type ChatRoomEvents = {
  chat: [peer: string, msg: ChatMessageOf<'chat'>];
  app: [peer: string, msg: ChatMessageOf<'app'>];
  'media-state': [peer: string, msg: ChatMessageOf<'media-state'>];
  typing: [peer: string, msg: ChatMessageOf<'typing'>];
  error: [peer: string, error: ChatError];
};

/**
 * Room-level fan-out over per-peer {@link ChatChannel}s: `add` each peer's channel as its
 * connection comes up, `remove` it when the peer leaves. A broadcast goes to every channel with
 * the same id and timestamp, so receivers (and the sender's own UI) can deduplicate and order it.
 *
 * @example
 * ```ts
 * const room = new ChatRoom();
 * room.add('bob', new ChatChannel(pcToBob));
 * room.on('chat', (peer, m) => show(peer, m.text));
 * room.sendText('hi all');
 * ```
 */
export class ChatRoom extends TypedEmitter<ChatRoomEvents> {
  #peers = new Map<string, { channel: ChatChannel; off: Array<() => void> }>();
  #idPrefix = randomHex(6);
  #nextId = 0;

  /** Peers with a channel in the room. */
  get peers(): string[] {
    return [...this.#peers.keys()];
  }

  /** The channel of one peer. */
  get(peer: string): ChatChannel | undefined {
    return this.#peers.get(peer)?.channel;
  }

  /** Adds (or replaces) a peer's channel and relays its messages, tagged with `peer`. */
  add(peer: string, channel: ChatChannel): void {
    this.remove(peer);
    const off = [
      channel.on('chat', (m) => this.emit('chat', peer, m)),
      channel.on('app', (m) => this.emit('app', peer, m)),
      channel.on('media-state', (m) => this.emit('media-state', peer, m)),
      channel.on('typing', (m) => this.emit('typing', peer, m)),
      channel.on('error', (e) => this.emit('error', peer, e)),
    ];
    this.#peers.set(peer, { channel, off });
  }

  /** Stops relaying a peer's channel (the channel itself is left to its owner). */
  remove(peer: string): void {
    const entry = this.#peers.get(peer);
    if (!entry) return;
    for (const off of entry.off) off();
    this.#peers.delete(peer);
  }

  /** Sends a chat text to every peer; returns the message (one id for all). */
  sendText(text: string): ChatMessageOf<'chat'> {
    const msg: ChatMessageOf<'chat'> = { type: 'chat', id: this.#id(), text, ts: Date.now() };
    this.broadcast(msg);
    return msg;
  }

  /** Sends an app message to every peer. */
  sendApp(kind: string, data: JsonValue): ChatMessageOf<'app'> {
    const msg: ChatMessageOf<'app'> = { type: 'app', id: this.#id(), kind, data, ts: Date.now() };
    this.broadcast(msg);
    return msg;
  }

  /** Announces our media state to every peer. */
  sendMediaState(state: { audio: boolean; video: boolean; screen?: boolean }): void {
    this.broadcast({ type: 'media-state', ...state });
  }

  /**
   * Sends `msg` to every peer whose channel is open or connecting. Returns the peers it could
   * not be sent to (closed channels); an invalid message throws before anything is sent.
   */
  broadcast(msg: ChatMessage): string[] {
    const parsed = CHAT_SCHEMAS[msg.type].safeParse(msg);
    if (!parsed.success)
      throw new RangeError(`invalid ${msg.type}: ${parsed.error.issues[0]?.message ?? ''}`);
    const missed: string[] = [];
    for (const [peer, { channel }] of this.#peers) {
      try {
        channel.send(msg);
      } catch {
        missed.push(peer);
      }
    }
    return missed;
  }

  /** Removes every peer. */
  clear(): void {
    for (const peer of [...this.#peers.keys()]) this.remove(peer);
  }

  #id(): string {
    return `${this.#idPrefix}-${(this.#nextId++).toString(36)}`;
  }
}

function invalidState(message: string): Error {
  const e = new Error(message);
  e.name = 'InvalidStateError';
  return e;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}
