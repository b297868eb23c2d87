/**
 * {@link E2eeSession}: end-to-end encryption of one room's or call's media, on the page side.
 * It owns the E2EE worker (frame-worker.ts), puts an encoded transform on every RTP sender
 * (encrypt, our key) and receiver (decrypt, the sending member's key) of the connections it is
 * given, keeps the key epochs (key-schedule.ts), seals and opens rekey envelopes, and tells the
 * app what it can show: the safety code of the current epoch and, per member, whether their
 * frames decrypt.
 *
 * Encoded transforms: `RTCRtpScriptTransform` where the browser has it (Firefox 117+, Safari,
 * Chromium 141+), else Chromium's `createEncodedStreams()`, which only works on a connection
 * created with `encodedInsertableStreams: true` (see {@link e2eeRtcConfiguration}).
 *
 * May import the e2ee modules beside it, events.ts, errors.ts and @parley/protocol.
 */
import type { E2eeEnvelope } from '@parley/protocol';
import { InvalidStateError } from '../../errors.ts';
import { TypedEmitter } from '../../events.ts';
import type { RTCPeerConnectionConstructor } from '../../peer/peer-session.ts';
import { fromBase64, toBase64 } from './base64.ts';
import { CallAgreement } from './call-agreement.ts';
import {
  type EpochMaterial,
  firstEpoch,
  freshBytes,
  nextEpoch,
  relayKey,
  safetyCode,
} from './key-schedule.ts';
import { RoomKeys, type RoomKeysOptions } from './room-keys.ts';
import type { FromWorker, ReceiveState, ToWorker, TransformOptions } from './worker-messages.ts';

/** How the app gives the SDK its E2EE worker: a URL of the built worker script, or a factory. */
export type E2eeWorkerSource = string | URL | (() => Worker);

/** The `e2ee` option of `join()` and `call()`. */
export interface E2eeOptions {
  /**
   * The secret every participant holds (e.g. from the room link's `#e2ee=` fragment). Never
   * sent. Give either `secret` or `agree`.
   */
  secret?: string;
  /**
   * 1:1 calls only: agree on the secret with the other party (ephemeral ECDH, see
   * call-agreement.ts) instead of sharing one; the safety code then tells a server that swapped
   * the keys. `call()` asks the callee for it; `accept()` answers an invite that asked.
   */
  agree?: boolean;
  /**
   * The worker that encrypts frames: the web app passes its bundled worker; script-tag pages
   * `'/sdk/parley-e2ee-worker.js'` (served beside `/sdk/parley.js`).
   */
  worker: E2eeWorkerSource;
}

/** What `join(…, { e2ee })` takes: made by {@link e2ee}; the SDK calls `create` once it knows who and where. */
export interface E2eeSetup {
  create(self: string, scope: string): Promise<E2eeSession>;
  /**
   * Set when the secret is agreed in the call (`e2ee({ agree: true })`), not given: draws this
   * party's key pair (kept behind the e2ee entry point so the main SDK carries no crypto).
   */
  readonly agree?: () => Promise<CallAgreement>;
}

/**
 * The `e2ee` option of `join()`: checks this browser can do it (throws `InvalidStateError` with
 * the reason otherwise) and returns what `join` starts once it knows our name and the room.
 */
export function e2ee(options: E2eeOptions): E2eeSetup {
  const why = e2eeUnsupportedReason();
  if (why) throw new InvalidStateError(`end-to-end encryption unavailable: ${why}`);
  if ((options.secret === undefined) === !options.agree)
    throw new TypeError('e2ee: give either a secret or agree: true');
  return {
    ...(options.agree ? { agree: () => CallAgreement.create() } : {}),
    async create(self, scope) {
      const session = new E2eeSession({ ...options, self, scope });
      await session.start();
      return session;
    },
  };
}

/** Whether a member's frames reach us decrypted: `waiting` until the first frame. */
export type MemberKeyState = 'waiting' | ReceiveState;

/** Events of an {@link E2eeSession}. */
export type E2eeEvents = {
  /** A new key epoch is in use (first at start, then after each rekey), with its safety code. */
  key: [epoch: number, safetyCode: string];
  /** A member's frames started decrypting, or keep failing (wrong or missing key). */
  'member-state': [name: string, state: MemberKeyState, reason?: string];
  /** The worker or a transform failed: encryption is not working. */
  error: [message: string];
};

/** Why this browser cannot do E2EE, or undefined when it can. */
export function e2eeUnsupportedReason(): string | undefined {
  const g = globalThis as {
    RTCRtpScriptTransform?: unknown;
    RTCRtpSender?: { prototype: object };
    Worker?: unknown;
  };
  if (typeof g.Worker !== 'function') return 'this browser has no Web Workers';
  if (typeof crypto === 'undefined' || !crypto.subtle) return 'WebCrypto needs a secure (https) page';
  if (typeof g.RTCRtpScriptTransform === 'function') return undefined;
  if (g.RTCRtpSender && 'createEncodedStreams' in g.RTCRtpSender.prototype) return undefined;
  return 'this browser cannot transform encoded media frames (no RTCRtpScriptTransform nor encoded streams)';
}

