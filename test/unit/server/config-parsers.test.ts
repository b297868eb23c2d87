// @needs openssl
/**
 * The building blocks of the configuration tables (config/parsers.ts): each validator agrees
 * with the module that will parse the value, and the list and number helpers coerce as the
 * README says. Also `PARLEY_OPENSSL`, read by the configuration and handed to the certificate
 * maker instead of being read from the environment there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, makeSelfSignedCertificate } from '@parley/server';
import {
  iceUrlList,
  int,
  isBlockList,
  isOriginList,
  isTrustSetting,
  num,
  splitList,
} from '../../../packages/server/src/config/parsers.ts';

describe('config parsers', () => {
  it('splitList trims and drops empty entries', () => {
    assert.deepEqual(splitList(' a, b,,c ,'), ['a', 'b', 'c']);
    assert.deepEqual(splitList(''), []);
  });

  it('int and num coerce text within their range', () => {
    assert.equal(int(1, 10).parse('7'), 7);
    assert.equal(int(1, 10).safeParse('7.5').success, false);
    assert.equal(int(1, 10).safeParse('11').success, false);
    assert.equal(num(0, 1).parse('0.25'), 0.25);
    assert.equal(num(0, 1).safeParse('abc').success, false);
  });

  it('iceUrlList takes stun:, stuns:, turn: and turns: URLs only', () => {
    assert.deepEqual(iceUrlList().parse('stun:a:3478, turns:b'), ['stun:a:3478', 'turns:b']);
    assert.equal(iceUrlList().safeParse('http://a').success, false);
  });

  it('each validator accepts what its module parses and refuses what it throws on', () => {
    assert.equal(isOriginList(['https://a.example.com', 'https://*.example.org', '*']), true);
    assert.equal(isOriginList(['ftp://nope']), false);
    assert.equal(isTrustSetting('loopback,private,10.0.0.0/8'), true);
    assert.equal(isTrustSetting('not-an-address'), false);
    assert.equal(isBlockList(['203.0.113.7', '2001:db8::/32']), true);
    assert.equal(isBlockList(['203.0.113.0/99']), false);
  });
});

describe('PARLEY_OPENSSL', () => {
  it('defaults to openssl, and the certificate maker runs the command it is given', () => {
    assert.equal(loadConfig({}).openssl, 'openssl');
    assert.equal(loadConfig({ PARLEY_OPENSSL: '/opt/ssl/bin/openssl' }).openssl, '/opt/ssl/bin/openssl');
    const dir = mkdtempSync(join(tmpdir(), 'parley-openssl-'));
    try {
      const missing = join(dir, 'no-such-openssl');
      assert.throws(
        () => makeSelfSignedCertificate({ dir, hosts: ['localhost'], openssl: missing }),
        (err: Error) => err.message.includes(missing),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
