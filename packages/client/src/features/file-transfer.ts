/**
 * File transfer over a peer connection: the entry point, {@link FileTransfers}.
 *
 * Each transfer gets its own in-band data channel (`parley-file/<id>`), so transfers run side by
 * side, a slow or cancelled one never blocks another or the chat, and closing one channel is how a
 * transfer ends. The sub-protocol (offer, accept/reject, ack, done, received, cancel; resume from
 * the receiver's kept offset; SHA-256 check on arrival) is described in docs/FILE-TRANSFER.md and
 * its messages are validated with the schemas in `@parley/protocol`.
 *
 * `FileTransfers` works on a plain `RTCPeerConnection` and needs no signaling of its own: the
 * channels are negotiated in-band by the connection. After a connection is replaced (an ICE
 * restart that failed, a reconnect), `attach()` the new one: interrupted transfers resume.
 */
import {
  decodeFileSenderMessage,
  FILE_CANCEL_CODES,
  type FileCancelCode,
  type FileOfferMessage,
  transferIdFromLabel,
} from '@parley/protocol';
import { TypedEmitter } from '../events.ts';
import { IncomingTransfer } from './file-transfer-incoming.ts';
import { type OutgoingHost, OutgoingTransfer } from './file-transfer-outgoing.ts';
import { blobSource, type FileSource, isFileSource } from './file-transfer-source.ts';
import {
  FileTransferError,
  type FileTransferOptions,
  isFinalState,
  type ResolvedFileTransferOptions,
  resolveFileTransferOptions,
  sendControl,
} from './file-transfer-state.ts';

export { BlockReader, chooseChunkBytes, chunkLengthAt, HashCheckpoints } from './file-transfer-chunks.ts';
export { IncomingTransfer } from './file-transfer-incoming.ts';
export { OutgoingTransfer } from './file-transfer-outgoing.ts';
export { canWrite, type PacedChannel, type Watermarks, waitForDrain } from './file-transfer-pacer.ts';
export { ProgressMeter, type TransferProgress } from './file-transfer-progress.ts';
export { BlobSink, type FileSink } from './file-transfer-sink.ts';
export { blobSource, bytesSource, type FileSource, isFileSource } from './file-transfer-source.ts';
export {
  FILE_TRANSFER_DEFAULTS,
  type FileHash,
  FileTransferError,
  type FileTransferErrorCode,
  type FileTransferOptions,
  isFinalState,
  type TransferEvents,
  type TransferResult,
  type TransferState,
} from './file-transfer-state.ts';

/** Events of a {@link FileTransfers} manager. */
export type FileTransfersEvents = {
  /** The peer offers a file: call `accept()` or `reject()` on it. Re-offers (resumes) are not re-emitted. */
  offer: [IncomingTransfer];
  /** A channel that claimed to be a file transfer sent something invalid; it was cancelled and closed. */
  error: [FileTransferError];
};

/** How many finished incoming transfers are remembered, to answer a late re-offer idempotently. */
const REMEMBERED_FINISHED = 256;

/**
 * Sends and receives files with one peer.
 *
 * @example
 * ```ts
 * const files = new FileTransfers();
 * files.attach(pc);
 * files.on('offer', (incoming) => {
 *   incoming.on('progress', (p) => console.log(p.bytes, '/', p.total));
 *   incoming.finished.then((r) => r.state === 'completed' && save(incoming.blob!, incoming.name));
 *   incoming.accept();
 * });
 * const out = files.send(fileInput.files[0]);
 * const result = await out.finished; // { state: 'completed', sha256 }
 * ```
 */
export class FileTransfers extends TypedEmitter<FileTransfersEvents> {
  readonly #opts: ResolvedFileTransferOptions;
  #pc: RTCPeerConnection | null = null;
  /** The connection of the last attach(), kept through detach() to tell a re-attach from a replacement. */
  #lastPc: RTCPeerConnection | null = null;
  #unbind: (() => void) | null = null;
  #outgoing = new Map<string, OutgoingTransfer>();
  #incoming = new Map<string, IncomingTransfer>();
  /** Finished incoming transfers by id: their outcome, so a re-offer gets the same answer. */
  #finished = new Map<string, { state: string; sha256?: string; code?: FileCancelCode }>();
  #closed = false;
  readonly #host: OutgoingHost;

