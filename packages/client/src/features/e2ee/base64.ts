/**
 * Base64 for the E2EE parts: public keys and commitments of a call's key agreement, sealed rekey
 * envelopes, and (URL-safe, unpadded) room secrets and call secrets. Small values only; input from
 * peers is decoded strictly (`atob` throws on anything that is not base64). The app channel relay
 * has its own fast codec for 64 KiB messages the server already checked (app-channel-relay.ts).
 *
 * May import nothing but the platform.
 */

/** Base64 of bytes, padded. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Bytes of base64 (throws on bad input). */
export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** URL-safe base64 without padding (a secret in a link fragment). */
export function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
