/**
 * A second opinion on each test file's `// @needs` line: which tools its code (and the test-local
 * modules it imports, but not the shared helpers, whose every tool would be counted) starts.
 * Used by needs.test.ts to keep the headers honest; `npx tsx test/unit/scripts/detect-needs.ts`
 * prints what it finds for every test file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** A tool is needed when the code calls what starts it. */
export const RULES: Readonly<Record<string, RegExp>> = {
  chromium:
    /\b(launchChromium|openBlankMediaPage|launchForWeb|openPerson|newMediaContext)\s*\(|\bnew BrowserSet\b/,
  'firefox-esr': /\blaunchFirefox\s*\(|['"]firefox['"]/,
  coturn: /\bstartCoturn\s*\(|\bTURNSERVER_PATH\b|scripts\/turn\.ts/,
  'redis-server': /\bstartRedis\s*\(/,
  janus: /\bstartJanus\s*\(|\bJANUS_PATH\b|scripts\/janus\.ts/,
  nginx: /\bnginx\b/,
  openssl: /\bmakeSelfSignedCertificate\s*\(|['"]--https['"]/,
  iptables: /['"]iptables['"]/,
  nftables: /['"]nft['"]/,
  'janus-tools': /\bREC\.start\s*\(|['"]janus-pp-rec['"]/,
  ffmpeg: /['"]ffprobe['"]|['"]ffmpeg['"]/,
};

const IMPORT = /^\s*import\s+(?!type\b)[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm;

/** The file's text plus that of the test-local modules it imports (test/helpers excluded). */
export function closureText(file: string, root: string, seen = new Set<string>()): string {
  const abs = normalize(join(root, file));
  if (seen.has(abs)) return '';
  seen.add(abs);
  const text = readFileSync(abs, 'utf8');
  let out = text;
  for (const m of text.matchAll(IMPORT)) {
    const target = normalize(join(dirname(abs), m[1] ?? ''));
    const rel = relative(root, target);
    if (!rel.startsWith('test/') || rel.startsWith('test/helpers/') || !existsSync(target)) continue;
    out += `\n${closureText(rel, root, seen)}`;
  }
  return out;
}

/** Tools a test file's code starts, by RULES. */
export function detectNeeds(file: string, root: string): string[] {
  const text = closureText(file, root);
  return Object.keys(RULES).filter((tool) => RULES[tool]?.test(text));
}

if (process.argv[1]?.endsWith('detect-needs.ts')) {
  const { findTests } = await import('../../../scripts/prerequisites.mjs');
  const root = join(import.meta.dirname, '../../..');
  for (const f of ['test/unit', 'test/integration', 'test/e2e'].flatMap((d) => findTests(join(root, d)))) {
    const needs = detectNeeds(relative(root, f), root);
    if (needs.length) console.log(`${relative(root, f)}\t${needs.join(', ')}`);
  }
}
