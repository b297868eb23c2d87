/**
 * The sending side of one file transfer (see docs/FILE-TRANSFER.md).
 *
 * One data channel per attempt, labelled `parley-file/<id>`: open → `file.offer` → the receiver's
 * `file.accept { offset }` → chunks from that offset, paced by two watermarks on `bufferedAmount`,
 * with no per-chunk round trip → `file.done { sha256 }` → `file.received`. The SHA-256 is computed
 * while sending (no extra pass over the file before the first byte goes out) and snapshotted at
 * every chunk boundary the receiver has not yet confirmed, so a resume continues the hash from the
 * receiver's offset without rereading the file; only a sender that lost its snapshots (a new
 * process) rehashes the prefix from the source.
 */
import {
  decodeFileReceiverMessage,
  type FileCancelCode,
  type FileReceiverMessage,
  fileChannelLabel,
} from '@parley/protocol';
import { TypedEmitter } from '../events.ts';
import { BlockReader, chooseChunkBytes, chunkLengthAt, HashCheckpoints } from './file-transfer-chunks.ts';
import { remoteCancel, sayCancel, TransferLifecycle } from './file-transfer-lifecycle.ts';
import { canWrite, waitForDrain } from './file-transfer-pacer.ts';
import type { TransferProgress } from './file-transfer-progress.ts';
import type { FileSource } from './file-transfer-source.ts';
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
 * What an outgoing transfer needs from its manager: a way to open a channel on the current peer
 * connection (null while none is attached) and to read its negotiated message size limit.
 * @internal
 */
export interface OutgoingHost {
  openChannel(label: string): RTCDataChannel | null;
  maxMessageSize(): number | null;
  /** True while a connected peer connection is attached (automatic re-offers make sense). */
  connected(): boolean;
}

/**
 * A file being sent. Created by `FileTransfers.send()`; listen to `state` and `progress`, await
 * `finished`, call `cancel()` or `resume()`.
 */
export class OutgoingTransfer extends TypedEmitter<TransferEvents> {
  /** Transfer id, shared with the receiver (and reused by re-offers). */
  readonly id: string;
  readonly direction = 'send' as const;
  readonly name: string;
  readonly size: number;
  readonly mime: string;
  /** Resolves when the transfer reaches a final state; never rejects. */
  readonly finished: Promise<TransferResult>;

  readonly #source: FileSource;
  readonly #host: OutgoingHost;
  readonly #opts: ResolvedFileTransferOptions;
  readonly #life: TransferLifecycle;
  readonly #checkpoints = new HashCheckpoints();
  #channel: RTCDataChannel | null = null;
  /** Bumped on every new channel, so a pump left over from an earlier attempt stops. */
  #attempt = 0;
  /** Bytes handed to the channel in the current attempt (absolute offset). */
  #sent = 0;
  /** Highest offset the receiver confirmed. */
  #confirmed = 0;
  /** Confirmed offset when the last re-offer was made; re-offers without progress count toward giving up. */
  #confirmedAtResume = -1;
  #failedResumes = 0;

