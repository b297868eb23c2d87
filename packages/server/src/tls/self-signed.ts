/**
 * A self-signed certificate for the `--https` development mode. Browsers grant camera and
 * microphone only to secure contexts: `http://localhost` is one, but `http://192.168.1.20:8080`
 * (a phone on the same Wi-Fi opening the laptop's address) is not. Serving HTTPS with a
 * certificate that names the machine's LAN addresses lets the phone in after one "proceed
 * anyway" click (or none, if the certificate is installed as trusted on the phone).
 *
 * The certificate is made with the `openssl` command (Debian ships it; Node has no API to issue
 * certificates) and cached in `.parley/tls/` (git-ignored). An existing one is reused while it
 * covers every requested host and has more than a day left, so the browser exception a user
 * clicked through stays valid across restarts.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { certificateHosts, normalizeHost } from './load-tls.ts';

/** `.parley/tls/` at the repository root (this file lives in packages/server/src/tls/). */
export const DEFAULT_TLS_CACHE_DIR = fileURLToPath(new URL('../../../../.parley/tls/', import.meta.url));

export interface SelfSignedOptions {
  /** Host names and IP addresses to cover. Default: `devHosts()`. */
  readonly hosts?: readonly string[];
  /** Where `cert.pem` and `key.pem` live. Default `.parley/tls/` in the repository. */
  readonly dir?: string;
  /** Validity of a new certificate, days. Default 30 (short: it is a throwaway dev certificate). */
  readonly validDays?: number;
  /** Clock for the reuse check, ms. */
  readonly nowMs?: number;
  /** The openssl command (`PARLEY_OPENSSL`, read by the configuration). Default `openssl`. */
  readonly openssl?: string;
}

export interface SelfSignedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Hosts the certificate covers. */
  readonly hosts: readonly string[];
  readonly notAfter: Date;
  /** True when an existing certificate was reused rather than made now. */
  readonly reused: boolean;
}

/** A reused certificate must have at least this long left. */
const MIN_REMAINING_MS = 24 * 3600 * 1000;

/**
 * Returns a certificate covering `hosts`, reusing the cached one when it still fits, else
 * making a new P-256 one with openssl. Throws when openssl is missing, naming the alternative.
 *
 * @example
 * const tls = makeSelfSignedCertificate();
 * https.createServer({ cert: tls.cert, key: tls.key }, app).listen(8443);
 * for (const url of httpsUrls(tls.hosts, 8443)) log.info({ url }, 'open');
 */
export function makeSelfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const hosts = [...new Set((options.hosts ?? devHosts()).map(normalizeHost))];
  if (hosts.length === 0) throw new RangeError('a certificate needs at least one host');
  const bad = hosts.filter(
    (h) => !isIP(h) && !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h),
  );
  if (bad.length > 0) throw new RangeError(`not a host name or IP address: ${bad.join(', ')}`);
  const dir = options.dir ?? DEFAULT_TLS_CACHE_DIR;
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const nowMs = options.nowMs ?? Date.now();

  const cached = readIfFits(certFile, keyFile, hosts, nowMs);
  if (cached) return { ...cached, certFile, keyFile, reused: true };

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Write under temporary names, then rename: a second server starting at the same moment
  // never reads a half-written pair.
  const suffix = `${process.pid}-${Date.now()}`;
  const tmpCert = join(dir, `cert.${suffix}.tmp`);
  const tmpKey = join(dir, `key.${suffix}.tmp`);
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    tmpKey,
    '-out',
    tmpCert,
    '-days',
    String(options.validDays ?? 30),
    '-subj',
    '/O=Parley/CN=Parley development certificate',
    '-addext',
    `subjectAltName=${san}`,
    '-addext',
    'extendedKeyUsage=serverAuth',
  ];
  const openssl = options.openssl ?? 'openssl';
  const run = spawnSync(openssl, args, { encoding: 'utf8', timeout: 30_000 });
  if (run.error || run.status !== 0) {
    rmSync(tmpCert, { force: true });
    rmSync(tmpKey, { force: true });
    const why =
      (run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? `the "${openssl}" command is not installed (Debian: apt-get install openssl)`
        : `openssl failed: ${(run.stderr || String(run.error)).trim().slice(-500)}`;
    throw new Error(
      `cannot make a self-signed certificate: ${why}; or set PARLEY_TLS_CERT and PARLEY_TLS_KEY`,
    );
  }
  chmodSync(tmpKey, 0o600);
  renameSync(tmpKey, keyFile);
  renameSync(tmpCert, certFile);
  // Checked against the real clock: `nowMs` only decides whether the cached one is still fit.
  const made = readIfFits(certFile, keyFile, hosts, Date.now());
  if (!made) throw new Error(`openssl wrote a certificate that does not cover ${hosts.join(', ')}`);
  return { ...made, certFile, keyFile, reused: false };
}

function readIfFits(
  certFile: string,
  keyFile: string,
  hosts: readonly string[],
  nowMs: number,
): { cert: Buffer; key: Buffer; hosts: string[]; notAfter: Date } | null {
  if (!existsSync(certFile) || !existsSync(keyFile)) return null;
  try {
    const cert = readFileSync(certFile);
    const key = readFileSync(keyFile);
    const x509 = new X509Certificate(cert);
    const notAfter = new Date(x509.validTo);
    const covered = certificateHosts(x509);
    if (notAfter.getTime() - nowMs < MIN_REMAINING_MS) return null;
    if (new Date(x509.validFrom).getTime() > nowMs + 60_000) return null;
    if (!hosts.every((h) => covered.includes(h))) return null;
    return { cert, key, hosts: covered, notAfter };
  } catch {
    return null; // unreadable or corrupt: make a new one
  }
}

/**
 * Hosts a development certificate should name: localhost, the loopback addresses, and this
 * machine's LAN IPv4 addresses (what a phone on the same network types in).
 */
export function devHosts(): string[] {
  return ['localhost', '127.0.0.1', '::1', ...lanIPv4Addresses()];
}

/** Non-internal IPv4 addresses of this machine's interfaces. */
export function lanIPv4Addresses(): string[] {
  const out: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return [...new Set(out)];
}

/**
 * The URLs to print for people to open: LAN addresses first (the ones a phone needs), then
 * localhost. Wildcard names are skipped.
 */
export function httpsUrls(hosts: readonly string[], port: number): string[] {
  const suffix = port === 443 ? '' : `:${port}`;
  const rank = (h: string) => (h === 'localhost' ? 2 : h === '127.0.0.1' || h === '::1' ? 3 : 1);
  return [...hosts]
    .filter((h) => !h.startsWith('*.'))
    .sort((a, b) => rank(a) - rank(b))
    .map((h) => `https://${isIP(h) === 6 ? `[${h}]` : h}${suffix}/`);
}
