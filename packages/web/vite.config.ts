/**
 * Vite configuration of the Parley web app.
 *
 * `npm run build -w @parley/web` writes the static app to `dist/` (or to `PARLEY_WEB_OUT_DIR`,
 * which tests use to build into a temporary folder). The Parley server serves that folder.
 *
 * `npm run dev -w @parley/web` serves the app with hot reload and forwards the server's endpoints
 * (`/ws`, `/ice`, `/healthz`) to a running Parley server, `http://127.0.0.1:8080` unless
 * `PARLEY_DEV_SERVER` names another.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = new URL('.', import.meta.url).pathname;
const target = process.env.PARLEY_DEV_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here,
  // Absolute asset URLs, so deep links such as /r/standup load /assets/… and not /r/assets/….
  base: '/',
  build: {
    outDir: process.env.PARLEY_WEB_OUT_DIR ? resolve(process.env.PARLEY_WEB_OUT_DIR) : resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
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
