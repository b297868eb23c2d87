import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clearBytes,
  decryptFrame,
  encryptFrame,
  FRAME_MAGIC,
  makeIv,
  TAG_BYTES,
  TRAILER_BYTES,
} from '../../../packages/client/src/features/e2ee/frame-cipher.ts';
import {
  firstEpoch,
  freshBytes,
  newSecret,
  nextEpoch,
  safetyCode,
  senderKey,
} from '../../../packages/client/src/features/e2ee/key-schedule.ts';
import { decodeE2eeEnvelope, isE2eeMessage } from '../../../packages/protocol/src/e2ee.ts';

const frame = (n: number, seed = 1): ArrayBuffer => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b.buffer;
};

describe('E2EE frame cipher', () => {
  it('round-trips a VP8 keyframe, keeping its first 10 bytes in clear and adding tag + trailer', async () => {
    const key = await senderKey(await firstEpoch('secret', 'room:x'), 'alice');
    const data = frame(500);
    const clear = clearBytes('video', 'key');
    assert.equal(clear, 10);
    const sealed = await encryptFrame(key, 3, makeIv(1234, 7n), data, clear);
    const bytes = new Uint8Array(sealed);
    assert.equal(bytes.length, 500 + TAG_BYTES + TRAILER_BYTES);
    assert.deepEqual(bytes.subarray(0, 10), new Uint8Array(data).subarray(0, 10), 'header in clear');
    assert.notDeepEqual(bytes.subarray(10, 500), new Uint8Array(data).subarray(10), 'payload not in clear');
    assert.equal(bytes[bytes.length - 1], FRAME_MAGIC);
    assert.equal(bytes[bytes.length - 2], 3);
    const opened = await decryptFrame((id) => (id === 3 ? key : undefined), sealed, clear);
    assert.ok(opened.ok);
    assert.deepEqual(new Uint8Array(opened.data), new Uint8Array(data));
  });

  it('keeps 3 bytes clear on VP8 delta frames and the TOC byte on Opus', () => {
    assert.equal(clearBytes('video', 'delta'), 3);
    assert.equal(clearBytes('audio', undefined), 1);
  });

  it('fails authentication when the clear header or the ciphertext is altered', async () => {
    const key = await senderKey(await firstEpoch('secret', 'room:x'), 'alice');
    const sealed = new Uint8Array(await encryptFrame(key, 0, makeIv(1, 1n), frame(100), 3));
    for (const at of [0, 50]) {
      const copy = sealed.slice();
      copy[at] = (copy[at] ?? 0) ^ 1;
      const r = await decryptFrame(() => key, copy.buffer, 3);
      assert.deepEqual(r, { ok: false, reason: 'auth-failed' }, `byte ${at}`);
    }
  });

  it('reports a clear frame as not-encrypted and an unknown key id as unknown-key', async () => {
    assert.deepEqual(await decryptFrame(() => undefined, frame(100), 3), {
      ok: false,
      reason: 'not-encrypted',
    });
    const key = await senderKey(await firstEpoch('s', 'room:x'), 'a');
    const sealed = await encryptFrame(key, 9, makeIv(1, 1n), frame(100), 3);
    assert.deepEqual(await decryptFrame(() => undefined, sealed, 3), { ok: false, reason: 'unknown-key' });
  });

  it('a wrong secret, another sender or another room cannot open a frame', async () => {
    const epoch = await firstEpoch('secret', 'room:x');
    const sealed = await encryptFrame(await senderKey(epoch, 'alice'), 0, makeIv(1, 1n), frame(200), 10);
    for (const key of [
      await senderKey(await firstEpoch('Secret', 'room:x'), 'alice'),
      await senderKey(epoch, 'bob'),
      await senderKey(await firstEpoch('secret', 'room:y'), 'alice'),
    ]) {
      assert.deepEqual(await decryptFrame(() => key, sealed, 10), { ok: false, reason: 'auth-failed' });
    }
  });
});

describe('E2EE key schedule', () => {
  it('a member who left with epoch n keys cannot decrypt frames sent under epoch n+1', async () => {
    const e0 = await firstEpoch('team secret', 'room:standup');
    const e1 = await nextEpoch(e0, freshBytes(), 1);
    // The remaining members move on with fresh bytes the departed member never receives.
    const e2 = await nextEpoch(e1, freshBytes(), 2);
    const sealed = await encryptFrame(await senderKey(e2, 'alice'), 2, makeIv(5, 1n), frame(300), 10);
    // The departed member holds e0 and e1 and tries every key it could have.
    for (const old of [e0, e1]) {
      const key = await senderKey(old, 'alice');
      assert.deepEqual(await decryptFrame(() => key, sealed, 10), { ok: false, reason: 'auth-failed' });
    }
    // Ratcheting e1 forward without the fresh bytes does not give e2 either.
    const guess = await senderKey(await nextEpoch(e1, new Uint8Array(32), 2), 'alice');
    assert.deepEqual(await decryptFrame(() => guess, sealed, 10), { ok: false, reason: 'auth-failed' });
    assert.ok((await decryptFrame(async () => senderKey(e2, 'alice'), sealed, 10)).ok);
  });

  it('the safety code is four words, equal for equal keys, different after a rekey', async () => {
    const a = await safetyCode(await firstEpoch('x', 'room:r'));
    const b = await safetyCode(await firstEpoch('x', 'room:r'));
    assert.equal(a, b);
    assert.match(a, /^[a-z]+( [a-z]+){3}$/);
    const next = await safetyCode(await nextEpoch(await firstEpoch('x', 'room:r'), freshBytes(), 1));
    assert.notEqual(next, a);
  });

  it('new secrets are 22 base64url characters and differ', () => {
    const a = newSecret();
    assert.match(a, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a, newSecret());
  });
});

describe('E2EE envelope schema (hostile input)', () => {
  const good = { e2ee: 'rekey', epoch: 3, sealedWith: 0, iv: 'AAAAAAAAAAAAAAAA', sealed: 'QUJDRA==' };
  it('accepts a well-formed envelope', () => {
    assert.deepEqual(decodeE2eeEnvelope(good), good);
  });
  for (const [name, bad] of [
    ['an extra field (forged from)', { ...good, from: 'mallory' }],
    ['a negative epoch', { ...good, epoch: -1 }],
    ['a huge epoch', { ...good, epoch: 2 ** 40 }],
    ['a non-integer epoch', { ...good, epoch: 1.5 }],
    ['a huge sealed blob', { ...good, sealed: 'A'.repeat(10_000) }],
    ['a wrong-length iv', { ...good, iv: 'AAAA' }],
    ['non-base64', { ...good, sealed: '<script>' }],
    ['another e2ee verb', { ...good, e2ee: 'secret' }],
    ['a string', 'rekey'],
    ['null', null],
  ] as const) {
    it(`rejects ${name}`, () => assert.equal(decodeE2eeEnvelope(bad), undefined));
  }
  it('tells E2EE room messages from app messages', () => {
    assert.equal(isE2eeMessage(good), true);
    assert.equal(isE2eeMessage({ text: 'hi' }), false);
    assert.equal(isE2eeMessage([1]), false);
    assert.equal(isE2eeMessage(null), false);
  });
});
