/**
 * A room's app channels through the Parley server (`room.data`, protocol room-data.ts), the path
 * they take while the room is in SFU mode: one frame per part to the server, which stamps the
 * sender and fans it out to every other member, instead of one data channel per member.
 *
 * Sending: each message is cut into parts that fit a frame (text as it is, binary as base64) and
 * paced a little under the server's per-sender rates (`welcome.roomLimits.data`, else the
 * protocol's defaults; 90 % of the rate, half the burst), so the server does not refuse the SDK:
 * - reliable messages wait in an ordered queue while the rates are spent (counted in
 *   `buffered(label)`, which the channel adds to its `bufferedAmount`: backpressure as with a data
 *   channel);
 * - lossy messages (`reliable: false`, `maxRetransmits`, `maxPacketLifeTime`) are sent at once
 *   when the rates allow and the queue is empty, else dropped and counted in `dropped`: newer
 *   updates follow, and late ones are what a lossy channel exists to avoid.
 *
 * Receiving: parts are put back together per sender and label (a gap, from a lossy part the server
 * dropped, discards the message), then decoded as an app channel frame is.
 *
 * May import the protocol and app-channel-link.ts (types).
 */
import {
  APP_CHANNEL_LIMITS,
  type AppFrame,
  type ClientMessage,
  decodeAppFrame,
  type ErrorCode,
  ROOM_DATA_LIMITS,
  type RoomDataLimits,
  type ServerMessageOf,
} from '@parley/protocol';
import type { OutFrame } from './app-channel-link.ts';

/** What a relayed message turned into: an app frame, or why it was dropped. */
export type RelayedFrame =
  | { ok: true; frame: Exclude<AppFrame, { kind: 'control' }> }
  | { ok: false; code: ErrorCode; message: string };

type Listener = (frame: RelayedFrame, from: string) => void;

interface Queued {
  label: string;
  parts: ClientMessage[];
  /** What the parts cost the server's byte bucket. */
  bytes: number;
  /** The app message's own size (what `buffered` counts). */
  appBytes: number;
}

/** Shares of the server's rates and bursts the SDK uses (see `#buckets`). */
const RATE_MARGIN = 0.9;
const BURST_MARGIN = 0.5;

/** Bytes a part costs the server's byte bucket beyond `data` (the frame's JSON around it). */
const PART_OVERHEAD_BYTES = 96;

/** A token bucket refilled from the clock (the server's, mirrored so it never refuses us). */
class Bucket {
  #tokens: number;
  #last = performance.now();
  constructor(
    readonly ratePerS: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }
  level(): number {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerS) / 1000);
    this.#last = now;
    return this.#tokens;
  }
  take(n: number): void {
    this.#tokens -= n;
  }
  /** Milliseconds until `n` tokens are there. */
  waitMs(n: number): number {
    return Math.max(1, Math.ceil(((n - this.level()) * 1000) / this.ratePerS));
  }
}

/** See the file comment. One per room; the room's channels share it. */
export class RoomDataRelay {
  readonly #room: string;
  readonly #send: (msg: ClientMessage) => void;
  readonly #limits: () => RoomDataLimits | undefined;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #queue: Queued[] = [];
  readonly #queuedBytes = new Map<string, number>();
  readonly #partial = new Map<string, { next: number; text: string; bin: boolean; lossy: boolean }>();
  #frames: Bucket | undefined;
  #bytes: Bucket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Lossy messages not sent because the rates were spent or reliable ones were waiting. */
  dropped = 0;

  constructor(room: string, send: (msg: ClientMessage) => void, limits: () => RoomDataLimits | undefined) {
    this.#room = room;
    this.#send = send;
    this.#limits = limits;
  }

  /** Bytes of `label`'s reliable messages waiting for the rates. */
  buffered(label: string): number {
    return this.#queuedBytes.get(label) ?? 0;
  }

