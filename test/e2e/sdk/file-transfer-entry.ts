/**
 * Browser entry for the data-channel e2e tests (file transfer, chat, stats): exposes the SDK
 * feature classes and a small harness on `window.h`. Each page holds one side; Node moves the
 * session descriptions between pages (non-trickle: descriptions carry every candidate).
 */
import { ChatChannel, ChatRoom } from '../../../packages/client/src/features/chat.ts';
import {
  type FileSink,
  type FileTransferOptions,
  FileTransfers,
  type IncomingTransfer,
  type OutgoingTransfer,
} from '../../../packages/client/src/features/file-transfer.ts';
import { Sha256 } from '../../../packages/client/src/features/sha256.ts';
import { StatsMonitor, type StatsSummary } from '../../../packages/client/src/features/stats.ts';
import { BLOCK_BYTES, fileParts, makeBlock } from './file-transfer-data.ts';

/** What the page remembers about one transfer, for the test to read. */
export interface TransferRecord {
  id: string;
  direction: 'send' | 'receive';
  states: string[];
  /** Bytes of every progress event, in order. */
  progress: number[];
  lastRate: number;
  lastEta: number | null;
  result: { state: string; sha256?: string; code?: string } | null;
  sha256: string | null;
  blobSize: number | null;
  /** Receiver: bytes kept each time the transfer was interrupted. */
  keptAtInterrupt: number[];
  /** Date.now() when the record was made (sender: just before send) and when it settled. */
  startAt: number;
  endAt: number;
}

type Decision = 'accept' | 'reject' | 'hold';

class Harness {
  pc: RTCPeerConnection | null = null;
  chat: ChatChannel | null = null;
  files: FileTransfers | null = null;
  records: Record<string, TransferRecord> = {};
  outgoing = new Map<string, OutgoingTransfer>();
  incoming = new Map<string, IncomingTransfer>();
  /** Channels the peer opened on the current connection, by label. */
  remoteChannels: RTCDataChannel[] = [];
  decision: Decision = 'accept';
  /**
   * Accept into a sink that hashes and counts what it is given instead of a Blob (for the 200 MiB
   * test: holding two 200 MiB Blobs in one browser made Chromium's blob store fail reads).
   */
  hashingSink = false;
  /** SHA-256 (hex) and byte count of what each hashing sink was given, by transfer id. */
  readonly sinkResults = new Map<string, { sha256: string; bytes: number }>();
  /** Chat texts received, in order. */
  chatTexts: string[] = [];
  chatErrors: string[] = [];
  mediaStates: Array<{ audio: boolean; video: boolean }> = [];
  heap: number[] = [];
  #heapTimer: ReturnType<typeof setInterval> | undefined;
  stats: StatsSummary[] = [];
  monitor: StatsMonitor | null = null;

  /** With `rawChat`, a bare negotiated channel stands in for ChatChannel (to send hostile input). */
  rawChat: RTCDataChannel | null = null;

