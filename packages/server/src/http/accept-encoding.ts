/**
 * Content negotiation for static files: which of the encodings Parley keeps (brotli, gzip) a
 * request's `Accept-Encoding` prefers (RFC 9110 §12.5.3: q-values, `*`, `identity`, `q=0` as
 * "not acceptable"). Hostile headers are cheap: only the first 1 KiB and 32 entries are read,
 * and an entry that does not parse is ignored (never an error).
 *
 * May import: nothing (pure).
 */

/** The encodings a static file may be stored in, best first when the client weighs them equally. */
export const ENCODINGS = ['br', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

const MAX_HEADER_CHARS = 1024;
const MAX_ENTRIES = 32;
const ENTRY = /^([a-z0-9!#$%&'*+.^_`|~-]+)\s*(?:;\s*q\s*=\s*([0-9](?:\.[0-9]{0,3})?))?$/i;

/** The q-value per coding named in `header` (lower-case names; `*` included when present). */
export function parseAcceptEncoding(header: string | string[] | undefined): Map<string, number> {
  const q = new Map<string, number>();
  if (header === undefined) return q;
  const text = (Array.isArray(header) ? header.join(',') : header).slice(0, MAX_HEADER_CHARS);
  for (const raw of text.split(',', MAX_ENTRIES)) {
    const m = ENTRY.exec(raw.trim());
    if (!m) continue;
    const name = (m[1] as string).toLowerCase();
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (weight > 1) continue;
    // The first mention of a coding wins; repeats cannot raise or lower it.
    if (!q.has(name)) q.set(name, weight);
  }
  return q;
}

/**
 * The encoding to send, from those `available` (in preference order), or `identity` for the
 * file as it is. A coding is acceptable when named with q > 0, or covered by `*` with q > 0 and
 * not named (`x-gzip` counts as `gzip`). Highest q wins; ties go to the earlier one in
 * `available`. Without an `Accept-Encoding` header, or when nothing listed is acceptable, the
 * file is sent as it is (RFC 9110 allows that instead of a 406, and every client reads it).
 */
export function chooseEncoding(
  header: string | string[] | undefined,
  available: readonly Encoding[],
): Encoding | 'identity' {
  const q = parseAcceptEncoding(header);
  const star = q.get('*') ?? 0;
  // `identity` named with a higher q than every coding keeps the file as it is; on a tie the
  // smaller, compressed copy goes.
  let best: Encoding | 'identity' = 'identity';
  let bestQ = q.get('identity') ?? 0;
  for (const enc of available) {
    const weight = q.get(enc) ?? (enc === 'gzip' ? q.get('x-gzip') : undefined) ?? star;
    if (weight > 0 && (weight > bestQ || (best === 'identity' && weight === bestQ))) {
      best = enc;
      bestQ = weight;
    }
  }
  return best;
}
