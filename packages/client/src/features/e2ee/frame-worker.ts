/**
 * The E2EE worker: encrypts our encoded frames and decrypts the other members' off the main
 * thread. Built as its own file (the web app emits it with Vite's `?worker`, the script-tag SDK
 * build writes `/sdk/parley-e2ee-worker.js`), because the app's Content-Security-Policy allows
 * scripts from its own origin only (no `blob:` workers).
 *
 * Frames arrive two ways: `rtctransform` events (RTCRtpScriptTransform: Firefox, Safari,
 * Chromium 141+), or readable/writable pairs posted by the page (Chromium's encoded streams,
 * `createEncodedStreams()`). Either way each frame goes through one TransformStream here.
 * A frame that cannot be decrypted is dropped, never passed on as ciphertext, and counted; the
 * page hears when a receiver starts decrypting and when it keeps failing, to show "cannot
 * decrypt" rather than a black tile.
 *
 * May import frame-cipher.ts, key-schedule.ts and worker-messages.ts only.
 */
import { clearBytes, decryptFrame, encryptFrame, type FrameKind, IV_BYTES, writeIv } from './frame-cipher.ts';
import { type EpochMaterial, senderKey } from './key-schedule.ts';
import type { FromWorker, ToWorker, TransformOptions } from './worker-messages.ts';

/** Failures in a row (with no good frame between) before a receiver is reported `failing`. */
const FAILING_AFTER = 10;
/** Epochs kept for receivers while a rekey spreads. */
const KEPT_EPOCHS = 4;

interface WorkerScope {
  postMessage(msg: FromWorker): void;
  addEventListener(type: string, fn: (ev: MessageEvent & { transformer?: RtcTransformer }) => void): void;
}
interface RtcTransformer {
  readable: ReadableStream;
  writable: WritableStream;
  options: TransformOptions;
}
interface EncodedFrame {
  data: ArrayBuffer;
  type?: string;
  getMetadata(): { synchronizationSource?: number };
}

const scope = globalThis as unknown as WorkerScope;
const epochs = new Map<number, EpochMaterial>();
/** Derived sender keys: `${epoch}/${sender}` → key (a promise while deriving). */
const keys = new Map<string, Promise<CryptoKey>>();
/** The same keys once derived, so the per-frame path looks them up without awaiting. */
const ready = new Map<string, CryptoKey>();
let sendEpoch = 0;
/**
 * One 64-bit counter for every frame we encrypt (as two 32-bit halves: no BigInt per frame),
 * from a random start: the IV never repeats under a key, even when the same member reloads and
 * rejoins with the same secret and name (same keys). The start leaves 2^32 frames before the
 * high half could wrap.
 */
let counterHigh = (crypto.getRandomValues(new Uint32Array(1))[0] as number) >>> 2;
let counterLow = 0;
const closed = new Set<number>();

/** The key `sender` uses in `epoch`: the CryptoKey once derived, else the promise of it. */
function keyOf(epoch: number, sender: string): CryptoKey | Promise<CryptoKey> | undefined {
  const material = epochs.get(epoch);
  if (!material) return undefined;
  const id = `${epoch}/${sender}`;
  const done = ready.get(id);
  if (done) return done;
  let key = keys.get(id);
  if (!key) {
    key = senderKey(material, sender);
    keys.set(id, key);
    key.then(
      (k) => {
        if (keys.get(id) === key) ready.set(id, k);
      },
      () => {},
    );
  }
  return key;
}

/** The epoch a key id (epoch mod 256) names, among those kept. */
function epochOfKeyId(keyId: number): number | undefined {
  let best: number | undefined;
  for (const epoch of epochs.keys())
    if ((epoch & 0xff) === keyId && (best === undefined || epoch > best)) best = epoch;
  return best;
}

function onMessage(msg: ToWorker): void {
  switch (msg.type) {
    case 'self':
      selfName = msg.name;
      break;
    case 'epoch': {
      epochs.set(msg.epoch, new Uint8Array(msg.material));
      const sorted = [...epochs.keys()].sort((a, b) => b - a);
      for (const old of sorted.slice(KEPT_EPOCHS)) {
        epochs.delete(old);
        for (const id of keys.keys())
          if (id.startsWith(`${old}/`)) {
            keys.delete(id);
            ready.delete(id);
          }
      }
      break;
    }
    case 'send-epoch':
      sendEpoch = msg.epoch;
      break;
    case 'streams':
      run(msg.readable, msg.writable, msg);
      break;
    case 'close':
      closed.add(msg.id);
      break;
  }
}
let selfName = '';

function run(readable: ReadableStream, writable: WritableStream, options: TransformOptions): void {
  const transform =
    options.op === 'encrypt' ? encrypter(options.kind) : decrypter(options.id, options.kind, options.sender);
  readable
    .pipeThrough(new TransformStream<EncodedFrame, EncodedFrame>({ transform }))
    .pipeTo(writable)
    .catch((error: unknown) => {
      if (!closed.has(options.id))
        scope.postMessage({ type: 'error', message: `transform ended: ${String(error)}` });
    });
}

function encrypter(kind: FrameKind) {
  // One IV buffer per transform: WebCrypto copies it when encrypt() is called, and
  // encryptFrame copies it into the frame's trailer before this transform's next frame.
  const iv = new Uint8Array(IV_BYTES);
  return async (frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>): Promise<void> => {
    if (frame.data.byteLength === 0) return out.enqueue(frame);
    const found = keyOf(sendEpoch, selfName);
    // No key yet (the page sends it before the first transform; be safe): send nothing in clear.
    if (!found) return;
    const key = found instanceof Promise ? await found : found;
    counterLow = (counterLow + 1) >>> 0;
    if (counterLow === 0) counterHigh = (counterHigh + 1) >>> 0;
    writeIv(iv, frame.getMetadata().synchronizationSource ?? 0, counterHigh, counterLow);
    frame.data = await encryptFrame(key, sendEpoch & 0xff, iv, frame.data, clearBytes(kind, frame.type));
    out.enqueue(frame);
  };
}

function decrypter(id: number, kind: FrameKind, sender: string) {
  let decrypted = 0;
  let failed = 0;
  let inARow = 0;
  let state: 'decrypting' | 'failing' | 'new' = 'new';
  const report = (next: 'decrypting' | 'failing', reason?: string): void => {
    if (state === next) return;
    state = next;
    scope.postMessage({
      type: 'receive-state',
      id,
      sender,
      kind,
      state: next,
      decrypted,
      failed,
      ...(reason ? { reason } : {}),
    });
  };
  return async (frame: EncodedFrame, out: TransformStreamDefaultController<EncodedFrame>): Promise<void> => {
    if (frame.data.byteLength === 0) return out.enqueue(frame);
    const result = await decryptFrame(
      (keyId) => {
        const epoch = epochOfKeyId(keyId);
        return epoch === undefined ? undefined : keyOf(epoch, sender);
      },
      frame.data,
      clearBytes(kind, frame.type),
    );
    if (result.ok) {
      decrypted++;
      inARow = 0;
      frame.data = result.data;
      out.enqueue(frame);
      report('decrypting');
      return;
    }
    failed++;
    inARow++;
    if (inARow >= FAILING_AFTER) report('failing', result.reason);
  };
}

scope.addEventListener('message', (ev) => onMessage(ev.data as ToWorker));
scope.addEventListener('rtctransform', (ev) => {
  const t = ev.transformer;
  if (t) run(t.readable, t.writable, t.options);
});
