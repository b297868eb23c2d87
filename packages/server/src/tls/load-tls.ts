/**
 * Loads the certificate and key the server serves HTTPS/WSS with (`PARLEY_TLS_CERT`,
 * `PARLEY_TLS_KEY`), and checks them before the server listens: that both parse, that the key
 * belongs to the certificate, and that the certificate is not expired. A mismatch found at
 * startup is one clear line in the log; found by browsers, it is a blank page for everyone.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';

/** What `https.createServer` needs, plus facts worth logging. */
export interface TlsMaterial {
  /** PEM: the leaf certificate, then any intermediates (a "fullchain" file). */
  readonly cert: Buffer;
  /** PEM private key. */
  readonly key: Buffer;
  /** Hosts the leaf certificate covers (its DNS and IP subject alternative names). */
  readonly hosts: readonly string[];
  /** When the leaf certificate expires. */
  readonly notAfter: Date;
}

/**
 * Reads and checks `certFile` and `keyFile`. Throws an Error naming the file and the problem.
 *
 * @example
 * const tls = loadTls({ certFile: config.tlsCert, keyFile: config.tlsKey });
 * const server = https.createServer({ cert: tls.cert, key: tls.key }, app);
 */
export function loadTls(
  { certFile, keyFile }: { certFile: string; keyFile: string },
  nowMs: number = Date.now(),
): TlsMaterial {
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'private key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`TLS certificate ${certFile} is not a PEM certificate`, { cause: err });
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`TLS key ${keyFile} is not a PEM private key (or it is encrypted)`, { cause: err });
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(`TLS key ${keyFile} does not belong to the certificate ${certFile}`);
  }
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= nowMs) {
    throw new Error(`TLS certificate ${certFile} expired on ${notAfter.toISOString()}`);
  }
  return { cert, key, hosts: certificateHosts(leaf), notAfter };
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`cannot read the TLS ${what} ${file} (${code})`, { cause: err });
  }
}

/**
 * DNS names and IP addresses in a certificate's subjectAltName, in `normalizeHost` form (Node
 * prints IPv6 SANs fully expanded, `0:0:0:0:0:0:0:1`; this gives `::1`).
 */
export function certificateHosts(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  const hosts: string[] = [];
  for (const part of san.split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(part.trim());
    if (m?.[2]) hosts.push(normalizeHost(m[2]));
  }
  return hosts;
}

/** Lower-cases a host name; writes an IPv6 address in its shortest form (no brackets). */
export function normalizeHost(host: string): string {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (!isIPv6(h)) return h;
  return new URL(`http://[${h}]/`).hostname.slice(1, -1);
}
