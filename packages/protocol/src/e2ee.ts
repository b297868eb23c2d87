/**
 * The E2EE key envelope: how a room member hands the others a new key epoch (after someone
 * joined or left) inside an ordinary `room.message`, sealed so the server that relays it cannot
 * read it (AES-GCM under a key derived from an epoch the recipients already hold; see
 * packages/client/src/features/e2ee/key-schedule.ts and docs/PROTOCOL.md, "End-to-end
 * encryption"). The server sees only base64 ciphertext; clients validate the shape with
 * {@link decodeE2eeEnvelope} before trying to open it.
 */
import * as z from 'zod/mini';

/** Limits of the envelope (a 32-byte key sealed: 48 bytes, base64 64 characters). */
export const E2EE_LIMITS = {
  /** Highest epoch number (a rekey per join/leave; far beyond any room's life). */
  maxEpoch: 2 ** 31 - 1,
  /** Base64 characters of the sealed key material. */
  sealedMaxChars: 128,
  /** Base64 characters of the 12-byte IV. */
  ivChars: 16,
} as const;

const Base64 = /^[A-Za-z0-9+/]*={0,2}$/;
const Epoch = z.number().check(z.int(), z.nonnegative(), z.maximum(E2EE_LIMITS.maxEpoch));

/** `{ e2ee: 'rekey', epoch, sealedWith, iv, sealed }`: epoch `epoch`'s material, sealed under epoch `sealedWith`. */
export const E2eeEnvelope = z.strictObject({
  e2ee: z.literal('rekey'),
  epoch: Epoch,
  sealedWith: Epoch,
  iv: z.string().check(z.length(E2EE_LIMITS.ivChars), z.regex(Base64)),
  sealed: z.string().check(z.minLength(4), z.maxLength(E2EE_LIMITS.sealedMaxChars), z.regex(Base64)),
});
export type E2eeEnvelope = z.infer<typeof E2eeEnvelope>;

/** Whether a room message is meant for E2EE (has the `e2ee` key), valid or not. */
export function isE2eeMessage(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && 'e2ee' in data;
}

/** Validates an envelope; never throws. */
export function decodeE2eeEnvelope(data: unknown): E2eeEnvelope | undefined {
  const r = E2eeEnvelope.safeParse(data);
  return r.success ? r.data : undefined;
}

/**
 * Key agreement of an encrypted 1:1 call (docs/PROTOCOL.md, "Encrypted calls"): each party's
 * ephemeral ECDH P-256 public key, raw (65 bytes, base64: 88 characters), and the caller's
 * commitment to its key, SHA-256 of it (32 bytes, base64: 44 characters), sent in the invite
 * before the callee's key is known so a server in the middle cannot pick keys that make the two
 * safety codes match.
 */
export const E2eeAgreementKey = z.string().check(z.length(88), z.regex(Base64));
export const E2eeCommitment = z.string().check(z.length(44), z.regex(Base64));
/** `call.invite {e2ee}` / `call.incoming {e2ee}`: the caller wants an encrypted call. */
export const CallE2ee = z.strictObject({ commit: E2eeCommitment });
export type CallE2ee = z.infer<typeof CallE2ee>;