  /**
   * A fresh peer connection with chat and (the same, long-lived) file manager attached.
   * `rawChat`: open the chat channel's stream as a bare RTCDataChannel instead of a ChatChannel.
   */
  newConnection(options: FileTransferOptions = {}, rawChat = false): void {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.remoteChannels = [];
    pc.addEventListener('datachannel', (ev) => this.remoteChannels.push(ev.channel));
    if (rawChat) {
      this.chat = null;
      this.rawChat = pc.createDataChannel('parley-chat', { negotiated: true, id: 0 });
    } else {
      this.rawChat = null;
      this.chat = new ChatChannel(pc);
      this.chat.on('chat', (m) => this.chatTexts.push(m.text));
      this.chat.on('media-state', (m) => this.mediaStates.push({ audio: m.audio, video: m.video }));
      this.chat.on('error', (e) => this.chatErrors.push(e.code));
    }
    if (!this.files) {
      this.files = new FileTransfers(options);
      this.files.on('offer', (t) => this.#onOffer(t));
    }
    this.files.attach(pc);
  }

  /** True once the chat stream (ChatChannel or raw) is open. */
  chatOpen(): boolean {
    return this.chat?.state === 'open' || this.rawChat?.readyState === 'open';
  }

  async addCamera(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    for (const track of stream.getTracks()) this.pc!.addTrack(track, stream);
  }

  async offer(): Promise<string> {
    await this.pc!.setLocalDescription();
    await this.#gathered();
    return JSON.stringify(this.pc!.localDescription);
  }

  async answer(offer: string): Promise<string> {
    await this.pc!.setRemoteDescription(JSON.parse(offer));
    await this.pc!.setLocalDescription();
    await this.#gathered();
    return JSON.stringify(this.pc!.localDescription);
  }

  async accept(answer: string): Promise<void> {
    await this.pc!.setRemoteDescription(JSON.parse(answer));
  }

  /** Closes the current connection (the far side sees its channels close). */
  closeConnection(): void {
    this.pc?.close();
  }

  /** Closes the channel the peer opened for transfer `id` (a cut mid-transfer). */
  cutChannel(id: string): boolean {
    const ch = this.remoteChannels.find((c) => c.label === `parley-file/${id}` && c.readyState === 'open');
    ch?.close();
    return ch !== undefined;
  }

  /** Sends a generated file of `size` bytes; returns the transfer id. */
  /**
   * Sends `size` generated bytes from a streaming source (no Blob): each read is cut from the
   * same 1 MiB block, so the page never holds the file.
   */
  sendStreamed(size: number, seed: number, name = `file-${seed}.bin`): string {
    const block = makeBlock(seed);
    const source = {
      name,
      size,
      type: 'application/octet-stream',
      async read(offset: number, length: number): Promise<Uint8Array> {
        const out = new Uint8Array(Math.min(length, size - offset));
        for (let done = 0; done < out.length; ) {
          const at = (offset + done) % BLOCK_BYTES;
          const n = Math.min(BLOCK_BYTES - at, out.length - done);
          out.set(block.subarray(at, at + n), done);
          done += n;
        }
        return out;
      },
    };
    const t = this.files!.send(source);
    this.outgoing.set(t.id, t);
    this.#track(t, 'send');
    return t.id;
  }

  sendGenerated(size: number, seed: number, name = `file-${seed}.bin`): string {
    const file = new File(fileParts(size, seed), name, { type: 'application/octet-stream' });
    const t = this.files!.send(file);
    this.outgoing.set(t.id, t);
    this.#track(t, 'send');
    return t.id;
  }

  /** Samples `performance.memory.usedJSHeapSize` every 50 ms until `stopHeap()`. */
  startHeap(): void {
    const pm = (performance as unknown as { memory: { usedJSHeapSize: number } }).memory;
    this.heap = [pm.usedJSHeapSize];
    this.#heapTimer = setInterval(() => this.heap.push(pm.usedJSHeapSize), 50);
  }

  stopHeap(): number[] {
    clearInterval(this.#heapTimer);
    return this.heap;
  }

  /** SHA-256 of a received file, recomputed from the Blob the sink produced. */
  async hashReceived(id: string): Promise<string | null> {
    const blob = this.incoming.get(id)?.blob;
    if (!blob) return null;
    const h = new Sha256();
    for (let off = 0; off < blob.size; off += 4 << 20) {
      // Chromium may fail one slice read of a large blob transiently (NotReadableError while its
      // blob store pages data); retry it as the SDK's sender does.
      for (let attempt = 0; ; attempt++) {
        try {
          h.update(new Uint8Array(await blob.slice(off, off + (4 << 20)).arrayBuffer()));
          break;
        } catch (error) {
          if (attempt >= 2) throw error;
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
        }
      }
    }
    return h.hex();
  }

  startStats(intervalMs: number): void {
    this.monitor = new StatsMonitor(this.pc!, { intervalMs });
    this.monitor.on('stats', (s) => this.stats.push(s));
    this.monitor.start();
  }

  /** Raw baseline: receiver side. Counts bytes on `raw-*` channels; records Date.now() at "end". */
  rawReceived = { bytes: 0, endAt: 0 };
  listenRaw(): void {
    this.pc!.addEventListener('datachannel', (ev) => {
      if (!ev.channel.label.startsWith('raw-')) return;
      ev.channel.binaryType = 'arraybuffer';
      ev.channel.addEventListener('message', (m) => {
        if (typeof m.data === 'string') this.rawReceived.endAt = Date.now();
        else this.rawReceived.bytes += (m.data as ArrayBuffer).byteLength;
      });
    });
  }

  /**
   * Raw baseline: sender side. One channel, `messageBytes` messages, the same two watermarks
   * (event plus 10 ms polling) as file transfer, no protocol, no reading, no hashing.
   * Resolves with Date.now() at the start.
   */
  async rawSend(totalBytes: number, messageBytes: number, high: number, low: number): Promise<number> {
    const ch = this.pc!.createDataChannel(`raw-${Math.random().toString(36).slice(2)}`, { ordered: true });
    await new Promise<void>((resolve) => ch.addEventListener('open', () => resolve(), { once: true }));
    ch.bufferedAmountLowThreshold = low;
    const msg = new Uint8Array(messageBytes);
    const startedAt = Date.now();
    for (let sent = 0; sent < totalBytes; ) {
      if (ch.bufferedAmount >= high) {
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (ch.bufferedAmount <= low) {
              clearInterval(timer);
              resolve();
            }
          }, 10);
          ch.addEventListener(
            'bufferedamountlow',
            () => {
              clearInterval(timer);
              resolve();
            },
            { once: true },
          );
        });
        continue;
      }
      ch.send(msg);
      sent += messageBytes;
    }
    ch.send('end');
    return startedAt;
  }

  #onOffer(t: IncomingTransfer): void {
    this.incoming.set(t.id, t);
    this.#track(t, 'receive');
    if (this.decision === 'accept' && this.hashingSink) t.accept(this.#hashingSink(t.id));
    else if (this.decision === 'accept') t.accept();
    else if (this.decision === 'reject') t.reject('no thanks');
  }

  #hashingSink(id: string): FileSink {
    const hash = new Sha256();
    let bytes = 0;
    return {
      write: (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      },
      finish: () => {
        this.sinkResults.set(id, { sha256: hash.hex(), bytes });
      },
    };
  }

  #track(t: OutgoingTransfer | IncomingTransfer, direction: 'send' | 'receive'): void {
    const rec: TransferRecord = {
      id: t.id,
      direction,
      states: [t.state],
      progress: [],
      lastRate: 0,
      lastEta: null,
      result: null,
      sha256: null,
      blobSize: null,
      keptAtInterrupt: [],
      startAt: Date.now(),
      endAt: 0,
    };
    this.records[`${direction}:${t.id}`] = rec;
    t.on('state', (s) => {
      rec.states.push(s);
      if (s === 'interrupted' && 'keptBytes' in t) rec.keptAtInterrupt.push(t.keptBytes);
    });
    t.on('progress', (p) => {
      rec.progress.push(p.bytes);
      rec.lastRate = p.rateBytesPerSec;
      rec.lastEta = p.etaMs;
    });
    void t.finished.then((r) => {
      rec.endAt = Date.now();
      rec.result = {
        state: r.state,
        ...(r.sha256 ? { sha256: r.sha256 } : {}),
        ...(r.error ? { code: r.error.code } : {}),
      };
      rec.sha256 = t.sha256;
      rec.blobSize = 'blob' in t ? (t.blob?.size ?? null) : null;
    });
  }

  async #gathered(): Promise<void> {
    const pc = this.pc!;
    const deadline = Date.now() + 5000;
    while (pc.iceGatheringState !== 'complete' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

declare global {
  interface Window {
    h: Harness;
  }
}

window.h = new Harness();
(window as unknown as Record<string, unknown>).parley = {
  ChatChannel,
  ChatRoom,
  FileTransfers,
  Sha256,
  StatsMonitor,
};

export type { FileSink, Harness };
