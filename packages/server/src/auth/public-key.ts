/**
 * The ES256 public key of `PARLEY_AUTH_PUBLIC_KEY`: the key itself (SPKI PEM or JWK JSON) or the
 * path of a file holding it. Read here for both the configuration check (config/, at startup)
 * and the token verifier (access-control.ts), so neither imports the other.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The key text of `value`: the value itself when it is a PEM or JWK, else the file it names. */
export function readPublicKey(value: string): string {
  const text = value.trim();
  if (text.startsWith('-----BEGIN') || text.startsWith('{')) return text;
  return readFileSync(text, 'utf8');
}

/** Whether `value` is (or names a file holding) a P-256 public key, as ES256 tokens need. */
export function isEs256PublicKey(value: string): boolean {
  try {
    const text = readPublicKey(value).trim();
    const key = text.startsWith('{')
      ? createPublicKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' })
      : createPublicKey(text);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}
