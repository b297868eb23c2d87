import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mintTurnCredentials } from '../../../../packages/server/src/turn/credentials.ts';

// The server's TURN REST minting against vectors computed independently with the openssl CLI:
//   printf '%s' '1700003600:alice' | openssl dgst -sha1 -hmac 'north-wind-secret' -binary | base64
//   printf '%s' '1700000060:bob' | openssl dgst -sha1 -hmac 's3cr3t' -binary | base64
// coturn accepting exactly these credentials is proven in test/integration/server/turn/coturn.test.ts.
describe('mintTurnCredentials (TURN REST API vectors)', () => {
  it('puts the expiry (now + ttl, in seconds) before the name', () => {
    const c = mintTurnCredentials('north-wind-secret', 'alice', 3600, 1_700_000_000_000);
    assert.equal(c.username, '1700003600:alice');
    assert.equal(c.expiresAtS, 1_700_003_600);
  });

  it('signs the username with base64(HMAC-SHA1(secret, username)) (openssl vectors)', () => {
    assert.equal(
      mintTurnCredentials('north-wind-secret', 'alice', 3600, 1_700_000_000_000).credential,
      'Ev9WJy6IiNjALah9jF2ImB4FP0Y=',
    );
    assert.equal(
      mintTurnCredentials('s3cr3t', 'bob', 60, 1_700_000_000_000).credential,
      'jd72sPkErvEEF+SM0RvuSiLg9Cc=',
    );
  });

  it('floors fractional milliseconds and ttl to whole seconds', () => {
    assert.equal(mintTurnCredentials('s3cr3t', 'bob', 60.9, 1_700_000_000_999).username, '1700000060:bob');
  });
});
