/**
 * Vite configuration of the Parley web app.
 *
 * `npm run build -w @parley/web` writes the static app to `dist/` (or to `PARLEY_WEB_OUT_DIR`,
 * which tests use to build into a temporary folder). The Parley server serves that folder.
 *
 * `npm run dev -w @parley/web` serves the app with hot reload and forwards the server's endpoints
 * (`/ws`, `/ice`, `/healthz`) to a running Parley server, `http://127.0.0.1:8080` unless
 * `PARLEY_DEV_SERVER` names another.
 *
 * Every build ends by writing brotli and gzip copies of the text files beside them
 * (scripts/precompress.mjs), which the server sends to browsers that accept them.
 *
 * The app builds from the other packages' sources (the `@parley/source` export condition), not from
 * their compiled dist/, so it needs no package build first and never picks up a stale one.
 */
import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { precompressDir } from '../../scripts/precompress.mjs';

const here = new URL('.', import.meta.url).pathname;
const target = process.env.PARLEY_DEV_SERVER ?? 'http://127.0.0.1:8080';

/** Writes the compressed copies once the bundle is on disk. */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'parley-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      precompressDir(outDir);
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [precompress()],
  // Absolute asset URLs, so deep links such as /r/standup load /assets/… and not /r/assets/….
  base: '/',
  resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
  build: {
    outDir: process.env.PARLEY_WEB_OUT_DIR ? resolve(process.env.PARLEY_WEB_OUT_DIR) : resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // zod and the protocol schemas in one chunk, with zod-jitless.ts: the home screen and the
            // on-demand parts share them, and split apart the schemas were built (and zod's eval probe
            // ran, a CSP violation) before the entry's `config({ jitless: true })`. In one chunk they
            // run in import order: main.ts imports zod-jitless.ts first.
            {
              name: 'protocol',
              test: /node_modules[\\/]zod[\\/]|packages[\\/]protocol[\\/]|zod-jitless\.ts$/,
            },
          ],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/ws': { target, ws: true, changeOrigin: true },
      '/ice': { target, changeOrigin: true },
      '/healthz': { target, changeOrigin: true },
    },
  },
  preview: { host: '127.0.0.1' },
});
