/**
 * Starts a real Parley server on 127.0.0.1, port 0, quiet logs, for integration tests. Its
 * built-in STUN server binds 127.0.0.1 on a free UDP port too (never 3478, which a real server or
 * another test may hold); `PARLEY_STUN_PORT: 'off'` turns it off.
 * Every server started here is closed by `stopAllServers()` (call it in `after`/`afterEach`).
 */
import { createServer, loadConfig, type ParleyServer, type ServerDeps } from '@parley/server';

const started = new Set<ParleyServer>();

/** Starts a server with the test defaults merged with `env` overrides (PARLEY_* strings). */
export async function startServer(
  env: Record<string, string> = {},
  deps: ServerDeps = {},
): Promise<ParleyServer> {
  const config = loadConfig({
    PARLEY_HOST: '127.0.0.1',
    PARLEY_PORT: '0',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_STUN_HOST: '127.0.0.1',
    PARLEY_STUN_PORT: '0',
    ...env,
  });
  const server = await createServer(config, deps);
  started.add(server);
  const close = server.close;
  return {
    ...server,
    close: () => {
      started.delete(server);
      return close();
    },
  };
}

/** Closes every server `startServer` started and not yet closed. */
export async function stopAllServers(): Promise<void> {
  const all = [...started];
  started.clear();
  await Promise.all(all.map((s) => s.close()));
}
