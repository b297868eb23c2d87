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
import { prettyDestination, wantsPretty } from './log-format.ts';
import { createServer, type ServerDeps } from './node/server.ts';
import { devHosts, httpsUrls, lanIPv4Addresses, makeSelfSignedCertificate } from './tls/self-signed.ts';

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
// Readable lines in a terminal (`npm start`), JSON for machines (see log-format.ts).
const log = createLogger(
  config.logLevel,
  wantsPretty(config.logFormat, process.stdout) ? prettyDestination(process.stdout) : undefined,
);
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
{
  // For people, besides the log: where to point a browser (this machine first, then the LAN
  // addresses a phone needs). Listening on one address only, only that one is reachable.
  const everywhere = config.host === '0.0.0.0' || config.host === '::';
  const scheme = selfSigned || config.tlsCert !== undefined ? 'https' : 'http';
  const suffix =
    (scheme === 'https' && server.port === 443) || (scheme === 'http' && server.port === 80)
      ? ''
      : `:${server.port}`;
  // With --https, LAN addresses first (what a phone needs, and why --https exists); else this
  // machine first. One `parley: open URL` line each, so scripts can pick them up too.
  const urls = !everywhere
    ? [`${server.url}/`]
    : selfSigned
      ? httpsUrls(selfSigned.hosts, server.port).filter(
          (u) => !u.includes('//127.0.0.1') && !u.includes('//[::1]'),
        )
      : ['127.0.0.1', ...lanIPv4Addresses()].map((h) => `${scheme}://${h}${suffix}/`);
  process.stderr.write(
    'parley: Parley is running. Open it in a browser (other devices use a LAN address):\n',
  );
  for (const url of urls) process.stderr.write(`parley: open ${url}\n`);
  if (selfSigned)
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
