/**
 * The access-control and TLS variables of `loadConfig`: defaults, parsing, and every problem
 * reported together (including the pairs and exclusions between variables).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@parley/server';

const SECRET = 'x'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'parley-auth-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config › access control and TLS', () => {
  it('defaults: no tokens, any origin, no trusted proxy, no TLS, limits per address', () => {
    const c = loadConfig({});
    assert.equal(c.authSecret, undefined);
    assert.equal(c.authPublicKey, undefined);
    assert.deepEqual(c.allowedOrigins, []);
    assert.equal(c.trustProxy, '');
    assert.equal(c.tlsCert, undefined);
    assert.equal(c.helloRatePerS, 10);
    assert.equal(c.helloBurst, 200);
    assert.equal(c.passwordRatePerS, 0.2);
    assert.equal(c.passwordBurst, 10);
  });

  it('parses origins as a list and accepts a P-256 public key inline or as a file', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const file = join(dir, 'public.pem');
    writeFileSync(file, pem);
    const c = loadConfig({
      PARLEY_ALLOWED_ORIGINS: ' https://a.example.com ,https://*.example.org,',
      PARLEY_AUTH_PUBLIC_KEY: file,
      PARLEY_TRUST_PROXY: 'loopback,10.0.0.0/8',
    });
    assert.deepEqual(c.allowedOrigins, ['https://a.example.com', 'https://*.example.org']);
    assert.ok(Object.isFrozen(c.allowedOrigins));
    assert.equal(c.authPublicKey, file);
    assert.equal(loadConfig({ PARLEY_AUTH_PUBLIC_KEY: pem }).authPublicKey, pem.trim());
    const jwk = JSON.stringify(publicKey.export({ format: 'jwk' }));
    assert.equal(loadConfig({ PARLEY_AUTH_PUBLIC_KEY: jwk }).authPublicKey, jwk);
  });

  it('reports every problem at once: short secret, bad key, bad origin, bad proxy, lone TLS file', () => {
    const { publicKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const found = problems({
      PARLEY_AUTH_SECRET: 'short',
      PARLEY_AUTH_PUBLIC_KEY: rsa.export({ type: 'spki', format: 'pem' }).toString(),
      PARLEY_ALLOWED_ORIGINS: 'https://ok.example.com,ftp://nope,*.com',
      PARLEY_TRUST_PROXY: 'loopback,not-an-address',
      PARLEY_TLS_CERT: '/etc/ssl/cert.pem',
      PARLEY_HELLO_BURST: '0',
    });
    const names = found.map((p) => p.split(/[=:]/)[0]);
    for (const name of [
      'PARLEY_AUTH_SECRET',
      'PARLEY_AUTH_PUBLIC_KEY',
      'PARLEY_ALLOWED_ORIGINS',
      'PARLEY_TRUST_PROXY',
      'PARLEY_HELLO_BURST',
    ]) {
      assert.ok(names.includes(name), `${name} reported in ${JSON.stringify(found)}`);
    }
    assert.ok(found.some((p) => /PARLEY_TLS_CERT and PARLEY_TLS_KEY/.test(p)));
    // The secret's value is never echoed (the error goes to stderr and the journal).
    assert.ok(!found.some((p) => p.includes('short')), JSON.stringify(found));
  });

  it('refuses a secret and a public key together, and a missing key file', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.ok(
      problems({ PARLEY_AUTH_SECRET: SECRET, PARLEY_AUTH_PUBLIC_KEY: pem }).some((p) =>
        /at most one/.test(p),
      ),
    );
    assert.ok(
      problems({ PARLEY_AUTH_PUBLIC_KEY: join(dir, 'missing.pem') }).some((p) =>
        p.startsWith('PARLEY_AUTH_PUBLIC_KEY='),
      ),
    );
    assert.equal(loadConfig({ PARLEY_AUTH_SECRET: SECRET }).authSecret, SECRET);
  });
});
