/**
 * Incremental SHA-256 (FIPS 180-4, section 6.2), written for file transfer.
 *
 * Why our own: Web Crypto's `crypto.subtle.digest` takes the whole message at once, so hashing a
 * 200 MiB file with it means holding the file in memory. File transfer hashes slice by slice as
 * it reads and receives, and snapshots the state at chunk boundaries so an interrupted transfer can
 * resume without rereading what was already hashed ({@link Sha256.clone}).
 *
 * Speed matters (it runs on both ends of every transfer): the message schedule and the working
 * state live in one preallocated `Int32Array`, words are assembled from bytes with shifts (no
 * DataView, no per-block allocation), and the compression loop is unrolled only as far as V8
 * benefits. All arithmetic is on int32 (`| 0`), which is exactly modulo 2^32.
 */

/** Round constants K (FIPS 180-4, 4.2.2): the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** Initial hash value H(0) (FIPS 180-4, 5.3.3). */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/**
 * Processes as many whole 64-byte blocks of `data` as fit from `pos`, updating `h` in place.
 * `w` is the 64-word message schedule scratch. Returns the position after the last block.
 */
function compress(h: Int32Array, w: Int32Array, data: Uint8Array, pos: number, end: number): number {
  let h0 = h[0]!;
  let h1 = h[1]!;
  let h2 = h[2]!;
  let h3 = h[3]!;
  let h4 = h[4]!;
  let h5 = h[5]!;
  let h6 = h[6]!;
  let h7 = h[7]!;
  while (end - pos >= 64) {
    for (let i = 0; i < 16; i++, pos += 4) {
      w[i] = (data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      // σ0 and σ1 (FIPS 180-4, 4.1.2, equations 4.6 and 4.7).
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let hh = h7;
    for (let i = 0; i < 64; i++) {
      // Σ1(e), Ch(e,f,g), Σ0(a), Maj(a,b,c) (equations 4.2–4.5).
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + hh) | 0;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
  h[5] = h5;
  h[6] = h6;
  h[7] = h7;
  return pos;
}

/**
 * An incremental SHA-256 hash. Feed bytes with {@link Sha256.update} in any slicing; the digest is
 * the same as hashing the concatenation at once.
 *
 * @example
 * ```ts
 * const h = new Sha256();
 * h.update(firstSlice).update(secondSlice);
 * const hex = h.hex(); // 64 lowercase hex digits
 * ```
 */
export class Sha256 {
  /** Working hash value H(i), then 64 words of message schedule. */
  #h = new Int32Array(8);
  #w = new Int32Array(64);
  /** Bytes of an incomplete block waiting for more input. */
  #buf = new Uint8Array(64);
  #bufLen = 0;
  /** Total bytes hashed so far (a double is exact up to 2^53, far beyond any file we send). */
  #length = 0;
  #finished = false;

  constructor() {
    this.#h.set(H0);
  }

  /** Bytes fed so far. */
  get length(): number {
    return this.#length;
  }

  /** Adds bytes to the message. Returns `this` for chaining. Throws after {@link digest}. */
  update(data: Uint8Array): this {
    if (this.#finished) throw new Error('Sha256: update() after digest()');
    const len = data.length;
    this.#length += len;
    let pos = 0;
    if (this.#bufLen > 0) {
      const take = Math.min(64 - this.#bufLen, len);
      this.#buf.set(data.subarray(0, take), this.#bufLen);
      this.#bufLen += take;
      pos = take;
      if (this.#bufLen < 64) return this;
      compress(this.#h, this.#w, this.#buf, 0, 64);
      this.#bufLen = 0;
    }
    pos = compress(this.#h, this.#w, data, pos, len);
    if (pos < len) {
      this.#buf.set(data.subarray(pos), 0);
      this.#bufLen = len - pos;
    }
    return this;
  }

  /**
   * Finishes the hash (padding per FIPS 180-4, 5.1.1) and returns the 32-byte digest.
   * The object cannot be updated afterwards; {@link clone} first to keep hashing.
   */
  digest(): Uint8Array {
    if (this.#finished) throw new Error('Sha256: digest() called twice');
    this.#finished = true;
    const bitsHi = Math.floor(this.#length / 0x20000000); // length * 8 / 2^32
    const bitsLo = (this.#length * 8) >>> 0;
    const buf = this.#buf;
    let n = this.#bufLen;
    buf[n++] = 0x80;
    if (n > 56) {
      buf.fill(0, n, 64);
      compress(this.#h, this.#w, buf, 0, 64);
      n = 0;
    }
    buf.fill(0, n, 56);
    buf[56] = bitsHi >>> 24;
    buf[57] = bitsHi >>> 16;
    buf[58] = bitsHi >>> 8;
    buf[59] = bitsHi;
    buf[60] = bitsLo >>> 24;
    buf[61] = bitsLo >>> 16;
    buf[62] = bitsLo >>> 8;
    buf[63] = bitsLo;
    compress(this.#h, this.#w, buf, 0, 64);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.#h[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = v >>> 16;
      out[i * 4 + 2] = v >>> 8;
      out[i * 4 + 3] = v;
    }
    return out;
  }

  /** Finishes the hash and returns it as 64 lowercase hex digits. */
  hex(): string {
    return toHex(this.digest());
  }

  /** An independent copy of the current state (about 400 bytes): snapshot, then keep hashing. */
  clone(): Sha256 {
    if (this.#finished) throw new Error('Sha256: clone() after digest()');
    const c = new Sha256();
    c.#h.set(this.#h);
    c.#buf.set(this.#buf);
    c.#bufLen = this.#bufLen;
    c.#length = this.#length;
    return c;
  }
}

/** SHA-256 of one buffer, as lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
  return new Sha256().update(data).hex();
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}
