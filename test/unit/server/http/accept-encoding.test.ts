/**
 * Content negotiation of static files (packages/server/src/http/accept-encoding.ts): q-values,
 * `*`, `identity`, refusals with `q=0`, and hostile headers (garbage, huge, repeated) that never
 * throw and never pick a coding the client did not offer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseEncoding,
  ENCODINGS,
  parseAcceptEncoding,
} from '../../../../packages/server/src/http/accept-encoding.ts';

const pick = (header: string | string[] | undefined) => chooseEncoding(header, ENCODINGS);

describe('accept-encoding › chooseEncoding', () => {
  it('prefers brotli when a browser offers both, gzip when only gzip', () => {
    assert.equal(pick('gzip, deflate, br, zstd'), 'br');
    assert.equal(pick('gzip, deflate'), 'gzip');
    assert.equal(pick('x-gzip'), 'gzip');
    assert.equal(pick('deflate, zstd'), 'identity');
  });

  it('no header, an empty one or only identity: the file as it is', () => {
    assert.equal(pick(undefined), 'identity');
    assert.equal(pick(''), 'identity');
    assert.equal(pick('identity'), 'identity');
  });

  it('honours q-values, and q=0 refuses a coding', () => {
    assert.equal(pick('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(pick('br;q=0, gzip'), 'gzip');
    assert.equal(pick('br;q=0, gzip;q=0'), 'identity');
    assert.equal(pick('BR ; Q=1.0'), 'br');
    assert.equal(pick('gzip;q=0.2, identity'), 'identity', 'identity named higher wins');
    assert.equal(pick('gzip;q=0.5, identity;q=0.5'), 'gzip', 'a tie goes to the compressed copy');
  });

  it('`*` covers the codings not named, and `*;q=0` refuses them', () => {
    assert.equal(pick('*'), 'br');
    assert.equal(pick('br;q=0, *'), 'gzip');
    assert.equal(pick('*;q=0'), 'identity');
    assert.equal(pick('gzip, *;q=0'), 'gzip');
  });

  it('hostile headers: garbage entries are ignored, never an error', () => {
    for (const header of [
      ';;;,,,',
      'br;q=2',
      'br;q=-1',
      'br;q=abc',
      'br;q=0.5000',
      'br;level=11',
      '\u0000br',
      'b r',
      '"br"',
    ]) {
      assert.equal(pick(header), 'identity', JSON.stringify(header));
    }
    assert.equal(pick('br;q=2, gzip'), 'gzip');
  });

  it('a huge header: only its first KiB and 32 entries are read, quickly', () => {
    const filler = Array.from({ length: 100_000 }, () => 'deflate').join(', ');
    const started = performance.now();
    assert.equal(pick(`${filler}, br`), 'identity', 'br is past the read limit');
    assert.equal(pick(`gzip, ${filler}`), 'gzip');
    assert.equal(pick([`${'x'.repeat(5000)}`, 'br']), 'identity');
    assert.ok(performance.now() - started < 200);
    assert.ok(parseAcceptEncoding(filler).size <= 32);
  });

  it('a repeated coding keeps its first weight', () => {
    assert.equal(pick('br;q=0, br;q=1, gzip;q=0.1'), 'gzip');
  });
});