  /** Calls `fn` for each message relayed on `label`; returns an unsubscribe. */
  onFrame(label: string, fn: Listener): () => void {
    let set = this.#listeners.get(label);
    if (!set) {
      set = new Set();
      this.#listeners.set(label, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Sends one app message to every other member; returns false when a lossy one was dropped. */
  send(label: string, frame: OutFrame, lossy: boolean): boolean {
    const parts = this.#parts(label, frame, lossy);
    const bytes = parts.reduce((n, p) => n + (p as { data: string }).data.length + PART_OVERHEAD_BYTES, 0);
    if (lossy) {
      if (this.#queue.length > 0 || !this.#fits(parts.length, bytes)) {
        this.dropped++;
        return false;
      }
      this.#spend(parts, bytes);
      return true;
    }
    this.#queue.push({ label, parts, bytes, appBytes: frame.bytes });
    this.#queuedBytes.set(label, this.buffered(label) + frame.bytes);
    this.#pump();
    return true;
  }

  /** Forgets `label`'s waiting messages and listeners (its channel closed). */
  forget(label: string): void {
    this.#listeners.delete(label);
    for (let i = this.#queue.length - 1; i >= 0; i--)
      if (this.#queue[i]!.label === label) this.#queue.splice(i, 1);
    this.#queuedBytes.delete(label);
  }

  /** A `room.data` part from the server. */
  receive(msg: ServerMessageOf<'room.data'>): void {
    const key = `${msg.from}\n${msg.label}`;
    const part = msg.part ?? 0;
    let p = this.#partial.get(key);
    if (part === 0) p = { next: 0, text: '', bin: msg.bin === true, lossy: msg.lossy === true };
    if (!p || p.next !== part || p.bin !== (msg.bin === true)) {
      // A part is missing (a lossy one the server dropped): the message is lost.
      this.#partial.delete(key);
      if (!(p?.lossy ?? msg.lossy === true))
        this.#emit(msg.label, msg.from, bad('BAD_MESSAGE', 'a part of a relayed message is missing'));
      return;
    }
    p.text += msg.data;
    p.next++;
    const max = p.bin
      ? Math.ceil(APP_CHANNEL_LIMITS.maxMessageBytes / 3) * 4
      : APP_CHANNEL_LIMITS.maxMessageBytes;
    if (p.text.length > max) {
      this.#partial.delete(key);
      this.#emit(
        msg.label,
        msg.from,
        bad('TOO_LARGE', `message exceeds ${APP_CHANNEL_LIMITS.maxMessageBytes} bytes`),
      );
      return;
    }
    if (msg.more) {
      this.#partial.set(key, p);
      return;
    }
    this.#partial.delete(key);
    const r = decodeAppFrame(p.bin ? fromBase64(p.text) : p.text);
    if (!r.ok) this.#emit(msg.label, msg.from, r);
    else if (r.msg.kind === 'control')
      this.#emit(msg.label, msg.from, bad('BAD_MESSAGE', 'control message relayed'));
    else this.#emit(msg.label, msg.from, { ok: true, frame: r.msg });
  }

  /** A member left: its half-received messages go. */
  peerLeft(name: string): void {
    for (const key of this.#partial.keys()) if (key.startsWith(`${name}\n`)) this.#partial.delete(key);
  }

  /** The room is over. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#queuedBytes.clear();
    this.#partial.clear();
    this.#listeners.clear();
  }

  #emit(label: string, from: string, frame: RelayedFrame): void {
    for (const fn of this.#listeners.get(label) ?? []) fn(frame, from);
  }

  #parts(label: string, frame: OutFrame, lossy: boolean): ClientMessage[] {
    const bin = typeof frame.data !== 'string';
    const text =
      typeof frame.data === 'string'
        ? frame.data
        : toBase64(
            frame.data instanceof ArrayBuffer
              ? new Uint8Array(frame.data)
              : new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength),
          );
    const size = bin ? ROOM_DATA_LIMITS.binaryPartChars : ROOM_DATA_LIMITS.textPartChars;
    const parts: ClientMessage[] = [];
    for (let at = 0, part = 0; part === 0 || at < text.length; at += size, part++) {
      const more = at + size < text.length;
      // `type` first: the server's rate limits key on the frame's opening (ROOM_DATA_FRAME_PREFIX).
      parts.push({
        type: 'room.data',
        room: this.#room,
        label,
        data: text.slice(at, at + size),
        ...(bin ? { bin: true as const } : {}),
        ...(lossy ? { lossy: true as const } : {}),
        ...(part > 0 ? { part } : {}),
        ...(more ? { more: true as const } : {}),
      });
    }
    return parts;
  }

  #buckets(): [Bucket, Bucket] {
    if (!this.#frames || !this.#bytes) {
      const l = this.#limits();
      // A margin under the server's figures: frames reach it bunched up (network, its own
      // queue), so pacing at exactly its rate would now and then find its bucket empty.
      const perS = (l?.perS ?? ROOM_DATA_LIMITS.defaultPerS) * RATE_MARGIN;
      const bytesPerS = (l?.bytesPerS ?? ROOM_DATA_LIMITS.defaultBytesPerS) * RATE_MARGIN;
      this.#frames = new Bucket(
        perS,
        Math.max(1, (l?.burst ?? ROOM_DATA_LIMITS.defaultBurst) * BURST_MARGIN),
      );
      this.#bytes = new Bucket(
        bytesPerS,
        (l?.bytesBurst ?? ROOM_DATA_LIMITS.defaultBytesBurst) * BURST_MARGIN,
      );
    }
    return [this.#frames, this.#bytes];
  }

  #fits(frames: number, bytes: number): boolean {
    const [f, b] = this.#buckets();
    // A message larger than a whole bucket goes once the bucket is full.
    return f.level() >= Math.min(frames, f.burst) && b.level() >= Math.min(bytes, b.burst);
  }

  #spend(parts: ClientMessage[], bytes: number): void {
    const [f, b] = this.#buckets();
    f.take(parts.length);
    b.take(bytes);
    for (const p of parts) this.#send(p);
  }

  #pump(): void {
    if (this.#timer !== undefined) return;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (!this.#fits(head.parts.length, head.bytes)) {
        const [f, b] = this.#buckets();
        const wait = Math.max(
          f.waitMs(Math.min(head.parts.length, f.burst)),
          b.waitMs(Math.min(head.bytes, b.burst)),
        );
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      this.#queue.shift();
      this.#spend(head.parts, head.bytes);
      const left = this.buffered(head.label) - head.appBytes;
      if (left > 0) this.#queuedBytes.set(head.label, left);
      else this.#queuedBytes.delete(head.label);
    }
  }
}

function bad(code: ErrorCode, message: string): RelayedFrame {
  return { ok: false, code, message };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 with padding (the same in browsers and Node, without btoa's string detour). */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  const chunk: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk.push(ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!);
    if (chunk.length === 4096) {
      out += chunk.join('');
      chunk.length = 0;
    }
  }
  out += chunk.join('');
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
  }
  return out;
}

/** Decodes base64 the server already checked for its alphabet (protocol room-data.ts). */
export function fromBase64(text: string): ArrayBuffer {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--; // '='
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    acc = (acc << 6) | LOOKUP[text.charCodeAt(i) & 127]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out.buffer.slice(0, o);
}
