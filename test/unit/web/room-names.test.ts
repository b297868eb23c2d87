/** Names for new rooms (packages/web/src/app/room-names.ts): valid room names, and varied. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomRoomName } from '../../../packages/web/src/app/room-names.ts';
import { isRoomName } from '../../../packages/web/src/app/router.ts';

describe('web room names', () => {
  it('are adjective-noun-four digits, and valid room names', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomRoomName();
      assert.match(name, /^[a-z]+-[a-z]+-\d{4}$/);
      assert.ok(isRoomName(name), name);
    }
  });

  it('rarely repeat', () => {
    const names = new Set(Array.from({ length: 200 }, () => randomRoomName()));
    assert.ok(names.size > 190, `${names.size} distinct of 200`);
  });
});
