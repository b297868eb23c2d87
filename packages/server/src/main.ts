/**
 * The composition root: read the configuration, start the server, log where it listens, and
 * shut down gracefully on SIGTERM/SIGINT (exit 0). Nothing else reads the environment.
 */
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { createServer } from './server.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`parley: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.logLevel);
const server = await createServer(config, { logger: log });
log.info({ url: server.url, port: server.port, ws: server.wsUrl }, 'listening');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