  constructor(options: FileTransferOptions = {}) {
    super();
    this.#opts = resolveFileTransferOptions(options);
    this.#host = {
      openChannel: (label) =>
        this.#pc && this.#pc.connectionState !== 'closed'
          ? this.#pc.createDataChannel(label, { ordered: true })
          : null,
      maxMessageSize: () => this.#pc?.sctp?.maxMessageSize ?? null,
      connected: () => this.#pc !== null && this.#pc.connectionState === 'connected',
    };
  }

  /** The options in force, defaults applied. */
  get options(): Readonly<ResolvedFileTransferOptions> {
    return this.#opts;
  }

  /** The attached peer connection, if any. */
  get peerConnection(): RTCPeerConnection | null {
    return this.#pc;
  }

  /** Transfers not yet final, both directions. */
  get active(): Array<OutgoingTransfer | IncomingTransfer> {
    return [...this.#outgoing.values(), ...this.#incoming.values()].filter((t) => !isFinalState(t.state));
  }

  /**
   * Starts using `pc`: incoming file channels on it are accepted, new transfers open channels on
   * it, and interrupted outgoing transfers re-offer on it (with `autoResume`). Replaces (and
   * detaches from) any previously attached connection.
   */
  attach(pc: RTCPeerConnection): void {
    if (this.#closed) throw new Error('FileTransfers is closed');
    const replacing = this.#lastPc !== null && this.#lastPc !== pc;
    this.detach();
    // Channels of the old connection are gone (closing a connection locally fires no channel
    // events): interrupt what ran on it; outgoing transfers re-offer once `pc` is connected.
    if (replacing) for (const t of this.active) t.interrupt();
    this.#pc = pc;
    this.#lastPc = pc;
    const onChannel = (ev: RTCDataChannelEvent) => this.#onChannel(ev.channel);
    const onState = () => {
      if (pc.connectionState === 'connected') this.#resumeAll(0);
    };
    pc.addEventListener('datachannel', onChannel);
    pc.addEventListener('connectionstatechange', onState);
    this.#unbind = () => {
      pc.removeEventListener('datachannel', onChannel);
      pc.removeEventListener('connectionstatechange', onState);
    };
    this.#resumeAll(0);
  }

  /** Stops using the attached connection (transfers on it are interrupted when its channels close). */
  detach(): void {
    this.#unbind?.();
    this.#unbind = null;
    this.#pc = null;
  }

  /**
   * Offers a file to the peer. `file` is a `Blob`/`File` (read in slices) or any
   * {@link FileSource}. `id` reuses a transfer id (to resume a transfer started by an earlier
   * sender, e.g. after a page reload); by default a random one is made.
   */
  send(file: Blob | FileSource, options: { id?: string; name?: string } = {}): OutgoingTransfer {
    if (this.#closed) throw new Error('FileTransfers is closed');
    const source = isFileSource(file) ? file : blobSource(file, options.name);
    const id = options.id ?? randomTransferId();
    const existing = this.#outgoing.get(id);
    if (existing && !isFinalState(existing.state)) throw new Error(`transfer ${id} is already active`);
    const transfer = new OutgoingTransfer(id, source, this.#host, this.#opts);
    this.#outgoing.set(id, transfer);
    void transfer.finished.then(() => {
      if (this.#outgoing.get(id) === transfer) this.#outgoing.delete(id);
    });
    return transfer;
  }

  /** Cancels every active transfer and detaches. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.active) t.cancel('closed');
    this.detach();
  }

  #resumeAll(delayMs: number): void {
    for (const t of this.#outgoing.values()) if (t.state === 'interrupted') t.scheduleResume(delayMs);
  }

  #onChannel(channel: RTCDataChannel): void {
    const id = transferIdFromLabel(channel.label);
    if (id === null) return; // not a file channel: someone else's
    channel.binaryType = 'arraybuffer';
    const onFirst = (ev: MessageEvent) => {
      channel.removeEventListener('message', onFirst);
      const r = typeof ev.data === 'string' ? decodeFileSenderMessage(ev.data) : null;
      if (!r?.ok || r.msg.type !== 'file.offer' || r.msg.id !== id) {
        const why = !r
          ? 'binary data before file.offer'
          : !r.ok
            ? `${r.code}: ${r.message}`
            : 'expected file.offer';
        sendControl(channel, { type: 'file.cancel', id, code: 'BAD_MESSAGE', reason: why.slice(0, 200) });
        channel.close();
        this.emit('error', new FileTransferError('BAD_MESSAGE', `transfer ${id}: ${why}`, { remote: true }));
        return;
      }
      this.#onOffer(channel, r.msg);
    };
    channel.addEventListener('message', onFirst);
  }

  #onOffer(channel: RTCDataChannel, offer: FileOfferMessage): void {
    const done = this.#finished.get(offer.id);
    if (done) {
      // A re-offer of something already settled (its answer was lost with the channel): repeat it.
      if (done.state === 'completed' && done.sha256) {
        sendControl(channel, { type: 'file.received', id: offer.id, sha256: done.sha256 });
      } else if (done.state === 'rejected') {
        sendControl(channel, { type: 'file.reject', id: offer.id });
        channel.close();
      } else {
        sendControl(channel, {
          type: 'file.cancel',
          id: offer.id,
          code: done.code ?? 'CANCELLED',
          reason: `transfer ${done.state}`,
        });
        channel.close();
      }
      return;
    }
    const existing = this.#incoming.get(offer.id);
    if (existing) {
      existing.bind(channel, offer);
      return;
    }
    const transfer = new IncomingTransfer(offer, this.#opts);
    this.#incoming.set(offer.id, transfer);
    void transfer.finished.then((result) => {
      this.#incoming.delete(offer.id);
      const code = result.error && isCancelCode(result.error.code) ? result.error.code : undefined;
      this.#finished.set(offer.id, {
        state: result.state,
        ...(result.sha256 ? { sha256: result.sha256 } : {}),
        ...(code ? { code } : {}),
      });
      if (this.#finished.size > REMEMBERED_FINISHED) {
        const oldest = this.#finished.keys().next().value;
        if (oldest !== undefined) this.#finished.delete(oldest);
      }
    });
    transfer.bind(channel, offer);
    this.emit('offer', transfer);
  }
}

function isCancelCode(code: string): code is FileCancelCode {
  return (FILE_CANCEL_CODES as readonly string[]).includes(code);
}

/** 128 random bits as 32 hex digits (valid in browsers without a secure context, and in Node). */
export function randomTransferId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
