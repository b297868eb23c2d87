/**
 * Resume tokens: what a client presents in `hello.resume` to get its session back after a
 * dropped socket. 32 random bytes (256 bits, unguessable), base64url so they travel in JSON and
 * URLs unescaped. A token is single-use: every resume rotates it (`Session.beginRotation`).
 *
 * May import: Node's crypto only.
 */
import { randomBytes } from 'node:crypto';

/** Bytes of randomness in a resume token. */
export const RESUME_TOKEN_BYTES = 32;

/** A fresh resume token: 32 random bytes, base64url (43 characters). */
export function newResumeToken(): string {
  return randomBytes(RESUME_TOKEN_BYTES).toString('base64url');
}
