/**
 * One WebSocket as the upper layers see it: inbound frames and the close (`onFrame`, `onClose`),
 * sending with a backpressure check, closing with an error code, liveness for the heartbeat. The
 * socket itself stays inside: nothing above the transport touches `ws`. A connection whose unsent
 * bytes exceed the configured cap is a slow consumer: it is dropped rather than buffered without
 * bound.
 *
 * A resume's flush is the exception (`sendTracked` with `exempt`): the frames queued during grace
 * go out in one tick and may well exceed the cap, which used to drop the new socket before its
 * `welcome` left and lose the queue (issue 15, finding 6). They are bounded already by the queue's
 * byte budget (PARLEY_QUEUE_MAX_BYTES), so they are not counted against the cap while unwritten.
 *
 * May import: the protocol and ws only.
 */
import type { Socket } from 'node:net';
import { closeCodeFor, type ErrorCode } from '@parley/protocol';
import { type RawData, WebSocket } from 'ws';

/** A received message as `ws` delivers it (a Buffer, or fragments, or an ArrayBuffer). */
export type InboundData = RawData;

/** ws options that send a Buffer as a text frame (its bytes are UTF-8 JSON). */
const TEXT_FRAME = { binary: false } as const;

/** Time a closing socket gets to finish the close handshake before it is cut off. */
const CLOSE_TIMEOUT_MS = 2000;
/** WebSocket framing added to a payload at most (2 + 8 length bytes, no mask from a server). */
const FRAME_OVERHEAD_BYTES = 10;

/** A WebSocket plus the bookkeeping the transport needs. */
export class Connection {
  readonly #ws: WebSocket;
  /** Client IP address (for limits and debug logs only; never logged at info). */
  readonly ip: string;
  /** This node's number for the connection, in base 36: the `cid` of its log lines. */
  readonly id: string;
  /**
   * The host the client used to reach the server (its `Host` header, or `X-Forwarded-Host` from a
   * trusted proxy), in URL form; for the built-in STUN server's URL. Set by the transport.
   */
  publicHost: string | undefined;
  readonly #maxBufferedBytes: number;
  readonly #onSlowConsumer: () => void;
  /** Set on every pong; cleared by each heartbeat round. */
  alive = true;
  #closing = false;
  /** The TCP socket under `ws`, for corking (ws exposes no public cork). */
  readonly #socket: Socket | undefined;
  #corked = false;
  /** Bytes of exempt frames (a resume flush) handed to `ws` and not written yet. */
  #exemptBytes = 0;
  readonly #uncork = () => {
    this.#corked = false;
    this.#socket?.uncork();
  };

  constructor(ws: WebSocket, ip: string, maxBufferedBytes: number, onSlowConsumer: () => void, id = '') {
    this.#ws = ws;
    this.ip = ip;
    this.id = id;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onSlowConsumer = onSlowConsumer;
    ws.on('pong', () => {
      this.alive = true;
    });
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    this.#socket = typeof socket?.cork === 'function' ? socket : undefined;
  }

  /**
   * Calls `listener` for every message received, with `isBinary` false for a text frame (whose
   * UTF-8 `ws` has already validated). The listener is registered on the socket as it is: no
   * wrapper on the hot path.
   */
  onFrame(listener: (data: InboundData, isBinary: boolean) => void): void {
    this.#ws.on('message', listener);
  }

  /**
   * Calls `listener` once the socket has closed (whoever closed it), with the close code the
   * peer sent (1006 when the connection dropped without a close frame, 1005 with no code).
   */
  onClose(listener: (code: number) => void): void {
    this.#ws.once('close', (code: number) => listener(code));
  }

  /** Sends a WebSocket ping (the heartbeat); a closed socket is left to its close handler. */
  ping(): void {
    try {
      this.#ws.ping();
    } catch {
      // The socket closed between the heartbeat's check and the ping; its close handler cleans up.
    }
  }

  /** True once a close has started; nothing more is sent. */
  get closing(): boolean {
    return this.#closing || this.#ws.readyState !== WebSocket.OPEN;
  }

  /**
   * Sends an encoded frame (text, or its UTF-8 bytes). Returns false when the frame was not sent: the socket is closing, or
   * it is a slow consumer (which this call then drops).
   */
  send(frame: string | Buffer): boolean {
    if (this.#closing || this.#ws.readyState !== WebSocket.OPEN) return false;
    if (this.#ws.bufferedAmount - this.#exemptBytes > this.#maxBufferedBytes) {
      this.#closing = true;
      this.#onSlowConsumer();
      // The peer is not reading, so a close frame would sit behind megabytes: cut it off.
      this.#ws.terminate();
      return false;
    }
    // Frames sent to one socket within one tick (a burst of relayed signals) leave in a single
    // write: cork on the first, uncork when the tick ends. Same latency, far fewer syscalls.
    if (!this.#corked && this.#socket) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    // Bytes (a frame the relay spliced from a client's) still go out as a text frame.
    if (typeof frame === 'string') this.#ws.send(frame);
    else this.#ws.send(frame, TEXT_FRAME);
    return true;
  }

  /**
   * Sends a frame only while the socket's unsent bytes are under a quarter of the slow-consumer
   * cap (a lossy `room.data`: dropping it beats queueing behind what the client cannot read yet).
   * Returns whether it was sent.
   */
  sendDroppable(frame: string | Buffer): boolean {
    if (this.#ws.bufferedAmount - this.#exemptBytes > this.#maxBufferedBytes / 4) return false;
    return this.send(frame);
  }

  /**
   * Sends a frame and calls `written(true)` once the socket has written it, or `written(false)`
   * when it never will (the socket closed first, or is closing now). With `exempt` the frame is
   * not counted against the slow-consumer cap while unwritten (a resume flush; see above).
   */
  sendTracked(frame: string, written: (ok: boolean) => void, exempt = false): void {
    if (this.#closing || this.#ws.readyState !== WebSocket.OPEN) {
      written(false);
      return;
    }
    if (!exempt && this.#ws.bufferedAmount - this.#exemptBytes > this.#maxBufferedBytes) {
      this.send(frame);
      written(false);
      return;
    }
    const bytes = exempt ? Buffer.byteLength(frame) + FRAME_OVERHEAD_BYTES : 0;
    this.#exemptBytes += bytes;
    if (!this.#corked && this.#socket) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#ws.send(frame, (err) => {
      this.#exemptBytes -= bytes;
      written(!err);
    });
  }

  /** Starts a close handshake with `code`/`reason`, cutting the socket off if it stalls. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason);
      const timer = setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS);
      timer.unref();
      this.#ws.once('close', () => clearTimeout(timer));
    }
  }

  /** Closes for a fatal protocol error: reason = the code, close code from the errors table. */
  closeFor(code: ErrorCode): void {
    this.close(closeCodeFor(code), code);
  }

  /** Drops the socket at once, without a close handshake. */
  terminate(): void {
    this.#closing = true;
    this.#ws.terminate();
  }
}
