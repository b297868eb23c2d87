/**
 * Key agreement of an encrypted 1:1 call placed by name, where no link can carry a secret: each
 * party draws an ephemeral ECDH P-256 key pair (WebCrypto), the public keys travel in the call's
 * signaling, and both derive the call's E2EE secret from the shared point and both public keys.
 * The server relays the public keys but cannot compute the secret.
 *
 * A server that swaps the keys (a man in the middle) ends up with one secret per side, so the two
 * parties see different safety codes (the code comes from the secret: key-schedule.ts). To keep
 * such a server from trying keys until the two four-word codes collide, the caller commits to
 * its key first: the invite carries SHA-256 of the caller's public key, the callee sends its key,
 * and only then does the caller reveal its own, which the callee checks against the commitment.
 * Whoever sits in the middle must pick each substitute key before seeing the key it is paired
 * with, so each code is a fresh guess (1 in 160,000).
 *
 * Order on the wire (docs/PROTOCOL.md, "Encrypted calls"):
 *   caller → `call.invite {e2ee: {commit}}`; callee → `signal {kind: 'e2ee-key', key}` right
 *   behind its `call.accept`; caller → `signal {kind: 'e2ee-key', key}` on receipt.
 *
 * May import nothing but the platform (WebCrypto) and base64.ts.
 */
import { base64url, fromBase64, toBase64 } from './base64.ts';

const ALGORITHM = { name: 'ECDH', namedCurve: 'P-256' } as const;
const SALT = new TextEncoder().encode('parley-call-agreement v1');

/** Why an agreement failed: the key is not a P-256 point, or does not match the commitment. */
export class AgreementError extends Error {
  override name = 'AgreementError';
}

/** SHA-256 of a public key (base64 in, base64 out): the caller's commitment. */
export async function commitmentOf(publicKey: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', fromBase64(publicKey))));
}

/** One party's side of the agreement: its key pair, made fresh for each call. */
export class CallAgreement {
  readonly #privateKey: CryptoKey;
  /** Our public key, raw uncompressed point in base64 (88 characters): what we send. */
  readonly publicKey: string;

  private constructor(privateKey: CryptoKey, publicKey: string) {
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** Draws a key pair (the private key cannot be exported). */
  static async create(): Promise<CallAgreement> {
    const pair = (await crypto.subtle.generateKey(ALGORITHM, false, ['deriveBits'])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return new CallAgreement(pair.privateKey, toBase64(raw));
  }

  /** Our commitment (SHA-256 of our public key): the caller puts it in the invite. */
  commitment(): Promise<string> {
    return commitmentOf(this.publicKey);
  }

  /**
   * The call's E2EE secret from the other party's public key. `role` says which side we are, so
   * both hash the keys in one order (caller's first). The callee passes the caller's
   * `commitment` from the invite; a key that does not match it rejects with AgreementError, as
   * does a key that is not a valid P-256 point.
   */
  async secret(remoteKey: string, role: 'caller' | 'callee', commitment?: string): Promise<string> {
    if (role === 'callee') {
      if (commitment === undefined) throw new AgreementError('no commitment from the caller');
      if ((await commitmentOf(remoteKey)) !== commitment)
        throw new AgreementError("the caller's key does not match its commitment");
    }
    let remote: CryptoKey;
    try {
      remote = await crypto.subtle.importKey('raw', fromBase64(remoteKey), ALGORITHM, false, []);
    } catch (error) {
      throw new AgreementError(`not a P-256 public key: ${String(error)}`);
    }
    const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: remote }, this.#privateKey, 256);
    const [first, second] = role === 'caller' ? [this.publicKey, remoteKey] : [remoteKey, this.publicKey];
    const a = fromBase64(first);
    const b = fromBase64(second);
    const info = new Uint8Array(a.length + b.length);
    info.set(a, 0);
    info.set(b, a.length);
    const base = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: SALT, info },
      base,
      256,
    );
    return base64url(new Uint8Array(bits));
  }
}
