/**
 * Configuration problems are printed to stderr and the journal: a value that may hold a secret
 * must never be echoed there (REVIEW-SECURITY finding 13), and the hardening defaults of
 * issue 15 hold with nothing set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONFIG_VARS, ConfigError, loadConfig } from '@parley/server';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('config › secrets in errors', () => {
  it('a malformed PARLEY_REDIS_URL is reported without its password', () => {
    const text = problemsOf({ PARLEY_REDIS_URL: 'redis//:SuperSecretRedisPw@10.0.0.5:6379' });
    assert.match(text, /PARLEY_REDIS_URL/);
    assert.doesNotMatch(text, /SuperSecretRedisPw/);
  });

  it('every variable that can carry a credential is marked secret', () => {
    const secret = Object.entries(CONFIG_VARS)
      .filter(([, spec]) => 'secret' in spec && spec.secret)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(secret, [
      'PARLEY_AUTH_SECRET',
      'PARLEY_JANUS_ADMIN_KEY',
      'PARLEY_JANUS_API_SECRET',
      'PARLEY_JANUS_TURN_KEY',
      'PARLEY_METRICS_TOKEN',
      'PARLEY_RECORDINGS_TOKEN',
      'PARLEY_REDIS_URL',
      'PARLEY_TURN_SECRET',
    ]);
    for (const name of ['PARLEY_METRICS_TOKEN', 'PARLEY_AUTH_SECRET', 'PARLEY_RECORDINGS_TOKEN']) {
      assert.doesNotMatch(problemsOf({ [name]: 'short-Secret' }), /short-Secret/);
    }
  });

  it('credentials in any other URL-shaped value are masked too', () => {
    const text = problemsOf({ PARLEY_JANUS_URL: 'http://admin:JanusPw@janus.local:8188' });
    assert.match(text, /PARLEY_JANUS_URL/);
    assert.doesNotMatch(text, /JanusPw/);
  });
});

describe('config › hardening defaults', () => {
  it('short header and request timeouts, connection caps, metrics for loopback, 24 h tokens', () => {
    const c = loadConfig({});
    assert.equal(c.headersTimeoutMs, 10_000);
    assert.equal(c.requestTimeoutMs, 30_000);
    assert.equal(c.maxConnections, 10_000);
    assert.equal(c.maxSocketsPerIp, 128);
    assert.equal(c.metricsFrom, 'loopback');
    assert.equal(c.metricsToken, undefined);
    assert.equal(c.authMaxTokenAgeS, 86_400);
    assert.deepEqual(c.allowedOrigins, []);
  });

  it('refuses a request timeout shorter than the headers timeout, and bad metrics entries', () => {
    const text = problemsOf({
      PARLEY_HEADERS_TIMEOUT_MS: '5000',
      PARLEY_REQUEST_TIMEOUT_MS: '1000',
      PARLEY_METRICS_FROM: 'everyone',
    });
    assert.match(text, /PARLEY_REQUEST_TIMEOUT_MS/);
    assert.match(text, /PARLEY_METRICS_FROM/);
    assert.equal(loadConfig({ PARLEY_METRICS_FROM: 'any' }).metricsFrom, 'any');
  });
});
