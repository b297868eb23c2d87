/**
 * Signed download links for recordings: what lets a room's hosts fetch a finished recording
 * without the operator's token. A link names one file of one recording and carries its expiry
 * and an HMAC-SHA256 over the recording id, the room it was made in (read back from the
 * recording's manifest when the link is used, so a link is bound to its room), the file and the
 * expiry. The key is derived from the server's secret (`PARLEY_AUTH_SECRET`, else
 * `PARLEY_RECORDINGS_TOKEN`), or random per process when neither is set (links then last until
 * a restart). Pure apart from the clock; imports Node's crypto.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A link and when it stops working (Unix ms). */
export interface SignedLink {
  readonly file: string;
  readonly url: string;
}

const SIG = /^[A-Za-z0-9_-]{43}$/;
const EXP = /^\d{1,12}$/;

/** Makes and checks the links. */
export class RecordingLinks {
  readonly #key: Buffer;
  readonly ttlS: number;
  readonly #now: () => number;

  constructor(key: Buffer, ttlS: number, now: () => number = Date.now) {
    this.#key = key;
    this.ttlS = ttlS;
    this.#now = now;
  }

  /** The key from the first secret that is set (a labelled HMAC of it), else random bytes. */
  static keyFrom(secrets: readonly (string | undefined)[]): Buffer {
    const secret = secrets.find((s) => s !== undefined && s.length > 0);
    if (secret === undefined) return randomBytes(32);
    return createHmac('sha256', secret).update('parley recording download links v1').digest();
  }

  #mac(id: string, room: string, file: string, exp: string): Buffer {
    return createHmac('sha256', this.#key).update(`${id}\n${room}\n${file}\n${exp}`).digest();
  }

  /** Links to `files` of recording `id` (made in `room`), valid for `ttlS` from now. */
  sign(id: string, room: string, files: readonly string[]): { expires: number; links: SignedLink[] } {
    const exp = String(Math.floor(this.#now() / 1000) + this.ttlS);
    const links = files.map((file) => {
      const sig = this.#mac(id, room, file, exp).toString('base64url');
      const path = `/recordings/${encodeURIComponent(id)}/${file.split('/').map(encodeURIComponent).join('/')}`;
      return { file, url: `${path}?exp=${exp}&sig=${sig}` };
    });
    return { expires: Number(exp) * 1000, links };
  }

  /** Whether `query` is a valid, unexpired signature for `file` of recording `id` made in `room`. */
  verify(id: string, room: string, file: string, query: URLSearchParams): boolean {
    const exp = query.get('exp') ?? '';
    const sig = query.get('sig') ?? '';
    if (!EXP.test(exp) || !SIG.test(sig)) return false;
    if (Number(exp) * 1000 <= this.#now()) return false;
    const want = this.#mac(id, room, file, exp);
    const got = Buffer.from(sig, 'base64url');
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
