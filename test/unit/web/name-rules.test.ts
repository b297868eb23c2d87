/** The display-name rules as people read them (packages/web/src/app/name-rules.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '@parley/protocol';
import { nameProblem } from '../../../packages/web/src/app/name-rules.ts';

describe('web name rules', () => {
  it('accepts the protocol alphabet up to its length', () => {
    for (const name of ['alice', 'a', 'ada.lovelace', 'bob-2', 'x_y', 'a'.repeat(LIMITS.nameMaxChars)])
      assert.equal(nameProblem(name), null, name);
  });

  it('says what is wrong with a name', () => {
    assert.match(nameProblem('') ?? '', /Type a name/);
    assert.match(nameProblem('a'.repeat(LIMITS.nameMaxChars + 1)) ?? '', /at most/);
    assert.match(nameProblem('two words') ?? '', /no spaces/);
    assert.match(nameProblem('emoji🙂') ?? '', /letters, digits/);
  });
});
