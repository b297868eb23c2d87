import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { iceServersFor, mintTurnCredentials } from '@parley/server';

describe('mintTurnCredentials', () => {
  it('username is <expiry>:<name>, credential is base64(HMAC-SHA1(secret, username))', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    const c = mintTurnCredentials('north', 'alice', 3600, now);
    const expiry = now / 1000 + 3600;
    assert.equal(c.username, `${expiry}:alice`);
    assert.equal(c.expiresAtS, expiry);
    const expected = createHmac('sha1', 'north').update(`${expiry}:alice`).digest('base64');
    assert.equal(c.credential, expected);
  });

  it('matches a fixed vector', () => {
    // Computed once with: printf '%s' '1767229200:bob' | openssl dgst -sha1 -hmac 'secret' -binary | base64
    const c = mintTurnCredentials('secret', 'bob', 0, 1767229200_000);
    assert.equal(c.username, '1767229200:bob');
    assert.equal(c.credential, 'On6OgQsakI7QfIbJGzl/JM+/ii0=');
  });
});

describe('iceServersFor', () => {
  const base = {
    stunUrls: ['stun:s.example'],
    turnUrls: ['turn:t.example'],
    turnSecret: undefined,
    turnTtlS: 60,
  };

  it('lists nothing when nothing is configured (no third-party STUN by default)', () => {
    assert.deepEqual(iceServersFor({ ...base, stunUrls: [], turnUrls: [] }, 'x'), []);
  });

  it('STUN first, then TURN bare without a secret', () => {
    assert.deepEqual(iceServersFor(base, 'x'), [{ urls: ['stun:s.example'] }, { urls: ['turn:t.example'] }]);
  });

  it('TURN with minted credentials when a secret is set', () => {
    const [, turn] = iceServersFor({ ...base, turnSecret: 'k' }, 'carol', 1_000_000);
    assert.equal(turn?.username, `${1000 + 60}:carol`);
    assert.equal(turn?.credential, createHmac('sha1', 'k').update(`${1060}:carol`).digest('base64'));
  });
});
