/**
 * An in-memory stand-in for a connected RTCPeerConnection pair, with just what the data-channel
 * features use: in-band and negotiated data channels, ordered asynchronous delivery,
 * `bufferedAmount` with `bufferedamountlow`, and a hook to tamper with messages in flight.
 * It tests our protocol logic only; real channels are proven in Chromium (test/e2e/sdk).
 */

type Payload = string | ArrayBuffer;

export class FakeDataChannel extends EventTarget {
  readonly label: string;
  readonly id: number | null;
  readyState: RTCDataChannelState = 'connecting';
  binaryType: BinaryType = 'arraybuffer';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  peer: FakeDataChannel | null = null;
  /** Rewrites (or drops, returning null) each message this end sends. */
  tamper: ((data: Payload) => Payload | null) | null = null;
  #queue: Payload[] = [];
  #scheduled = false;

  constructor(label: string, id: number | null) {
    super();
    this.label = label;
    this.id = id;
  }

  send(data: string | ArrayBufferView | ArrayBuffer): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: channel not open');
    let payload: Payload;
    if (typeof data === 'string') payload = data;
    else if (data instanceof ArrayBuffer) payload = data.slice(0);
    else payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    this.bufferedAmount += typeof payload === 'string' ? payload.length : payload.byteLength;
    this.#queue.push(payload);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0, 64);
    for (const msg of batch) {
      if (this.readyState !== 'open' && this.readyState !== 'closing') return;
      const before = this.bufferedAmount;
      this.bufferedAmount -= typeof msg === 'string' ? msg.length : msg.byteLength;
      const out = this.tamper ? this.tamper(msg) : msg;
      const peer = this.peer;
      if (out !== null && peer && peer.readyState === 'open') {
        peer.dispatchEvent(new MessageEvent('message', { data: out }));
      }
      if (
        before > this.bufferedAmountLowThreshold &&
        this.bufferedAmount <= this.bufferedAmountLowThreshold
      ) {
        this.dispatchEvent(new Event('bufferedamountlow'));
      }
    }
    if (this.#queue.length === 0 && this.readyState === 'closing') this.#closeBoth();
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Opens both ends (as the SCTP stream coming up). */
  open(): void {
    for (const end of [this, this.peer!]) {
      if (end.readyState !== 'connecting') continue;
      end.readyState = 'open';
      end.dispatchEvent(new Event('open'));
    }
  }

  /**
   * Closes the channel like Chromium does: messages already queued are delivered first, then both
   * ends close and fire `close`.
   */
  close(): void {
    if (this.readyState === 'closed' || this.readyState === 'closing') return;
    this.readyState = 'closing';
    if (this.#queue.length === 0) this.#closeBoth();
  }

  #closeBoth(): void {
    for (const end of [this, this.peer]) {
      if (!end || end.readyState === 'closed') continue;
      end.readyState = 'closed';
      end.#queue = [];
      end.bufferedAmount = 0;
      setImmediate(() => end.dispatchEvent(new Event('close')));
    }
  }
}

export class FakePeerConnection extends EventTarget {
  connectionState: RTCPeerConnectionState = 'connected';
  sctp = { maxMessageSize: 262144 };
  peer: FakePeerConnection | null = null;
  channels: FakeDataChannel[] = [];
  #negotiated = new Map<number, FakeDataChannel>();

  createDataChannel(label: string, init: RTCDataChannelInit = {}): FakeDataChannel {
    if (this.connectionState === 'closed') throw new Error('InvalidStateError: closed');
    const local = new FakeDataChannel(label, init.id ?? null);
    this.channels.push(local);
    const peer = this.peer!;
    if (init.negotiated) {
      this.#negotiated.set(init.id!, local);
      const remote = peer.#negotiated.get(init.id!);
      if (remote) {
        local.peer = remote;
        remote.peer = local;
        setImmediate(() => local.open());
      }
      return local;
    }
    const remote = new FakeDataChannel(label, null);
    local.peer = remote;
    remote.peer = local;
    peer.channels.push(remote);
    setImmediate(() => {
      peer.dispatchEvent(Object.assign(new Event('datachannel'), { channel: remote }));
      local.open();
    });
    return local;
  }

  /** Closes this connection: its channels close (the far ends fire `close`). */
  close(): void {
    this.connectionState = 'closed';
    for (const ch of this.channels) ch.close();
  }

  getStats(): Promise<ReadonlyMap<string, unknown>> {
    return Promise.resolve(new Map());
  }
}

/** A connected pair, typed as the real thing for the code under test. */
export function fakePair(): {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  fa: FakePeerConnection;
  fb: FakePeerConnection;
} {
  const fa = new FakePeerConnection();
  const fb = new FakePeerConnection();
  fa.peer = fb;
  fb.peer = fa;
  return { a: fa as unknown as RTCPeerConnection, b: fb as unknown as RTCPeerConnection, fa, fb };
}

/** Polls `cond` every 5 ms until true, or throws after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
