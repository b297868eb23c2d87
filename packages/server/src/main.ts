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
let server: Awaited<ReturnType<typeof createServer>>;
try {
  server = await createServer(config, { logger: log });
} catch (err) {
  // E.g. EADDRINUSE: say so in one line and exit non-zero rather than print a stack trace.
  log.fatal({ err, host: config.host, port: config.port }, 'cannot start');
  process.exit(1);
}
log.info({ url: server.url, port: server.port, ws: server.wsUrl }, 'listening');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) {
    // A second signal while draining: the operator wants out now.
    log.warn({ signal }, 'forced exit');
    process.exit(1);
  }
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
