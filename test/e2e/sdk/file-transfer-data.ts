/**
 * Test file contents, the same in the page and in Node: a 1 MiB block of xorshift32 output
 * repeated, so a 200 MiB file is a Blob of 200 references to one block (never one big buffer)
 * and Node can compute the expected SHA-256 without a browser.
 */

/** Size of the repeated block. */
export const BLOCK_BYTES = 1024 * 1024;

/** A pseudo-random block from `seed` (xorshift32; any nonzero seed). */
export function makeBlock(seed: number): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(BLOCK_BYTES);
  const words = new Uint32Array(block.buffer);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return block;
}

/** The parts of a `size`-byte file: whole blocks, then a partial one. */
export function fileParts(size: number, seed: number): Uint8Array<ArrayBuffer>[] {
  const block = makeBlock(seed);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let left = size; left > 0; left -= BLOCK_BYTES)
    parts.push(left >= BLOCK_BYTES ? block : block.subarray(0, left));
  return parts;
}