  /** @internal Use `FileTransfers.send()`. */
  constructor(id: string, source: FileSource, host: OutgoingHost, opts: ResolvedFileTransferOptions) {
    super();
    this.id = id;
    this.#source = source;
    this.name = source.name;
    this.size = source.size;
    this.mime = source.type;
    this.#host = host;
    this.#opts = opts;
    this.#life = new TransferLifecycle({
      size: source.size,
      progressIntervalMs: opts.progressIntervalMs,
      onState: (state, error) =>
        this.emit('state', state, ...((error ? [error] : []) as [FileTransferError?])),
      onProgress: (progress) => this.emit('progress', progress),
    });
    this.finished = this.#life.finished;
    // Open on the next tick so the caller can add listeners first.
    queueMicrotask(() => this.#open());
  }

  /** Current state. */
  get state(): TransferState {
    return this.#life.state;
  }

  /** The last progress report. */
  get progress(): TransferProgress {
    return this.#life.progress;
  }

  /** Bytes the receiver has confirmed it keeps (where a resume would start). */
  get confirmedBytes(): number {
    return this.#confirmed;
  }

  /** SHA-256 of the file (hex), known once every byte has been read. */
  get sha256(): string | null {
    return this.#life.sha256;
  }

  /**
   * Cancels the transfer: tells the receiver (`file.cancel`, code `CANCELLED`) when the channel is
   * open, then closes it. No effect once final.
   */
  cancel(reason?: string): void {
    if (this.#life.final) return;
    this.#stop('cancelled', 'CANCELLED', reason, undefined);
  }

  /**
   * Re-offers an interrupted transfer on the attached peer connection (the receiver answers with
   * the offset it kept). Returns false when the transfer is not interrupted or no connection is
   * attached. `FileTransfers` calls this by itself when `autoResume` is on.
   */
  resume(): boolean {
    if (this.#life.state !== 'interrupted') return false;
    this.#life.clearResumeTimer();
    if (this.#confirmed > this.#confirmedAtResume) this.#failedResumes = 0;
    else this.#failedResumes++;
    if (this.#failedResumes >= this.#opts.maxResumeAttempts) {
      this.#finish(
        'failed',
        new FileTransferError('RESUME_FAILED', `no progress after ${this.#failedResumes} re-offers`),
      );
      return false;
    }
    this.#confirmedAtResume = this.#confirmed;
    return this.#open();
  }

  /** @internal The manager saw the peer connection go away or a new one attached. */
  scheduleResume(delayMs: number): void {
    if (this.#life.state !== 'interrupted' || !this.#opts.autoResume) return;
    this.#life.setResumeTimer(() => {
      if (this.#host.connected()) this.resume();
    }, delayMs);
  }

  /**
   * @internal The manager replaced the peer connection: this attempt's channel is gone with the
   * old one (a locally closed connection fires no channel events). Waits for a re-offer.
   */
  interrupt(): void {
    if (this.#life.final || this.#life.state === 'interrupted') return;
    const channel = this.#channel;
    this.#channel = null;
    this.#attempt++;
    this.#life.stopProgress();
    channel?.close();
    this.#life.setState('interrupted');
  }

  #open(): boolean {
    if (this.#life.final) return false;
    let channel: RTCDataChannel | null = null;
    try {
      channel = this.#host.openChannel(fileChannelLabel(this.id));
    } catch {
      channel = null;
    }
    if (!channel) {
      this.#life.setState('interrupted');
      return false;
    }
    const attempt = ++this.#attempt;
    this.#channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = this.#opts.lowWaterBytes;
    const current = () => this.#channel === channel && this.#attempt === attempt;
    channel.addEventListener('open', () => {
      if (!current()) return;
      sendControl(channel, {
        type: 'file.offer',
        id: this.id,
        name: this.name,
        size: this.size,
        mime: this.mime,
        ...(this.#source.lastModified !== undefined ? { lastModified: this.#source.lastModified } : {}),
      });
    });
    channel.addEventListener('message', (ev: MessageEvent) => {
      if (current()) this.#onMessage(channel, attempt, ev.data);
    });
    channel.addEventListener('close', () => {
      if (current()) this.#onClosed();
    });
    if (this.#life.state === 'interrupted') this.#life.setState('pending');
    return true;
  }

  #onMessage(channel: RTCDataChannel, attempt: number, data: unknown): void {
    if (typeof data !== 'string') {
      this.#protocolError('the receiver sent binary data');
      return;
    }
    const r = decodeFileReceiverMessage(data);
    if (!r.ok) {
      this.#protocolError(`${r.code}: ${r.message}`);
      return;
    }
    const msg: FileReceiverMessage = r.msg;
    if (msg.id !== this.id) {
      this.#protocolError(`message for transfer ${msg.id} on ${this.id}`);
      return;
    }
    switch (msg.type) {
      case 'file.accept':
        if (this.#life.state !== 'pending') {
          this.#protocolError('file.accept out of turn');
          return;
        }
        if (msg.offset > this.size) {
          this.#protocolError('file.accept offset beyond the file');
          return;
        }
        this.#confirmed = Math.max(this.#confirmed, msg.offset);
        void this.#pump(channel, attempt, msg.offset);
        return;
      case 'file.reject':
        if (this.#life.state !== 'pending') {
          this.#protocolError('file.reject out of turn');
          return;
        }
        this.#stop('rejected', undefined, msg.reason, undefined);
        return;
      case 'file.ack':
        if (msg.offset > this.#sent) {
          this.#protocolError('file.ack beyond the bytes sent');
          return;
        }
        if (msg.offset > this.#confirmed) this.#confirmed = msg.offset;
        this.#checkpoints.confirm(msg.offset);
        return;
      case 'file.received': {
        // Valid after file.done, or in answer to a re-offer of a transfer the receiver already finished.
        const state = this.#life.state;
        if (this.#life.sha256 === null || (state !== 'verifying' && state !== 'pending')) {
          this.#protocolError('file.received before file.done');
          return;
        }
        if (msg.sha256 !== this.#life.sha256) {
          this.#stop('failed', 'HASH_MISMATCH', 'the receiver reported another SHA-256', undefined);
          return;
        }
        this.#confirmed = this.size;
        this.#life.emitProgress(this.size);
        this.#finish('completed');
        return;
      }
      case 'file.cancel': {
        const { state, error } = remoteCancel(msg, 'receiver');
        this.#finish(state, error);
        return;
      }
    }
  }

  async #pump(channel: RTCDataChannel, attempt: number, from: number): Promise<void> {
    const live = () =>
      this.#attempt === attempt && this.#channel === channel && channel.readyState === 'open';
    this.#sent = from;
    this.#life.setState('transferring');
    // Bytes that left the channel's buffer, not merely queued in it.
    this.#life.startProgress(() =>
      this.#channel === channel ? this.#sent - channel.bufferedAmount : undefined,
    );
    const marks = {
      highBytes: this.#opts.highWaterBytes,
      lowBytes: this.#opts.lowWaterBytes,
      pollMs: this.#opts.pollMs,
    };
    const chunkBytes = chooseChunkBytes(this.#host.maxMessageSize(), this.#opts.chunkBytes);
    const blockBytes = Math.ceil(this.#opts.readBlockBytes / chunkBytes) * chunkBytes;
    const reader = new BlockReader(this.#source, blockBytes);
    try {
      const hash = this.#checkpoints.at(from) ?? (await this.#rehash(from, blockBytes));
      if (!live()) return;
      this.#checkpoints.clear();
      this.#checkpoints.add(from, hash.clone());
      let sent = from;
      while (sent < this.size) {
        if (!live()) return;
        if (!canWrite(channel, marks)) {
          if (!(await waitForDrain(channel, marks))) return;
          continue;
        }
        const len = chunkLengthAt(sent, this.size, chunkBytes);
        const bytes = await readWithRetry(reader, sent, len);
        if (!live()) return;
        try {
          channel.send(bytes as Uint8Array<ArrayBuffer>);
        } catch {
          // The channel refused the chunk while still open (Chromium throws OperationError when
          // its send queue overflows). Not the file's fault: close it, and the transfer is
          // interrupted and re-offered from the receiver's confirmed offset, as after any cut.
          if (live()) channel.close();
          return;
        }
        hash.update(bytes);
        sent += len;
        this.#sent = sent;
        this.#checkpoints.add(sent, hash.clone());
      }
      this.#life.sha256 = hash.hex();
      sendControl(channel, { type: 'file.done', id: this.id, size: this.size, sha256: this.#life.sha256 });
      this.#life.setState('verifying');
    } catch (error) {
      // Sends are handled above: what reaches here came from the source (after retries).
      if (!live()) return;
      this.#stop('failed', 'SOURCE_FAILED', 'could not read the file', error);
    } finally {
      reader.clear();
    }
  }

  /** Hashes the first `offset` bytes from the source (a resume without a snapshot there). */
  async #rehash(offset: number, blockBytes: number): Promise<FileHash> {
    const hash = this.#opts.createHash();
    for (let pos = 0; pos < offset; ) {
      const len = Math.min(blockBytes, offset - pos);
      const bytes = await this.#source.read(pos, len);
      if (bytes.length !== len) throw new Error(`source read ${bytes.length} of ${len} bytes at ${pos}`);
      hash.update(bytes);
      pos += len;
    }
    return hash;
  }

  #onClosed(): void {
    this.#channel = null;
    if (this.#life.interrupted()) this.scheduleResume(this.#opts.resumeDelayMs);
  }

  #protocolError(message: string): void {
    this.#stop('failed', 'BAD_MESSAGE', message, undefined);
  }

  /** Ends the transfer from this side: tells the receiver why (see `sayCancel`), settles. */
  #stop(
    state: 'cancelled' | 'rejected' | 'failed',
    code: FileCancelCode | undefined,
    reason: string | undefined,
    cause: unknown,
  ): void {
    this.#finish(state, sayCancel(this.#channel, this.id, state, code, reason, cause));
  }

  #finish(state: TransferResult['state'], error?: FileTransferError): void {
    this.#life.settle(state, error, () => {
      const channel = this.#channel;
      this.#channel = null;
      this.#attempt++;
      this.#checkpoints.clear();
      channel?.close();
      void Promise.resolve()
        .then(() => this.#source.close?.())
        .catch(() => {});
    });
  }
}

/**
 * Reads from the source, retrying a failed read twice after a short pause: a browser may fail
 * one `Blob` slice read transiently (NotReadableError while the blob store is busy), and a
 * 200 MiB transfer should not die of that. A read that keeps failing fails the transfer.
 */
async function readWithRetry(
  reader: { read(offset: number, length: number): Promise<Uint8Array> },
  offset: number,
  length: number,
): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await reader.read(offset, length);
    } catch (error) {
      if (attempt >= 2) throw error;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}
