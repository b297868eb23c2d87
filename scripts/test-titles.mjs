// `npm test -- --grep PATTERN` picks the test FILES that can hold a matching test before any of
// them starts (a browser file costs seconds to start even when all its tests are filtered out).
// It reads each file's `describe(` / `suite(` / `it(` / `test(` titles from the source, without
// running it. A title built at run time (`${kind} calls`, or a variable) can match whatever its
// unknown part is: that part is tried as empty and as each string literal of the same file, so
// titles made from the file's own tables are found; a title made only of values from another
// module may be missed. Node's --test-name-pattern still filters the tests inside each file.

const CALL = /(\.?)\b(describe|suite|it|test)(?:\.(?:only|skip|todo))?\(\s*/g;
/** Stands for a run-time part of a title. */
export const DYNAMIC = Symbol('dynamic');

/** Reads a quoted string starting at `i` (the quote); returns [text, index after it]. */
function readQuoted(src, i) {
  const q = src[i];
  let out = '';
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === '\\') {
      out += src[j + 1] ?? '';
      j++;
    } else if (c === q) return [out, j + 1];
    else if (c === '\n') break;
    else out += c;
  }
  return [out, src.length];
}

/** Reads a template literal at `i` (the backtick); returns [parts, index after it]. */
function readTemplate(src, i) {
  const parts = [];
  let text = '';
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') {
      text += src[j + 1] ?? '';
      j += 2;
    } else if (c === '`') {
      if (text) parts.push(text);
      return [parts, j + 1];
    } else if (c === '$' && src[j + 1] === '{') {
      if (text) parts.push(text);
      text = '';
      let depth = 1;
      j += 2;
      while (j < src.length && depth > 0) {
        if (src[j] === '{') depth++;
        else if (src[j] === '}') depth--;
        else if (src[j] === "'" || src[j] === '"') j = readQuoted(src, j)[1] - 1;
        else if (src[j] === '`') j = readTemplate(src, j)[1] - 1;
        j++;
      }
      parts.push(DYNAMIC);
    } else {
      text += c;
      j++;
    }
  }
  return [parts, src.length];
}

/**
 * The titles of one test file: `{ kind: 'suite' | 'test', parts }`, where parts are strings and
 * DYNAMIC for what only a run shows. Also returns every string literal of the file.
 */
export function scanTitles(src) {
  const titles = [];
  for (const m of src.matchAll(CALL)) {
    const kind = m[2] === 'describe' || m[2] === 'suite' ? 'suite' : 'test';
    const at = m.index + m[0].length;
    const c = src[at];
    if (c === "'" || c === '"') titles.push({ kind, parts: [readQuoted(src, at)[0]] });
    else if (c === '`') titles.push({ kind, parts: readTemplate(src, at)[0] });
    // `t.test(name, …)` is a subtest, but `/re/.test(s)` is not: after a dot only a quoted
    // title counts.
    else if (c !== ')' && !m[1]) titles.push({ kind, parts: [DYNAMIC] });
  }
  const literals = new Set();
  for (const m of src.matchAll(
    /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\$]|\\.|\$(?!\{))*(?=`|\$\{)/g,
  )) {
    const text = m[0].slice(1, m[0].endsWith(m[0][0]) && m[0].length > 1 ? -1 : undefined);
    if (text) literals.add(text);
  }
  return { titles, literals: [...literals] };
}

/**
 * The strings a title can stand for, as far as the file tells: each unknown part empty or one
 * literal of the file (the others empty), and every mix of the literals the pattern itself quotes.
 */
function instances(parts, literals, quoted = []) {
  const dyn = parts.flatMap((p, i) => (p === DYNAMIC ? [i] : []));
  const join = (fill) => parts.map((p, i) => (p === DYNAMIC ? (fill.get(i) ?? '') : p)).join('');
  const out = [join(new Map())];
  for (const i of dyn) for (const lit of literals) out.push(join(new Map([[i, lit]])));
  const values = ['', ...quoted];
  if (dyn.length > 1 && values.length ** dyn.length <= 10_000) {
    const fill = new Map();
    const walk = (k) => {
      if (k === dyn.length) return void out.push(join(fill));
      for (const v of values) {
        fill.set(dyn[k], v);
        walk(k + 1);
      }
    };
    walk(0);
  }
  return out;
}

/** `--grep` text as node reads --test-name-pattern: `/re/flags` or a plain regular expression. */
export function patternOf(text) {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  return m ? new RegExp(m[1], m[2]) : new RegExp(text);
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether the plain text `text` can sit in some instance of a title whose run-time parts are
 * built from the file's literals, digits and punctuation (e.g. `parley ${argv.join(' ')}`).
 */
function literalFits(text, parts, literals) {
  const piece = `(?:${[...literals.filter((l) => text.includes(l)).map(escapeRe), '[\\W\\d_]'].join('|')})*`;
  const all = (p) => (p === DYNAMIC ? piece : escapeRe(p));
  const affixes = (p, suffix) => {
    if (p === DYNAMIC) return piece;
    const cut = [];
    for (let i = 0; i <= p.length; i++) cut.push(escapeRe(suffix ? p.slice(i) : p.slice(0, i)));
    return `(?:${cut.join('|')})`;
  };
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === DYNAMIC ? new RegExp(`^${piece}$`).test(text) : p.includes(text)) return true;
    for (let j = i + 1; j < parts.length; j++) {
      const middle = parts
        .slice(i + 1, j)
        .map(all)
        .join('');
      if (new RegExp(`^${affixes(p, true)}${middle}${affixes(parts[j], false)}$`).test(text)) return true;
    }
  }
  return false;
}

/** Whether a test in this source could have a name (or describe + test name) matching `re`. */
export function fileCanMatch(src, re) {
  const { titles, literals } = scanTitles(src);
  // The pattern as plain text, when it is one (escapes undone; `.` also matches itself).
  const plain = re.source.replace(/\\(.)/g, '$1');
  const isPlain = !/(^|[^\\])[*+?^$(){}[\]|]/.test(re.source) && !re.flags.includes('i');
  const quoted = literals.filter((l) => l.length > 1 && plain.includes(l));
  const test = (s) => {
    re.lastIndex = 0;
    return re.test(s);
  };
  for (const { parts } of titles) {
    if (instances(parts, literals, quoted).some(test)) return true;
    // A run-time part may be any literal of the file on its own.
    if (parts.includes(DYNAMIC) && literals.some(test)) return true;
    if (isPlain && parts.includes(DYNAMIC) && literalFits(plain, parts, literals)) return true;
  }
  // Newer Node also matches a test by its suites' names and its own, joined by spaces.
  const suites = titles.filter((t) => t.kind === 'suite').map((t) => instances(t.parts, [])[0]);
  const tests = titles.filter((t) => t.kind === 'test').map((t) => instances(t.parts, [])[0]);
  for (const s of suites) for (const t of tests) if (test(`${s} ${t}`)) return true;
  return false;
}

/** How many tests a file declares (for counting the tests of a skipped file); at least 1. */
export function countTests(src) {
  return Math.max(1, scanTitles(src).titles.filter((t) => t.kind === 'test').length);
}
