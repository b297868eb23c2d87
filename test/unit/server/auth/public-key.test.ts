/**
 * `PARLEY_AUTH_PUBLIC_KEY` as the key itself or a file (auth/public-key.ts), read the same way by
 * the configuration check and the token verifier.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isEs256PublicKey, readPublicKey } from '../../../../packages/server/src/auth/public-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-public-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const jwk = JSON.stringify(publicKey.export({ format: 'jwk' }));

describe('readPublicKey', () => {
  it('returns a PEM or JWK given inline (trimmed), and reads any other value as a file path', () => {
    assert.equal(readPublicKey(`  ${pem}`), pem.trim());
    assert.equal(readPublicKey(jwk), jwk);
    const file = join(dir, 'key.pem');
    writeFileSync(file, pem);
    assert.equal(readPublicKey(file), pem);
    assert.throws(() => readPublicKey(join(dir, 'missing.pem')), /ENOENT/);
  });
});

describe('isEs256PublicKey', () => {
  it('accepts a P-256 key as PEM, JWK or file, and refuses other curves, RSA, garbage and missing files', () => {
    const file = join(dir, 'p256.pem');
    writeFileSync(file, pem);
    for (const ok of [pem, jwk, file]) assert.equal(isEs256PublicKey(ok), true, ok.slice(0, 30));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    for (const bad of [
      p384.export({ type: 'spki', format: 'pem' }).toString(),
      rsa.export({ type: 'spki', format: 'pem' }).toString(),
      '{"kty":"EC"}',
      join(dir, 'missing.pem'),
    ]) {
      assert.equal(isEs256PublicKey(bad), false, bad.slice(0, 30));
    }
  });
});
