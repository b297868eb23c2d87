import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Sha256, sha256Hex } from '../../../packages/client/src/features/sha256.ts';

const utf8 = new TextEncoder();
const nodeHex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Sha256', () => {
  it('matches the FIPS 180-4 example vectors', () => {
    // FIPS 180-4 examples (NIST "SHA256.pdf" / FIPS 180-2 appendix B): one block, two blocks, a million "a".
    assert.equal(
      sha256Hex(utf8.encode('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      sha256Hex(utf8.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    assert.equal(
      sha256Hex(new Uint8Array(1_000_000).fill(0x61)),
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
    assert.equal(
      sha256Hex(new Uint8Array(0)),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('agrees with node:crypto at every length around the padding boundaries', () => {
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n++)
      assert.equal(sha256Hex(data.subarray(0, n)), nodeHex(data.subarray(0, n)), `length ${n}`);
  });

  it('agrees with node:crypto on random inputs fed in random slices', () => {
    for (let round = 0; round < 40; round++) {
      const data = randomBytes(Math.floor(Math.random() * 200_000));
      const h = new Sha256();
      let pos = 0;
      while (pos < data.length) {
        const n = Math.min(data.length - pos, Math.floor(Math.random() * 5000));
        h.update(data.subarray(pos, pos + n));
        pos += n;
      }
      assert.equal(h.hex(), nodeHex(data), `round ${round}, ${data.length} bytes`);
    }
  });

  it('clone() snapshots the state: both copies continue independently', () => {
    const a = randomBytes(1000);
    const b = randomBytes(777);
    const c = randomBytes(123);
    const h = new Sha256().update(a);
    const snap = h.clone();
    h.update(b);
    snap.update(c);
    assert.equal(h.hex(), nodeHex(Buffer.concat([a, b])));
    assert.equal(snap.hex(), nodeHex(Buffer.concat([a, c])));
  });

  it('refuses to update after digest', () => {
    const h = new Sha256();
    h.digest();
    assert.throws(() => h.update(new Uint8Array(1)));
  });
});
