/**
 * The receiving side of one file transfer (see docs/FILE-TRANSFER.md).
 *
 * The app sees the offer (`FileTransfers` emits `offer`) and calls `accept(sink?)` or
 * `reject()`. Chunks are hashed and written in arrival order; the offset kept by the sink is
 * confirmed to the sender every `ackBytes` / `ackIntervalMs`. If the channel closes mid-way the
 * transfer waits, `interrupted`, keeping its bytes and hash state; a re-offer with the same id
 * (any channel, any peer connection attached to the same manager) is answered with the kept
 * offset. On `file.done` the SHA-256 is compared before the sink is finished.
 */
import {
  decodeFileSenderMessage,
  type FileCancelCode,
  type FileOfferMessage,
  type FileSenderMessage,
} from '@parley/protocol';
import { TypedEmitter } from '../events.ts';
import { remoteCancel, sayCancel, TransferLifecycle } from './file-transfer-lifecycle.ts';
import type { TransferProgress } from './file-transfer-progress.ts';
import { BlobSink, type FileSink } from './file-transfer-sink.ts';
import {
  type FileHash,
  FileTransferError,
  type ResolvedFileTransferOptions,
  sendControl,
  type TransferEvents,
  type TransferResult,
  type TransferState,
} from './file-transfer-state.ts';

/**
 * A file being received. Emitted by `FileTransfers` as `offer`; call `accept()` (optionally with a
 * {@link FileSink}; a {@link BlobSink} by default) or `reject()`.
 */
export class IncomingTransfer extends TypedEmitter<TransferEvents> {
  readonly id: string;
  readonly direction = 'receive' as const;
  readonly name: string;
  readonly size: number;
  readonly mime: string;
  readonly lastModified: number | undefined;
  /** Resolves when the transfer reaches a final state; never rejects. */
  readonly finished: Promise<TransferResult>;

  readonly #opts: ResolvedFileTransferOptions;
  readonly #life: TransferLifecycle;
  readonly #hash: FileHash;
  #channel: RTCDataChannel | null = null;
  #sink: FileSink | null = null;
  #accepted = false;
  /** Bytes received and handed to the sink (and hashed). */
  #received = 0;
  /** Bytes the sink has confirmed written: what a resume keeps. */
  #kept = 0;
  /** Serialises asynchronous sink writes; null while none is in flight. */
  #tail: Promise<void> | null = null;
  #sinkError: unknown = null;
  #lastAckBytes = 0;
  #lastAckAt = 0;

