/**
 * Decoding speed in Chromium (the SDK's side) of the protocol's schemas on zod/mini against zod
 * classic (zod-classic.ts): both protocol builds are bundled into one page with esbuild, which
 * times them alternately over the cases of decode-cases.ts and hands back µs per 1,000 frames
 * (medians). The page has no CSP, so zod classic may use its `new Function` fast path here, which
 * the web app's CSP would forbid it: this is classic at its best.
 *
 *   npm run -s bench:zod-mini-browser [-- rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launchChromium } from '../../test/helpers/browser.ts';
import { N } from './decode-cases.ts';
import { classicProtocolEntry } from './zod-classic.ts';

const rounds = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'parley-zod-bench-'));
try {
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    [
      `import * as mini from '@parley/protocol';`,
      `import * as classic from ${JSON.stringify(classicProtocolEntry())};`,
      `import { compare } from ${JSON.stringify(new URL('./decode-cases.ts', import.meta.url).pathname)};`,
      `(globalThis as any).run = (rounds: number) => compare(classic, mini, rounds);`,
    ].join('\n'),
  );
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    minify: true,
    write: false,
    tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname,
    nodePaths: [new URL('../../node_modules', import.meta.url).pathname],
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: out.outputFiles[0]!.text });
    const rows = await page.evaluate(
      (r) => (globalThis as unknown as { run(r: number): Record<string, { a: number; b: number }> }).run(r),
      rounds,
    );
    const result = Object.fromEntries(
      Object.entries(rows).map(([k, v]) => [k, { classicUs: v.a, miniUs: v.b }]),
    );
    console.log(
      JSON.stringify(
        {
          unit: 'µs per 1,000 frames (median)',
          rounds,
          framesPerRound: N,
          chromium: browser.version(),
          result,
        },
        null,
        2,
      ),
    );
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
