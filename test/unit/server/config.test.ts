import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIG_VARS, ConfigError, configTableMarkdown, loadConfig } from '@parley/server';

const README = new URL('../../../README.md', import.meta.url);

describe('loadConfig', () => {
  it('works with nothing set: every variable has a default', () => {
    const c = loadConfig({});
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 8080);
    assert.equal(c.logLevel, 'info');
    assert.match(c.webDir, /packages\/web\/dist$/);
    assert.equal(c.maxFrameBytes, 65536);
    assert.equal(c.ratePerS, 50);
    assert.equal(c.rateBurst, 100);
    assert.equal(c.floodStrikes, 32);
    assert.equal(c.maxConnsPerIp, 64);
    assert.equal(c.maxRoomsPerSession, 16);
    assert.equal(c.maxPeersPerRoom, 50);
    assert.equal(c.maxSendBufferBytes, 1024 * 1024);
    assert.equal(c.heartbeatMs, 15000);
    assert.equal(c.graceS, 20);
    assert.equal(c.queueMax, 256);
    assert.equal(c.helloTimeoutMs, 10000);
    assert.equal(c.ringTimeoutS, 30);
    assert.equal(c.drainMs, 5000);
    assert.deepEqual(c.stunUrls, []);
    assert.deepEqual(c.turnUrls, []);
    assert.equal(c.turnSecret, undefined);
    assert.equal(c.turnTtlS, 600);
    assert.equal(c.turnPerAddress, 8);
    assert.equal(c.icePerMin, 6);
    assert.equal(c.presence, true);
  });

  it('coerces strings, splits lists and treats empty values as unset', () => {
    const c = loadConfig({
      PARLEY_PORT: '0',
      PARLEY_GRACE_S: '0.3',
      PARLEY_STUN_URLS: ' stun:a.example:3478 , stun:b.example ',
      PARLEY_TURN_URLS: '',
      PARLEY_PRESENCE: 'off',
      PARLEY_LOG_LEVEL: 'silent',
    });
    assert.equal(c.port, 0);
    assert.equal(c.graceS, 0.3);
    assert.deepEqual(c.stunUrls, ['stun:a.example:3478', 'stun:b.example']);
    assert.deepEqual(c.turnUrls, []);
    assert.equal(c.presence, false);
    assert.equal(c.logLevel, 'silent');
  });

  it('reports every problem at once in one ConfigError', () => {
    assert.throws(
      () =>
        loadConfig({
          PARLEY_PORT: '70000',
          PARLEY_LOG_LEVEL: 'loud',
          PARLEY_RATE_BURST: 'many',
          PARLEY_STUN_URLS: 'http://not-stun',
          PARLEY_PRESENCE: 'maybe',
        }),
      (err) => {
        assert.ok(err instanceof ConfigError);
        const names = err.problems.map((p) => p.split('=')[0] ?? '');
        assert.deepEqual(names.sort(), [
          'PARLEY_LOG_LEVEL',
          'PARLEY_PORT',
          'PARLEY_PRESENCE',
          'PARLEY_RATE_BURST',
          'PARLEY_STUN_URLS',
        ]);
        for (const n of names) assert.ok(err.message.includes(n));
        return true;
      },
    );
  });

  it('freezes the result, lists included', () => {
    const c = loadConfig({ PARLEY_STUN_URLS: 'stun:x' });
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.stunUrls));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    });
  });

  it('ignores variables outside PARLEY_*', () => {
    assert.equal(loadConfig({ PORT: '1234' }).port, 8080);
  });
});

describe('README configuration table', () => {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(
    text.indexOf('<!-- config-table:start -->'),
    text.indexOf('<!-- config-table:end -->'),
  );
  const documented = [...section.matchAll(/^\| `(PARLEY_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);

  it('documents every variable of the schema, and no other', () => {
    assert.deepEqual([...documented].sort(), Object.keys(CONFIG_VARS).sort());
  });

  it('matches the table generated from the schema (defaults and meanings included)', () => {
    assert.equal(section.replace('<!-- config-table:start -->', '').trim(), configTableMarkdown());
  });
});
