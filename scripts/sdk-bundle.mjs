// The script-tag build of the SDK: @parley/client as one file, an IIFE that sets the global
// `Parley` (`Parley.connect(...)`), minified, with a source map beside it. `npm run build` writes
// it into the web app's dist at sdk/parley.js, so every Parley server serves it at the stable
// path `/sdk/parley.js` (a clone from packages/web/dist, the installed @parley/server from its
// packed web/), for pages that load the SDK with a plain <script> instead of a bundler.
// Imported by scripts/build.mjs and by test/integration/server/sdk-script.test.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/**
 * Writes `<webDir>/sdk/parley.js` and its `.map` (and the opt-in E2EE script and worker beside
 * it); returns the path of the SDK script.
 */
export async function buildSdkScript(webDir) {
  const outfile = join(webDir, 'sdk', 'parley.js');
  mkdirSync(join(webDir, 'sdk'), { recursive: true });
  await build({
    entryPoints: [join(root, 'packages/client/src/index.ts')],
    // The repository's tsconfig maps @parley/* to the sources, as for every other bundle here.
    tsconfig: join(root, 'tsconfig.json'),
    bundle: true,
    format: 'iife',
    globalName: 'Parley',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    outfile,
    logLevel: 'warning',
  });
  // End-to-end encryption, opt-in (issue 22): `ParleyE2ee.e2ee({ secret, worker })` from
  // sdk/parley-e2ee.js, and the worker that encrypts frames, which pages pass as
  // `worker: '/sdk/parley-e2ee-worker.js'` (a file of the server's own origin, as its CSP wants).
  for (const [name, entry, globalName] of [
    ['parley-e2ee.js', 'packages/client/src/e2ee.ts', 'ParleyE2ee'],
    ['parley-e2ee-worker.js', 'packages/client/src/features/e2ee/frame-worker.ts', undefined],
  ]) {
    await build({
      entryPoints: [join(root, entry)],
      tsconfig: join(root, 'tsconfig.json'),
      bundle: true,
      format: 'iife',
      ...(globalName ? { globalName } : {}),
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: true,
      legalComments: 'none',
      outfile: join(webDir, 'sdk', name),
      logLevel: 'warning',
    });
  }
  return outfile;
}
