/**
 * The E2EE key schedule: from the secret the participants share (a room link's `#e2ee=…`
 * fragment, or one the app hands to `join`/`call`) to per-epoch key material, per-sender frame
 * keys and the safety code people compare aloud. Pure WebCrypto (HKDF-SHA-256, AES-GCM), so the
 * worker, the main thread and unit tests all use it.
 *
 * - Epoch 0 material = HKDF(secret, info "epoch 0 <scope>"): everyone with the secret has it.
 * - Epoch n+1 material = HKDF(epoch n material ‖ 32 fresh random bytes): a member draws the
 *   random bytes when someone joins or leaves and hands them only to the members present, over
 *   channels the server cannot read. Whoever left keeps epoch n but never sees the fresh bytes,
 *   so cannot follow; whoever joins gets epoch n+1 only and cannot go back.
 * - Sender key = HKDF(epoch material, info "sender <name>"): every sender encrypts under its own
 *   key, so two senders never share a key (and so never a nonce).
 *
 * May import nothing but the platform and base64.ts.
 */
import { base64url } from './base64.ts';

const SALT = new TextEncoder().encode('parley-e2ee v1');
const encoder = new TextEncoder();

/** Raw key material of one epoch (32 bytes). */
export type EpochMaterial = Uint8Array<ArrayBuffer>;

async function hkdf(
  ikm: Uint8Array<ArrayBuffer>,
  info: string,
  bits: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const out = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: encoder.encode(info) },
    base,
    bits,
  );
  return new Uint8Array(out);
}

/** Epoch 0 of a conversation (`scope`, e.g. `room:standup`) from the shared secret. */
export function firstEpoch(secret: string, scope: string): Promise<EpochMaterial> {
  return hkdf(encoder.encode(secret), `epoch 0 ${scope}`, 256);
}

/** Epoch `epoch` from the one before it and the fresh bytes its initiator drew. */
export function nextEpoch(
  previous: EpochMaterial,
  fresh: Uint8Array<ArrayBuffer>,
  epoch: number,
): Promise<EpochMaterial> {
  const ikm = new Uint8Array(previous.length + fresh.length);
  ikm.set(previous, 0);
  ikm.set(fresh, previous.length);
  return hkdf(ikm, `epoch ${epoch}`, 256);
}

/** 32 random bytes for {@link nextEpoch}. */
export function freshBytes(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** The AES-GCM key `sender` encrypts its frames with in this epoch. */
export async function senderKey(material: EpochMaterial, sender: string): Promise<CryptoKey> {
  const raw = await hkdf(material, `sender ${sender}`, 128);
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** A key that seals rekey messages relayed through the server (SFU rooms): AES-GCM from the epoch. */
export async function relayKey(material: EpochMaterial): Promise<CryptoKey> {
  const raw = await hkdf(material, 'relay', 256);
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/**
 * Twenty short, distinct, easy-to-say words: the safety code is four of them (16 bits a word
 * would need a long list; four of twenty is 160,000 codes, enough to notice a wrong secret or a
 * meddler when read aloud, which is what it is for).
 */
const WORDS = [
  'apple',
  'bridge',
  'cactus',
  'dolphin',
  'engine',
  'falcon',
  'guitar',
  'harbor',
  'island',
  'jacket',
  'kettle',
  'lemon',
  'meadow',
  'needle',
  'orbit',
  'pepper',
  'quartz',
  'rocket',
  'saddle',
  'tiger',
] as const;

/**
 * The safety code of an epoch: four words everyone holding the same key material sees, and
 * nobody without it can predict. Changes with every rekey, for everyone at once.
 */
export async function safetyCode(material: EpochMaterial): Promise<string> {
  const bytes = await hkdf(material, 'safety code', 64);
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    const n = new DataView(bytes.buffer).getUint16(i * 2);
    words.push(WORDS[n % WORDS.length] as string);
  }
  return words.join(' ');
}

/** A new random room secret for an "encrypted room" link: 16 bytes, base64url (22 characters). */
export function newSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}