/** Extra RTCPeerConnection configuration E2EE needs in this browser (Chromium's encoded streams). */
export function e2eeRtcConfiguration(): Record<string, unknown> {
  return typeof (globalThis as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform === 'function'
    ? {}
    : { encodedInsertableStreams: true };
}

let nextTransformId = 0;

/** After a rekey, how long we keep sending with the old key while the others open the envelope. */
const SWITCH_AFTER_MS = 400;

/**
 * E2EE of one conversation. Create it, `await start()`, then `attach(pc, remote)` every peer
 * connection (mesh) or the SFU's publisher and subscriber.
 */
export class E2eeSession extends TypedEmitter<E2eeEvents> {
  readonly #worker: Worker;
  readonly #self: string;
  readonly #scope: string;
  #secret: string | undefined;
  readonly #epochs = new Map<number, EpochMaterial>();
  #epoch = 0;
  #code = '';
  readonly #done = new WeakSet<RTCRtpSender | RTCRtpReceiver>();
  readonly #members = new Map<string, MemberKeyState>();
  readonly #transforms = new Map<number, string>();
  #closed = false;
  #switchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: E2eeOptions & { self: string; scope: string }) {
    super();
    const why = e2eeUnsupportedReason();
    if (why) throw new InvalidStateError(`end-to-end encryption unavailable: ${why}`);
    this.#self = options.self;
    this.#scope = options.scope;
    this.#secret = options.secret;
    const w = options.worker;
    this.#worker = typeof w === 'function' ? w() : new Worker(w, { type: 'module', name: 'parley-e2ee' });
    this.#worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => this.#onWorker(ev.data));
    this.#worker.addEventListener('error', (ev) =>
      this.emit('error', `e2ee worker: ${ev.message ?? 'failed'}`),
    );
    this.#post({ type: 'self', name: options.self });
  }

  /** Derives epoch 0 from the secret and hands it to the worker (an agreed secret: later). */
  async start(): Promise<void> {
    if (this.#secret !== undefined) await this.#useEpoch(0, await firstEpoch(this.#secret, this.#scope));
  }

  /**
   * The secret agreed in the call (see call-agreement.ts): epoch 0 from it, then the `key`
   * event with the safety code. Once only; until then our frames are not sent and theirs not
   * shown.
   */
  async useSecret(secret: string): Promise<void> {
    if (this.#secret !== undefined) throw new InvalidStateError('the e2ee secret is already set');
    this.#secret = secret;
    await this.start();
  }

  /** Tells the app encryption is not working (e.g. a call's key agreement failed). */
  reportError(message: string): void {
    this.emit('error', message);
  }

  /** Whether the secret is known (given, or agreed): false while a call's agreement runs. */
  get keyed(): boolean {
    return this.#secret !== undefined;
  }

  /** The key epoch we send with. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Four words everyone holding the same key sees: compare them aloud. */
  get safetyCode(): string {
    return this.#code;
  }

  /** Each remote member's decrypt state. */
  get members(): ReadonlyMap<string, MemberKeyState> {
    return this.#members;
  }

  /**
   * Puts transforms on every sender and receiver of `pc` now and as transceivers appear.
   * `remoteOf` names who sends what a receiver gets (a fixed member in mesh; the feed in SFU).
   */
  attach(
    pc: RTCPeerConnection,
    remoteOf: string | ((transceiver: RTCRtpTransceiver) => string | undefined),
  ): void {
    const sweep = (): void => {
      if (this.#closed) return;
      for (const t of pc.getTransceivers()) {
        const kind = t.receiver.track.kind === 'audio' ? 'audio' : 'video';
        this.#transform(t.sender, { op: 'encrypt', kind, sender: this.#self });
        const remote = typeof remoteOf === 'string' ? remoteOf : remoteOf(t);
        if (remote !== undefined) this.#transform(t.receiver, { op: 'decrypt', kind, sender: remote });
      }
    };
    sweep();
    pc.addEventListener('negotiationneeded', sweep);
    pc.addEventListener('signalingstatechange', sweep);
    pc.addEventListener('track', sweep);
  }

  /**
   * An RTCPeerConnection constructor whose connections are {@link attach}ed as they are made
   * (for the SFU's publisher and subscriber, which the SFU session creates itself).
   */
  connections(
    base: RTCPeerConnectionConstructor | undefined,
    remoteOf: (transceiver: RTCRtpTransceiver) => string | undefined,
  ): RTCPeerConnectionConstructor {
    const Base = base ?? globalThis.RTCPeerConnection;
    const config = e2eeRtcConfiguration();
    const session = this;
    return class extends Base {
      constructor(configuration?: RTCConfiguration) {
        super({ ...configuration, ...config });
        session.attach(this, remoteOf);
      }
    };
  }

  /** The rekeying of a room this session encrypts (see room-keys.ts). */
  roomKeys(options: Omit<RoomKeysOptions, 'session'>): RoomKeys {
    return new RoomKeys({ ...options, session: this });
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A member left: forget their state. */
  forget(name: string): void {
    this.#members.delete(name);
  }

  /**
   * Moves to a new epoch from fresh random bytes and returns the envelope to send to the members
   * present (sealed under `sealWith`: the current epoch, or 0 so a member who just joined with the
   * secret can open it).
   */
  async rekey(sealWith: number): Promise<E2eeEnvelope> {
    const seal = this.#epochs.get(sealWith);
    const current = this.#epochs.get(this.#epoch);
    if (!seal || !current) throw new InvalidStateError(`no key epoch ${sealWith}`);
    const epoch = this.#epoch + 1;
    const material = await nextEpoch(current, freshBytes(), epoch);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(`${this.#scope} ${epoch}`) },
        await relayKey(seal),
        material,
      ),
    );
    await this.#useEpoch(epoch, material, SWITCH_AFTER_MS);
    return { e2ee: 'rekey', epoch, sealedWith: sealWith, iv: toBase64(iv), sealed: toBase64(sealed) };
  }

  /**
   * Opens a member's rekey envelope and moves to its epoch. Resolves false (and changes nothing)
   * when it is stale, sealed under an epoch we do not hold, or does not open.
   */
  async accept(envelope: E2eeEnvelope): Promise<boolean> {
    // A member who just joined holds epoch 0 only and takes whatever epoch the room is at.
    if (envelope.epoch <= this.#epoch && this.#epoch !== 0) return false;
    const seal = this.#epochs.get(envelope.sealedWith);
    if (!seal) return false;
    try {
      const iv = fromBase64(envelope.iv);
      const material = new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv,
            additionalData: new TextEncoder().encode(`${this.#scope} ${envelope.epoch}`),
          },
          await relayKey(seal),
          fromBase64(envelope.sealed),
        ),
      );
      if (material.length !== 32 || (envelope.epoch <= this.#epoch && this.#epoch !== 0)) return false;
      await this.#useEpoch(envelope.epoch, material, SWITCH_AFTER_MS);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the worker; transforms die with it (their connections are closing too). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#switchTimer);
    this.#worker.terminate();
  }

  async #useEpoch(epoch: number, material: EpochMaterial, switchAfterMs = 0): Promise<void> {
    this.#epochs.set(epoch, material);
    // Keep epoch 0 (joiners' envelopes are sealed under it) and the last few.
    for (const e of this.#epochs.keys()) if (e !== 0 && e < epoch - 3) this.#epochs.delete(e);
    this.#post({ type: 'epoch', epoch, material });
    // Receivers learn the new key at once but we send with it a moment later, so the members
    // still opening the envelope lose no frame (a lost keyframe would freeze video until the next).
    clearTimeout(this.#switchTimer);
    if (switchAfterMs > 0)
      this.#switchTimer = setTimeout(() => this.#post({ type: 'send-epoch', epoch }), switchAfterMs);
    else this.#post({ type: 'send-epoch', epoch });
    this.#epoch = epoch;
    this.#code = await safetyCode(material);
    if (this.#epoch === epoch) this.emit('key', epoch, this.#code);
  }

  #transform(target: RTCRtpSender | RTCRtpReceiver, o: Omit<TransformOptions, 'id'>): void {
    if (this.#done.has(target)) return;
    this.#done.add(target);
    const options: TransformOptions = { ...o, id: ++nextTransformId };
    if (o.op === 'decrypt') {
      this.#transforms.set(options.id, o.sender);
      if (!this.#members.has(o.sender)) this.#members.set(o.sender, 'waiting');
    }
    const g = globalThis as { RTCRtpScriptTransform?: new (w: Worker, o: unknown) => unknown };
    try {
      if (typeof g.RTCRtpScriptTransform === 'function') {
        (target as { transform?: unknown }).transform = new g.RTCRtpScriptTransform(this.#worker, options);
        return;
      }
      const streams = (
        target as unknown as {
          createEncodedStreams(): { readable: ReadableStream; writable: WritableStream };
        }
      ).createEncodedStreams();
      this.#worker.postMessage({ type: 'streams', ...options, ...streams } satisfies ToWorker, [
        streams.readable as unknown as Transferable,
        streams.writable as unknown as Transferable,
      ]);
    } catch (error) {
      this.emit('error', `cannot attach the e2ee transform: ${String(error)}`);
    }
  }

  #onWorker(msg: FromWorker): void {
    if (msg.type === 'error') {
      this.emit('error', msg.message);
      return;
    }
    if (this.#members.get(msg.sender) === msg.state) return;
    // Audio and video of one member share a state: a failing track makes the member failing.
    this.#members.set(msg.sender, msg.state);
    this.emit('member-state', msg.sender, msg.state, msg.reason);
  }

  #post(msg: ToWorker): void {
    if (!this.#closed) this.#worker.postMessage(msg);
  }
}
