/**
 * The E2EE tests' site (Node side): e2ee-page.ts and the E2EE worker bundled and served by a real
 * Parley server started with `env` (a Janus address for the SFU tests). May import test helpers.
 */
import { fileURLToPath } from 'node:url';
import { type PageSite, servePages } from '../../helpers/browser.ts';
import { startServer } from '../../helpers/server.ts';

export type E2eeSite = PageSite<Awaited<ReturnType<typeof startServer>>>;

/** Bundles the page and the worker (`/e2ee-worker.js`) and serves them from a server with `env`. */
export function serveE2eePages(env: Record<string, string>): Promise<E2eeSite> {
  return servePages(
    {
      'e2ee-page': fileURLToPath(new URL('./e2ee-page.ts', import.meta.url)),
      'e2ee-worker': fileURLToPath(
        new URL('../../../packages/client/src/features/e2ee/frame-worker.ts', import.meta.url),
      ),
    },
    (dir) => startServer({ PARLEY_WEB_DIR: dir, ...env }),
  );
}
