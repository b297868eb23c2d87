/**
 * `PARLEY_REDIS_URL` naming Redis Sentinel: what is accepted (several sentinels, default port,
 * password, db, TLS, a sentinel password) and what is refused with a readable reason, at
 * configuration time; the password never appears in a problem or a redacted URL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../packages/server/src/config/load-config.ts';
import { redactUrl } from '../../../packages/server/src/directory/redis.ts';
import { sentinelOptions } from '../../../packages/server/src/directory/redis-connection.ts';
import { parseSentinelUrl } from '../../../packages/server/src/directory/redis-url.ts';

describe('Redis Sentinel URL', () => {
  it('Sentinel URL › several sentinels, a default port, password, db and TLS', () => {
    assert.deepEqual(
      parseSentinelUrl('redis+sentinel://:s3cret@10.0.0.1:26380,sentinel-b,[::1]:26381/main/2'),
      {
        sentinels: [
          { host: '10.0.0.1', port: 26380 },
          { host: 'sentinel-b', port: 26379 },
          { host: '::1', port: 26381 },
        ],
        name: 'main',
        username: undefined,
        password: 's3cret',
        sentinelPassword: undefined,
        db: 2,
        tls: false,
      },
    );
    const t = parseSentinelUrl('rediss+sentinel://app:p%40ss@h:1/m?sentinelPassword=x%26y');
    assert.ok(!('problem' in t));
    assert.equal(t.username, 'app');
    assert.equal(t.password, 'p@ss');
    assert.equal(t.sentinelPassword, 'x&y');
    assert.equal(t.tls, true);
    const o = sentinelOptions('rediss+sentinel://h:1/m');
    assert.equal(o?.enableTLSForSentinelMode, true);
    assert.equal(o?.name, 'm');
    assert.equal(sentinelOptions('redis://h:1'), undefined);
  });

  it('Sentinel URL › hostile or mistaken URLs are refused at configuration time, without the password', () => {
    const bad = [
      'redis+sentinel://h:1', // no master name
      'redis+sentinel:///m', // no sentinel
      'redis+sentinel://h:99999/m', // port out of range
      'redis+sentinel://h:1/m/16', // db out of range
      'redis+sentinel://h:1/ma ster', // bad master name
      `redis+sentinel://h:1/${'m'.repeat(65)}`, // master name too long
      `redis+sentinel://${Array.from({ length: 17 }, (_, i) => `h${i}:1`).join(',')}/m`, // too many
      'redis+sentinel://:p%ZZ@h:1/m', // bad percent-encoding
      'redis+sentinel://h:1/m?db=3', // unknown parameter
      'redis+sentinel://h:1,,h:2/m', // empty address
    ];
    for (const url of bad) {
      assert.ok('problem' in parseSentinelUrl(url), url);
      assert.throws(
        () =>
          loadConfig({
            PARLEY_REDIS_URL: url.replace('//', '//:hunter2@').replace(/:hunter2@:p%ZZ@/, ':p%ZZ@'),
          }),
        (err: unknown) => err instanceof ConfigError && !String((err as Error).message).includes('hunter2'),
        url,
      );
    }
    assert.throws(() => loadConfig({ PARLEY_REDIS_URL: 'sentinel://h:1/m' }), ConfigError);
    assert.equal(
      loadConfig({ PARLEY_REDIS_URL: 'redis+sentinel://a:1,b:2/m' }).redisUrl,
      'redis+sentinel://a:1,b:2/m',
    );
  });

  it('Sentinel URL › redacted for messages: the password and the sentinel password', () => {
    assert.equal(
      redactUrl('redis+sentinel://:pw@a:1,b:2/m?sentinelPassword=spw'),
      'redis+sentinel://:***@a:1,b:2/m?sentinelPassword=***',
    );
    assert.equal(redactUrl('redis://:pw@h:1'), 'redis://:***@h:1');
    assert.equal(redactUrl('redis://h:1'), 'redis://h:1');
  });
});
