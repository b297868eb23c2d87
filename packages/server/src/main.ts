/**
 * The composition root: read the configuration, start the server, log where it listens, and
 * shut down gracefully on SIGTERM/SIGINT (exit 0). Nothing else reads the environment.
 *
 * `--https` (development): serve HTTPS/WSS with a self-signed certificate for localhost and this
 * machine's LAN addresses (made once, kept in `.parley/tls/`), so a phone on the same Wi-Fi gets a
 * secure context and thus its camera; the addresses to open are printed as plain lines.
 */
import { parseArgs } from 'node:util';
import { useCompiledSchemas } from '@parley/protocol';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { createLogger } from './log.ts';
import { createServer, type ServerDeps } from './node/server.ts';
import { devHosts, httpsUrls, makeSelfSignedCertificate } from './tls/self-signed.ts';

let https: boolean;
try {
  https = parseArgs({ options: { https: { type: 'boolean', default: false } }, strict: true }).values.https;
} catch (err) {
  process.stderr.write(`parley: ${(err as Error).message}\nusage: npm start [-- --https]\n`);
  process.exit(2);
}

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
if (https && config.tlsCert !== undefined) {
  process.stderr.write('parley: --https makes its own certificate; drop it or unset PARLEY_TLS_CERT/KEY\n');
  process.exit(2);
}

// zod/mini interprets schemas; compiled ones decode clients' frames at zod classic's speed.
useCompiledSchemas();
const log = createLogger(config.logLevel);
const deps: ServerDeps = { logger: log };
let selfSigned: ReturnType<typeof makeSelfSignedCertificate> | undefined;
if (https) {
  try {
    selfSigned = makeSelfSignedCertificate({ hosts: devHosts(), openssl: config.openssl });
  } catch (err) {
    log.fatal({ err }, 'cannot make a self-signed certificate');
    process.exit(1);
  }
  deps.tls = selfSigned;
  log.info(
    {
      hosts: selfSigned.hosts,
      notAfter: selfSigned.notAfter,
      reused: selfSigned.reused,
      file: selfSigned.certFile,
    },
    'self-signed certificate',
  );
}
let server: Awaited<ReturnType<typeof createServer>>;
try {
  server = await createServer(config, deps);
} catch (err) {
  // E.g. EADDRINUSE: say so in one line and exit non-zero rather than print a stack trace.
  log.fatal({ err, host: config.host, port: config.port }, 'cannot start');
  process.exit(1);
}
log.info({ url: server.url, port: server.port, ws: server.wsUrl }, 'listening');
if (selfSigned) {
  // For people, besides the JSON log: where to point a browser (LAN first: that is what a phone
  // needs). Listening on one address only, only that one is reachable.
  const everywhere = config.host === '0.0.0.0' || config.host === '::';
  const urls = everywhere ? httpsUrls(selfSigned.hosts, server.port) : [`${server.url}/`];
  for (const url of urls) process.stderr.write(`parley: open ${url}\n`);
  process.stderr.write('parley: the certificate is self-signed; browsers ask once to proceed\n');
}

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
