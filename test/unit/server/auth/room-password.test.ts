import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS } from '@parley/protocol';
import {
  admitWithPassword,
  hashRoomPassword,
  ROOM_PASSWORD_REFUSED,
  verifyRoomPassword,
} from '../../../../packages/server/src/auth/room-password.ts';

// Cheap parameters keep the suite fast; the default cost is exercised once below.
const FAST = { N: 1 << 10, r: 8, p: 1 };

describe('hashRoomPassword / verifyRoomPassword', () => {
  it('round-trips, and a wrong password does not match', async () => {
    const hash = await hashRoomPassword('correct horse', FAST);
    assert.match(hash, /^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.equal(await verifyRoomPassword('correct horse', hash), true);
    assert.equal(await verifyRoomPassword('correct horsE', hash), false);
    assert.equal(await verifyRoomPassword('', hash), false);
  });

  it('salts every hash (same password, different hashes)', async () => {
    const [a, b] = await Promise.all([hashRoomPassword('pw', FAST), hashRoomPassword('pw', FAST)]);
    assert.notEqual(a, b);
    assert.equal(await verifyRoomPassword('pw', b), true);
  });

  it('matches NFC and NFD spellings of the same password', async () => {
    const hash = await hashRoomPassword('caf\u00e9', FAST);
    assert.equal(await verifyRoomPassword('cafe\u0301', hash), true);
  });

  it('uses scrypt N=2^14 by default and still verifies', async () => {
    const hash = await hashRoomPassword('default-cost');
    assert.ok(hash.startsWith('scrypt$16384$8$1$'));
    assert.equal(await verifyRoomPassword('default-cost', hash), true);
  });

  it('treats malformed or hostile stored values as no match (never throws, never stalls)', async () => {
    const good = await hashRoomPassword('pw', FAST);
    const parts = good.split('$');
    const variants = [
      '',
      'plain-text-password',
      good.replace('scrypt', 'bcrypt'),
      [...parts.slice(0, 1), String(1 << 24), ...parts.slice(2)].join('$'), // N too large
      [...parts.slice(0, 1), '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [...parts.slice(0, 5), 'c2hvcnQ'].join('$'), // hash of the wrong length
    ];
    for (const stored of variants) assert.equal(await verifyRoomPassword('pw', stored), false, stored);
  });
});

describe('admitWithPassword', () => {
  const refused = (message: string | RegExp, reason: string) => ({
    name: 'ParleyError',
    code: 'FORBIDDEN',
    message,
    reason,
  });

  it('the first joiner of an empty room without a password leaves it open', async () => {
    assert.deepEqual(await admitWithPassword({ occupied: false, hash: undefined, offered: undefined }), {
      kind: 'open',
    });
  });

  it('the first joiner with a password protects the room (a hash to store)', async () => {
    const r = await admitWithPassword({ occupied: false, hash: undefined, offered: 'pw-long-enough' });
    assert.equal(r.kind, 'protect');
    assert.ok(r.kind === 'protect' && (await verifyRoomPassword('pw-long-enough', r.hash)));
  });

  it('a password shorter than LIMITS.passwordMinChars cannot protect a new room (finding 12)', async () => {
    assert.equal(LIMITS.passwordMinChars, 8);
    for (const short of ['x', '1234567', '\u{1F600}'.repeat(7)]) {
      await assert.rejects(admitWithPassword({ occupied: false, hash: undefined, offered: short }), {
        name: 'ParleyError',
        code: 'BAD_MESSAGE',
        message: /at least 8 characters/,
        reason: 'password_too_short',
      });
    }
    // Eight code points, even when each is two UTF-16 units, is enough.
    const emoji = await admitWithPassword({
      occupied: false,
      hash: undefined,
      offered: '\u{1F600}'.repeat(8),
    });
    assert.equal(emoji.kind, 'protect');
    // At a protected room a short guess is just wrong: same answer as any wrong password.
    const hash = await hashRoomPassword('long-enough', FAST);
    await assert.rejects(
      admitWithPassword({ occupied: true, hash, offered: 'x' }),
      refused(ROOM_PASSWORD_REFUSED, 'password_wrong'),
    );
  });

  it('later joiners of a protected room must give the same password', async () => {
    const hash = await hashRoomPassword('pw', FAST);
    assert.deepEqual(await admitWithPassword({ occupied: true, hash, offered: 'pw' }), { kind: 'match' });
    await assert.rejects(
      admitWithPassword({ occupied: true, hash, offered: 'nope' }),
      refused(ROOM_PASSWORD_REFUSED, 'password_wrong'),
    );
  });

  it('answers a missing password with the message of a wrong one (the reason says only what was sent)', async () => {
    const hash = await hashRoomPassword('pw', FAST);
    await assert.rejects(
      admitWithPassword({ occupied: true, hash, offered: undefined }),
      refused(ROOM_PASSWORD_REFUSED, 'password_required'),
    );
  });

  it('refuses a password for a room that exists without one (rather than pretending it is private)', async () => {
    await assert.rejects(
      admitWithPassword({ occupied: true, hash: undefined, offered: 'pw' }),
      refused(/room is open/, 'room_open'),
    );
    assert.deepEqual(await admitWithPassword({ occupied: true, hash: undefined, offered: undefined }), {
      kind: 'open',
    });
  });

  it('a stale hash on an empty room is ignored: the next first joiner decides again', async () => {
    const hash = await hashRoomPassword('old', FAST);
    assert.deepEqual(await admitWithPassword({ occupied: false, hash, offered: undefined }), {
      kind: 'open',
    });
  });
});
