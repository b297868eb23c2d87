/**
 * Janus's TURN REST endpoint, the pure part: when it is on, the key check, and the reply Janus
 * reads (`username`, `password`, `ttl`, `uris`) minted like the browsers' credentials.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '@parley/server';
import {
  janusTurnDisabledReason,
  janusTurnKeyMatches,
  janusTurnName,
  janusTurnReply,
} from '../../../../packages/server/src/turn/janus-turn.ts';

const KEY = 'a-janus-turn-key-of-some-length';
const on = {
  janusTurnKey: KEY,
  turnSecret: 'coturn-secret',
  turnUrls: [
    'stun:turn.example.org:3478',
    'turn:turn.example.org:3478?transport=udp',
    'turns:turn.example.org:5349',
  ],
  turnTtlS: 600,
};

describe('Janus TURN REST endpoint', () => {
  it('JanusTurn › on only with the key, a TURN secret and a turn: URL', () => {
    assert.equal(janusTurnDisabledReason(on), undefined);
    assert.match(janusTurnDisabledReason({ ...on, janusTurnKey: undefined })!, /PARLEY_JANUS_TURN_KEY/);
    assert.match(janusTurnDisabledReason({ ...on, turnSecret: undefined })!, /PARLEY_TURN_SECRET/);
    assert.match(janusTurnDisabledReason({ ...on, turnUrls: ['stun:x:3478'] })!, /PARLEY_TURN_URLS/);
  });

  it('JanusTurn › the key must match exactly; no key never matches', () => {
    assert.equal(janusTurnKeyMatches(on, KEY), true);
    assert.equal(janusTurnKeyMatches(on, `${KEY}x`), false);
    assert.equal(janusTurnKeyMatches(on, KEY.slice(1)), false);
    assert.equal(janusTurnKeyMatches(on, ''), false);
    assert.equal(janusTurnKeyMatches(on, undefined), false);
    assert.equal(janusTurnKeyMatches({ ...on, janusTurnKey: undefined }, ''), false);
  });

  it('JanusTurn › reply: expiring username, HMAC password, ttl, only turn(s): URIs', () => {
    const now = 1_800_000_000_000;
    const r = janusTurnReply(on, '1234567890', now);
    assert.equal(r.username, `${now / 1000 + 600}:janus-1234567890`);
    assert.equal(r.password, createHmac('sha1', 'coturn-secret').update(r.username).digest('base64'));
    assert.equal(r.ttl, 600);
    assert.deepEqual(r.uris, ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']);
    assert.deepEqual(Object.keys(r).sort(), ['password', 'ttl', 'uris', 'username']);
  });

  it('JanusTurn › the name from Janus is reduced to safe characters', () => {
    assert.equal(janusTurnName(undefined), 'janus');
    assert.equal(janusTurnName(''), 'janus');
    assert.equal(janusTurnName('a:b c/d\nparley-sub.1'), 'janus-abcdparley-sub.1');
    assert.equal(janusTurnName('x'.repeat(200)).length, 'janus-'.length + 64);
  });

  it('Config › PARLEY_JANUS_TURN_KEY is a secret of at least 16 bytes', () => {
    assert.equal(loadConfig({ PARLEY_JANUS_TURN_KEY: KEY }).janusTurnKey, KEY);
    assert.equal(loadConfig({}).janusTurnKey, undefined);
    assert.throws(
      () => loadConfig({ PARLEY_JANUS_TURN_KEY: 'short-key' }),
      (err: Error) =>
        /PARLEY_JANUS_TURN_KEY=\(hidden\)/.test(err.message) && !err.message.includes('short-key'),
    );
  });
});
