// @needs openssl
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { certificateHosts, loadTls, normalizeHost } from '../../../../packages/server/src/tls/load-tls.ts';
import {
  devHosts,
  httpsUrls,
  lanIPv4Addresses,
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../packages/server/src/tls/self-signed.ts';

/** GET over HTTPS trusting only `ca`; resolves to the status and body. */
function fetchTrusting(
  url: string,
  ca: Buffer,
  servername?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, ...(servername ? { servername } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('makeSelfSignedCertificate', () => {
  let dir: string;
  let made: SelfSignedCertificate;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    made = makeSelfSignedCertificate({ dir, hosts: ['localhost', '127.0.0.1', '::1', '192.0.2.10'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a certificate naming every host, with a private key file only the owner can read', () => {
    assert.equal(made.reused, false);
    const x509 = new X509Certificate(made.cert);
    assert.deepEqual(certificateHosts(x509).sort(), ['127.0.0.1', '192.0.2.10', '::1', 'localhost']);
    assert.equal(statSync(made.keyFile).mode & 0o777, 0o600);
    assert.ok(made.notAfter.getTime() > Date.now() + 29 * 24 * 3600 * 1000);
  });

  it('reuses the cached certificate while it covers the hosts and is not about to expire', () => {
    const again = makeSelfSignedCertificate({ dir, hosts: ['127.0.0.1', 'localhost'] });
    assert.equal(again.reused, true);
    assert.deepEqual(again.cert, made.cert);
  });

  it('makes a new one when a host is missing or the old one is about to expire', () => {
    const other = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    try {
      copyFileSync(made.certFile, join(other, 'cert.pem'));
      copyFileSync(made.keyFile, join(other, 'key.pem'));
      const wider = makeSelfSignedCertificate({ dir: other, hosts: ['localhost', 'parley.test'] });
      assert.equal(wider.reused, false);
      assert.ok(wider.hosts.includes('parley.test'));
      const later = makeSelfSignedCertificate({
        dir: other,
        hosts: ['localhost'],
        nowMs: wider.notAfter.getTime() - 3600_000,
      });
      assert.equal(later.reused, false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('makes a new one when the cached files are corrupt', () => {
    const other = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    try {
      writeFileSync(join(other, 'cert.pem'), 'garbage');
      writeFileSync(join(other, 'key.pem'), 'garbage');
      assert.equal(makeSelfSignedCertificate({ dir: other, hosts: ['localhost'] }).reused, false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses host strings that are neither names nor addresses', () => {
    assert.throws(() => makeSelfSignedCertificate({ dir, hosts: ['a,IP:1.2.3.4'] }), RangeError);
    assert.throws(() => makeSelfSignedCertificate({ dir, hosts: [] }), RangeError);
  });

  describe('served by https.createServer on 127.0.0.1:0', () => {
    let server: Server;
    let port: number;
    before(async () => {
      const tls = loadTls({ certFile: made.certFile, keyFile: made.keyFile });
      server = createServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end('parley over tls'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('is trusted by a client given the certificate as CA, for 127.0.0.1 and localhost', async () => {
      assert.deepEqual(await fetchTrusting(`https://127.0.0.1:${port}/`, made.cert), {
        status: 200,
        body: 'parley over tls',
      });
      // Same socket address, checked against the DNS name localhost (SNI + hostname check).
      const viaName = await fetchTrusting(`https://localhost:${port}/`, made.cert).catch((e: Error) => e);
      if (viaName instanceof Error) {
        // localhost may resolve to ::1 first on some systems, where nothing listens.
        assert.match(String((viaName as NodeJS.ErrnoException).code), /ECONNREFUSED/);
      } else assert.equal(viaName.status, 200);
    });

    it('is refused by a client that trusts another certificate', async () => {
      const otherDir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
      try {
        const other = makeSelfSignedCertificate({ dir: otherDir, hosts: ['127.0.0.1'] });
        await assert.rejects(fetchTrusting(`https://127.0.0.1:${port}/`, other.cert), /self[- ]signed/i);
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }
    });

    it('is refused for a name it does not cover', async () => {
      await assert.rejects(
        fetchTrusting(`https://127.0.0.1:${port}/`, made.cert, 'not-covered.test'),
        (err: NodeJS.ErrnoException) => err.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
      );
    });
  });
});

describe('loadTls', () => {
  let dir: string;
  let a: SelfSignedCertificate;
  let b: SelfSignedCertificate;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-load-'));
    a = makeSelfSignedCertificate({ dir: join(dir, 'a'), hosts: ['a.test'] });
    b = makeSelfSignedCertificate({ dir: join(dir, 'b'), hosts: ['b.test'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('returns cert, key, hosts and expiry for a matching pair', () => {
    const tls = loadTls({ certFile: a.certFile, keyFile: a.keyFile });
    assert.deepEqual(tls.hosts, ['a.test']);
    assert.deepEqual(tls.notAfter, a.notAfter);
  });

  it('names the problem: missing file, not PEM, key of another certificate, expired', () => {
    assert.throws(
      () => loadTls({ certFile: join(dir, 'nope.pem'), keyFile: a.keyFile }),
      /cannot read .*ENOENT/,
    );
    assert.throws(() => loadTls({ certFile: a.keyFile, keyFile: a.keyFile }), /is not a PEM certificate/);
    assert.throws(() => loadTls({ certFile: a.certFile, keyFile: a.certFile }), /is not a PEM private key/);
    assert.throws(() => loadTls({ certFile: a.certFile, keyFile: b.keyFile }), /does not belong/);
    assert.throws(
      () => loadTls({ certFile: a.certFile, keyFile: a.keyFile }, a.notAfter.getTime() + 1000),
      /expired on/,
    );
  });
});

describe('dev hosts and URLs', () => {
  it('devHosts names localhost, loopback and the LAN IPv4 addresses', () => {
    const hosts = devHosts();
    for (const h of ['localhost', '127.0.0.1', '::1', ...lanIPv4Addresses()]) assert.ok(hosts.includes(h), h);
    for (const ip of lanIPv4Addresses()) assert.ok(!ip.startsWith('127.'));
  });

  it('httpsUrls lists LAN addresses first and brackets IPv6', () => {
    assert.deepEqual(httpsUrls(['localhost', '127.0.0.1', '::1', '192.168.1.20', '*.x.test'], 8443), [
      'https://192.168.1.20:8443/',
      'https://localhost:8443/',
      'https://127.0.0.1:8443/',
      'https://[::1]:8443/',
    ]);
    assert.deepEqual(httpsUrls(['parley.example.com'], 443), ['https://parley.example.com/']);
  });

  it('normalizeHost folds case and IPv6 spellings', () => {
    assert.equal(normalizeHost('LocalHost'), 'localhost');
    assert.equal(normalizeHost('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normalizeHost('[::1]'), '::1');
  });
});
