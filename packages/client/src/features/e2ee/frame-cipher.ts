/**
 * End-to-end encryption of encoded media frames (the part that runs on every frame, in the
 * E2EE worker; pure WebCrypto, so unit tests drive it in Node too).
 *
 * Frame layout after encryption:
 *
 *     [clear header][AES-GCM ciphertext + 16-byte tag][IV: 12 bytes][key id: 1 byte][0xE2]
 *
 * - The clear header is what a forwarding SFU and the depacketizer need: VP8 keeps its first 10
 *   bytes on keyframes (frame tag, start code, dimensions: Janus decides keyframes from exactly
 *   these) and 3 on delta frames; Opus keeps its TOC byte. The header is authenticated as
 *   AES-GCM additional data, so a tampered header fails like a tampered payload.
 * - The IV is the sender stream's SSRC (4 bytes) then a 64-bit counter shared by every stream
 *   the worker encrypts under one key: the counter alone never repeats under a key, and the SSRC
 *   keeps simulcast layers and senders apart even if a counter were ever reset. The IV travels
 *   in the trailer because an SFU rewrites SSRCs on the way.
 * - The key id is the key epoch modulo 256 (see key-schedule.ts), so a receiver keeps a few
 *   epochs and picks the right one while a rekey spreads.
 *
 * May import nothing but the platform (WebCrypto).
 */

/** Last byte of every encrypted frame: tells "encrypted by Parley" from a clear frame. */
export const FRAME_MAGIC = 0xe2;
/** IV bytes in the trailer. */
export const IV_BYTES = 12;
/** Trailer: IV, key id, magic. */
export const TRAILER_BYTES = IV_BYTES + 2;
/** AES-GCM authentication tag. */
export const TAG_BYTES = 16;

/** Which media a frame carries, as far as the clear header is concerned. */
export type FrameKind = 'audio' | 'video';

/**
 * How many leading bytes stay in clear: VP8 keyframe 10, VP8 delta 3, Opus 1 (its TOC byte).
 * Parley negotiates VP8 for video (interop settled on it: Firefox here has no H264), and the
 * same counts are safe for VP9/AV1 (they only leave a little more in clear).
 */
export function clearBytes(kind: FrameKind, frameType: string | undefined): number {
  if (kind === 'audio') return 1;
  return frameType === 'key' ? 10 : 3;
}

/** Why a frame could not be decrypted. */
export type DecryptFailure = 'not-encrypted' | 'unknown-key' | 'auth-failed';

/** The result of {@link decryptFrame}. */
export type DecryptResult = { ok: true; data: ArrayBuffer } | { ok: false; reason: DecryptFailure };

/** Writes a 12-byte IV: SSRC (big-endian u32) then counter (big-endian u64). */
export function makeIv(ssrc: number, counter: bigint): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(IV_BYTES);
  writeIv(iv, ssrc, Number(counter >> 32n), Number(counter & 0xffffffffn));
  return iv;
}

/**
 * Writes the IV of {@link makeIv} into `iv` from the counter's high and low 32 bits: the
 * worker's per-frame path, with no BigInt and no allocation (WebCrypto copies the IV when the
 * call is made, so one buffer serves every frame).
 */
export function writeIv(iv: Uint8Array, ssrc: number, high: number, low: number): void {
  const s = ssrc >>> 0;
  iv[0] = s >>> 24;
  iv[1] = (s >>> 16) & 0xff;
  iv[2] = (s >>> 8) & 0xff;
  iv[3] = s & 0xff;
  iv[4] = high >>> 24;
  iv[5] = (high >>> 16) & 0xff;
  iv[6] = (high >>> 8) & 0xff;
  iv[7] = high & 0xff;
  iv[8] = low >>> 24;
  iv[9] = (low >>> 16) & 0xff;
  iv[10] = (low >>> 8) & 0xff;
  iv[11] = low & 0xff;
}

/**
 * Encrypts one frame. `data` is the encoded frame as the browser gives it; returns the new
 * frame (clear header, ciphertext, trailer).
 */
export async function encryptFrame(
  key: CryptoKey,
  keyId: number,
  iv: Uint8Array<ArrayBuffer>,
  data: ArrayBuffer,
  clear: number,
): Promise<ArrayBuffer> {
  const bytes = new Uint8Array(data);
  const head = Math.min(clear, bytes.length);
  const header = bytes.subarray(0, head);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: header, tagLength: TAG_BYTES * 8 },
      key,
      bytes.subarray(head),
    ),
  );
  const out = new Uint8Array(head + sealed.length + TRAILER_BYTES);
  out.set(header, 0);
  out.set(sealed, head);
  out.set(iv, head + sealed.length);
  out[out.length - 2] = keyId & 0xff;
  out[out.length - 1] = FRAME_MAGIC;
  return out.buffer;
}

/** The key id of an encrypted frame, or undefined when the frame is not one of ours. */
export function frameKeyId(data: ArrayBuffer, clear: number): number | undefined {
  const bytes = new Uint8Array(data);
  if (bytes.length < clear + TAG_BYTES + TRAILER_BYTES || bytes[bytes.length - 1] !== FRAME_MAGIC)
    return undefined;
  return bytes[bytes.length - 2];
}

/**
 * Decrypts one frame with the key `keyFor(keyId)` names (undefined: no such key). Never throws:
 * a failure says why, and the caller drops the frame (a decoder fed ciphertext shows garbage or
 * nothing; dropping it lets the app show "cannot decrypt" instead).
 */
export async function decryptFrame(
  keyFor: (keyId: number) => CryptoKey | Promise<CryptoKey | undefined> | undefined,
  data: ArrayBuffer,
  clear: number,
): Promise<DecryptResult> {
  const keyId = frameKeyId(data, clear);
  if (keyId === undefined) return { ok: false, reason: 'not-encrypted' };
  const found = keyFor(keyId);
  // The worker hands a key it already holds synchronously: no extra await per frame.
  const key = found instanceof Promise ? await found : found;
  if (!key) return { ok: false, reason: 'unknown-key' };
  const bytes = new Uint8Array(data);
  const ivAt = bytes.length - TRAILER_BYTES;
  // WebCrypto copies its inputs when called, so views into the frame are enough.
  const iv = bytes.subarray(ivAt, ivAt + IV_BYTES);
  const header = bytes.subarray(0, clear);
  try {
    const plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: header, tagLength: TAG_BYTES * 8 },
        key,
        bytes.subarray(clear, ivAt),
      ),
    );
    const out = new Uint8Array(clear + plain.length);
    out.set(header, 0);
    out.set(plain, clear);
    return { ok: true, data: out.buffer };
  } catch {
    return { ok: false, reason: 'auth-failed' };
  }
}