  /** @internal Created by `FileTransfers` from a validated offer. */
  constructor(offer: FileOfferMessage, opts: ResolvedFileTransferOptions) {
    super();
    this.id = offer.id;
    this.name = offer.name;
    this.size = offer.size;
    this.mime = offer.mime;
    this.lastModified = offer.lastModified;
    this.#opts = opts;
    this.#hash = opts.createHash();
    this.#life = new TransferLifecycle({
      size: offer.size,
      progressIntervalMs: opts.progressIntervalMs,
      onState: (state, error) =>
        this.emit('state', state, ...((error ? [error] : []) as [FileTransferError?])),
      onProgress: (progress) => this.emit('progress', progress),
    });
    this.finished = this.#life.finished;
  }

  /** Current state. */
  get state(): TransferState {
    return this.#life.state;
  }

  /** The last progress report. */
  get progress(): TransferProgress {
    return this.#life.progress;
  }

  /** Bytes kept so far (where a resume starts). */
  get keptBytes(): number {
    return this.#kept;
  }

  /** The file's verified SHA-256 (hex), once completed. */
  get sha256(): string | null {
    return this.#life.sha256;
  }

  /** The sink given to (or made by) `accept()`. */
  get sink(): FileSink | null {
    return this.#sink;
  }

  /** The received file when the default {@link BlobSink} was used and the transfer completed. */
  get blob(): Blob | null {
    return this.#sink instanceof BlobSink ? this.#sink.blob : null;
  }

  /**
   * Accepts the offer; bytes start flowing. `sink` receives them (default: a {@link BlobSink}
   * typed with the offered MIME type). Ignored unless the transfer is pending and not yet accepted.
   */
  accept(sink?: FileSink): void {
    if (this.#accepted || this.#life.final) return;
    this.#accepted = true;
    this.#sink = sink ?? new BlobSink(this.mime);
    if (this.#channel && this.#life.state === 'pending') this.#sendAccept(this.#channel);
  }

  /** Declines the offer (`file.reject`). Only while pending and not accepted. */
  reject(reason?: string): void {
    if (this.#accepted || this.#life.final) return;
    if (this.#channel) {
      sendControl(this.#channel, { type: 'file.reject', id: this.id, ...(reason ? { reason } : {}) });
    }
    this.#finish('rejected');
  }

  /** Cancels the transfer (`file.cancel`, code `CANCELLED`) and drops what was received. */
  cancel(reason?: string): void {
    if (this.#life.final) return;
    this.#stop('cancelled', 'CANCELLED', reason);
  }

  /**
   * @internal Binds a channel that carried an offer for this id: the first offer, or a re-offer
   * after an interruption (answered at once with the kept offset if already accepted).
   */
  bind(channel: RTCDataChannel, offer: FileOfferMessage): void {
    if (this.#life.final) return;
    if (offer.name !== this.name || offer.size !== this.size || offer.mime !== this.mime) {
      sendControl(channel, {
        type: 'file.cancel',
        id: this.id,
        code: 'RESUME_MISMATCH',
        reason: 'the re-offer describes another file',
      });
      channel.close();
      return;
    }
    const old = this.#channel;
    this.#channel = channel;
    if (old && old !== channel) old.close();
    this.#life.clearResumeTimer();
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('message', (ev: MessageEvent) => {
      if (this.#channel === channel) this.#onMessage(channel, ev.data);
    });
    channel.addEventListener('close', () => {
      if (this.#channel === channel) this.#onClosed();
    });
    this.#life.setState('pending');
    if (this.#accepted) this.#sendAccept(channel);
  }

  /**
   * @internal The manager replaced the peer connection: the channel is gone with the old one (a
   * locally closed connection fires no channel events). Keeps the bytes and waits for a re-offer.
   */
  interrupt(): void {
    const channel = this.#channel;
    if (!channel || this.#life.final) return;
    this.#onClosed();
    channel.close();
  }

  #sendAccept(channel: RTCDataChannel): void {
    // Answer with what the sink has actually kept: wait for writes still in flight first.
    const answer = () => {
      if (this.#channel !== channel || this.#life.final) return;
      if (this.#sinkError !== null) {
        this.#stop('failed', 'SINK_FAILED', 'could not write the file');
        return;
      }
      this.#life.setState('transferring');
      this.#life.startProgress(() => this.#kept);
      this.#lastAckBytes = this.#kept;
      this.#lastAckAt = performance.now();
      sendControl(channel, { type: 'file.accept', id: this.id, offset: this.#kept });
    };
    if (this.#tail) void this.#tail.then(answer);
    else answer();
  }

  #onMessage(channel: RTCDataChannel, data: unknown): void {
    if (typeof data !== 'string') {
      if (data instanceof ArrayBuffer) {
        this.#onChunk(channel, new Uint8Array(data));
        return;
      }
      // Some Node stacks hand binary messages over as Buffers (Uint8Array views).
      if (ArrayBuffer.isView(data)) {
        this.#onChunk(channel, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        return;
      }
      this.#protocolError('unexpected message payload (is binaryType "arraybuffer"?)');
      return;
    }
    const r = decodeFileSenderMessage(data);
    if (!r.ok) {
      this.#protocolError(`${r.code}: ${r.message}`);
      return;
    }
    const msg: FileSenderMessage = r.msg;
    if (msg.id !== this.id) {
      this.#protocolError(`message for transfer ${msg.id} on ${this.id}`);
      return;
    }
    switch (msg.type) {
      case 'file.offer': {
        this.#protocolError('a second file.offer on one channel');
        return;
      }
      case 'file.done':
        if (this.#life.state !== 'transferring') {
          this.#protocolError('file.done out of turn');
          return;
        }
        if (msg.size !== this.size || this.#received !== this.size) {
          this.#stop('failed', 'SIZE_MISMATCH', `received ${this.#received} of ${this.size} bytes`);
          return;
        }
        void this.#verify(channel, msg.sha256);
        return;
      case 'file.cancel': {
        const { state, error } = remoteCancel(msg, 'sender');
        this.#finish(state, error);
        return;
      }
    }
  }

  #onChunk(channel: RTCDataChannel, bytes: Uint8Array): void {
    if (this.#life.state !== 'transferring') {
      this.#protocolError('file data before file.accept');
      return;
    }
    if (this.#received + bytes.length > this.size) {
      this.#stop('failed', 'SIZE_MISMATCH', 'more bytes than offered');
      return;
    }
    const offset = this.#received;
    this.#received += bytes.length;
    this.#hash.update(bytes);
    const sink = this.#sink!;
    const kept = () => {
      this.#kept = offset + bytes.length;
      this.#maybeAck(channel);
    };
    const failed = (error: unknown) => {
      this.#sinkError = error;
      this.#tail = null;
      this.#stop('failed', 'SINK_FAILED', 'could not write the file', error);
    };
    if (this.#tail === null) {
      let r: void | Promise<void>;
      try {
        r = sink.write(bytes, offset);
      } catch (error) {
        failed(error);
        return;
      }
      if (r && typeof (r as Promise<void>).then === 'function') this.#chain(r as Promise<void>, kept, failed);
      else kept();
    } else {
      this.#chain(
        this.#tail.then(() => sink.write(bytes, offset)),
        kept,
        failed,
      );
    }
  }

  #chain(p: Promise<void>, kept: () => void, failed: (e: unknown) => void): void {
    const tail: Promise<void> = p.then(
      () => {
        if (this.#tail === tail) this.#tail = null;
        if (this.#sinkError === null) kept();
      },
      (error) => {
        if (this.#sinkError === null) failed(error);
      },
    );
    this.#tail = tail;
  }

  #maybeAck(channel: RTCDataChannel): void {
    const now = performance.now();
    if (
      this.#kept - this.#lastAckBytes >= this.#opts.ackBytes ||
      (this.#kept > this.#lastAckBytes && now - this.#lastAckAt >= this.#opts.ackIntervalMs)
    ) {
      if (this.#channel !== channel) return;
      this.#lastAckBytes = this.#kept;
      this.#lastAckAt = now;
      sendControl(channel, { type: 'file.ack', id: this.id, offset: this.#kept });
    }
  }

  async #verify(channel: RTCDataChannel, expected: string): Promise<void> {
    this.#life.setState('verifying');
    if (this.#tail) await this.#tail;
    if (this.#life.final || this.#sinkError !== null) return;
    const actual = this.#hash.hex();
    if (actual !== expected) {
      this.#stop('failed', 'HASH_MISMATCH', `SHA-256 ${actual} does not match the sender's ${expected}`);
      return;
    }
    try {
      await this.#sink!.finish();
    } catch (error) {
      this.#stop('failed', 'SINK_FAILED', 'could not finish the file', error);
      return;
    }
    if (this.#life.final) return;
    this.#life.sha256 = actual;
    this.#life.emitProgress(this.size);
    sendControl(channel, { type: 'file.received', id: this.id, sha256: actual });
    // The sender closes the channel once it reads file.received; closing here could race it.
    this.#finish('completed', undefined, false);
  }

  #onClosed(): void {
    this.#channel = null;
    if (!this.#life.interrupted()) return;
    this.#life.setResumeTimer(() => {
      if (this.#life.state !== 'interrupted') return;
      this.#finish(
        'failed',
        new FileTransferError('RESUME_TIMEOUT', `not resumed within ${this.#opts.resumeTimeoutMs} ms`),
      );
    }, this.#opts.resumeTimeoutMs);
  }

  #protocolError(message: string): void {
    this.#stop('failed', 'BAD_MESSAGE', message);
  }

  #stop(state: 'cancelled' | 'failed', code: FileCancelCode, reason?: string, cause?: unknown): void {
    if (this.#life.final) return;
    this.#finish(state, sayCancel(this.#channel, this.id, state, code, reason, cause));
  }

  #finish(state: TransferResult['state'], error?: FileTransferError, closeChannel = true): void {
    this.#life.settle(state, error, () => {
      const channel = this.#channel;
      this.#channel = null;
      if (closeChannel) channel?.close();
      // Completed: the sender closes after reading file.received; close anyway if it never does.
      else if (channel) setTimeout(() => channel.close(), 5000);
      if (state !== 'completed' && this.#sink?.abort) {
        const reason = error ?? new FileTransferError('CANCELLED', `transfer ${state}`);
        void Promise.resolve()
          .then(() => this.#sink?.abort?.(reason))
          .catch(() => {});
      }
    });
  }
}
