/**
 * Finds where a top-level field's value sits in a frame's JSON text, so a relay can forward the
 * opaque part of a frame (`signal`'s `data`) exactly as the client sent it instead of building it
 * twice (JSON.parse, then JSON.stringify). It does not validate: it runs only on text that
 * `JSON.parse` has already accepted as an object (the codec parses, depth-checks and
 * schema-checks every frame first), and answers `undefined` whenever the text is not the plain
 * case, so the caller falls back to re-serialising the parsed value:
 *
 * - a top-level key written with an escape (`"d\u0061ta"` is `data` to JSON.parse, and a
 *   byte comparison would miss it): undefined;
 * - a number with an exponent anywhere in the frame (`1e400` parses to Infinity, which
 *   `JSON.stringify` writes as `null`; forwarding `1e400` would hand receivers an Infinity
 *   the old path never did): undefined. Exponents are rare in signaling, so the scan does
 *   not tell the forwarded field's from the others'. Likewise a negative zero (`-0`), which
 *   JSON.stringify writes as `0`.
 *
 * Duplicate top-level keys resolve to the last one, as in JSON.parse. Duplicates *inside* the
 * value are forwarded as written; every receiver's JSON.parse then keeps the last, as the old
 * path's re-serialised text did. Strings are skipped with `indexOf('"')` (an escaped quote is
 * told by the parity of the backslashes before it), so a 4 KB SDP costs a handful of steps;
 * the whole scan is linear in the text.
 *
 * May import: nothing (pure string work, browser-safe).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string whose opening quote is at `i`. */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let k = q - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    // An even number of backslashes before the quote: they escape each other, not the quote.
    if ((q - 1 - k) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/**
 * Index just past the number, `true`, `false` or `null` at `i`, or -1 for a number with an
 * exponent (see the header). The text is valid JSON, so the first letter tells the literal.
 */
function skipScalar(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x74 || c === 0x6e) return i + 4; // true, null
  if (c === 0x66) return i + 5; // false
  const start = i;
  for (;;) {
    const d = text.charCodeAt(i);
    // Digits, sign, decimal point.
    if ((d >= 0x30 && d <= 0x39) || d === 0x2d || d === 0x2b || d === 0x2e) i++;
    else if (d === 0x65 || d === 0x45) return -1;
    else break;
  }
  // A negative zero (`-0`, `-0.00`): JSON.stringify writes it `0`, so a receiver of the old path
  // never saw -0.
  if (c === 0x2d && text.charCodeAt(start + 1) === 0x30 && Number(text.slice(start, i)) === 0) return -1;
  return i;
}

/** Index just past the JSON value that starts at `i`, or -1 when the value is not the plain case. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return skipScalar(text, i);
  // A container: count brackets, skipping strings and checking scalars, until it closes.
  let depth = 0;
  for (;;) {
    const d = text.charCodeAt(i);
    if (d === QUOTE) {
      i = skipString(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    } else if (d === COMMA || d === COLON || isSpace(d)) {
      // Structure between values.
    } else if (Number.isNaN(d)) {
      return -1;
    } else {
      i = skipScalar(text, i);
      if (i < 0) return -1;
      continue;
    }
    i++;
  }
}

/**
 * `[start, end)` of the value of the top-level field `key` in `text`, a JSON object that
 * JSON.parse has accepted; the last occurrence when the key repeats. Undefined when the field is
 * absent or the text is not the plain case (see the header): then re-serialise the parsed value.
 */
export function topLevelValueSpan(text: string, key: string): [number, number] | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(text, i + 1);
  let found: [number, number] | undefined;
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    // A key with a backslash may spell `key` with escapes: do not guess.
    const k = text.slice(i + 1, keyEnd - 1);
    if (k.includes('\\')) return undefined;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    const start = skipSpace(text, i + 1);
    const end = skipValue(text, start);
    if (end < 0) return undefined;
    // A later duplicate of `key` wins, as in JSON.parse.
    if (k === key) found = [start, end];
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return text.charCodeAt(i) === CLOSE_BRACE ? found : undefined;
}
