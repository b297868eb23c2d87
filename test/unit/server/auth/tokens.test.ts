import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import {
  authorizeName,
  authorizeRoom,
  createTokenVerifier,
  globMatch,
  isRoomAllowed,
  roleInRoom,
  type TokenVerifier,
} from '../../../../packages/server/src/auth/tokens.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const now = () => Math.floor(Date.now() / 1000);

function hs256(payload: JWTPayload, secret = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

async function rejects(promise: Promise<unknown>, code: string, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ParleyError, `not a ParleyError: ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, reason);
    return true;
  });
}

describe('createTokenVerifier (HS256)', () => {
  let verifier: TokenVerifier;
  before(async () => {
    verifier = await createTokenVerifier({ secret: SECRET });
  });

  it('accepts a valid token and returns name, rooms and exp', async () => {
    const exp = now() + 600;
    const claims = await verifier.verify(await hs256({ name: 'alice', rooms: ['standup', 'team-*'], exp }));
    assert.deepEqual(claims, { name: 'alice', rooms: ['standup', 'team-*'], exp });
    assert.equal(verifier.algorithm, 'HS256');
  });

  it('leaves rooms undefined when the token has no rooms claim (any room)', async () => {
    const claims = await verifier.verify(await hs256({ name: 'bob', exp: now() + 60 }));
    assert.equal(claims.rooms, undefined);
  });

  it('refuses a missing or empty token', async () => {
    await rejects(verifier.verify(undefined), 'UNAUTHORIZED', /required/);
    await rejects(verifier.verify(''), 'UNAUTHORIZED', /required/);
  });

  it('refuses an expired token, but tolerates a few seconds of clock skew', async () => {
    await rejects(verifier.verify(await hs256({ name: 'a', exp: now() - 30 })), 'UNAUTHORIZED', /expired/);
    const justNow = await verifier.verify(await hs256({ name: 'a', exp: now() - 2 }));
    assert.equal(justNow.name, 'a');
  });

  it('refuses a token without exp', async () => {
    await rejects(verifier.verify(await hs256({ name: 'a' })), 'UNAUTHORIZED', /no expiry/);
  });

  it('refuses a token not valid yet (nbf in the future)', async () => {
    const t = await hs256({ name: 'a', exp: now() + 600, nbf: now() + 300 });
    await rejects(verifier.verify(t), 'UNAUTHORIZED', /not valid yet/);
  });

  it('refuses a bad signature (other secret, tampered payload)', async () => {
    const other = await hs256({ name: 'a', exp: now() + 60 }, 'another-secret-that-is-also-long-enough!!');
    await rejects(verifier.verify(other), 'UNAUTHORIZED', /signature invalid/);
    const [h, , s] = (await hs256({ name: 'a', exp: now() + 60 })).split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ name: 'admin', exp: now() + 60 })).toString(
      'base64url',
    );
    await rejects(verifier.verify(`${h}.${forgedPayload}.${s}`), 'UNAUTHORIZED', /signature invalid/);
  });

  it('refuses other algorithms, including alg "none" and HS384 with the right secret', async () => {
    await rejects(
      verifier.verify(await hs256({ name: 'a', exp: now() + 60 }, SECRET, 'HS384')),
      'UNAUTHORIZED',
      /algorithm not allowed/,
    );
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ name: 'a', exp: now() + 60 })).toString('base64url');
    await rejects(verifier.verify(`${header}.${body}.`), 'UNAUTHORIZED', /algorithm not allowed/);
  });

  it('refuses garbage and an oversized token', async () => {
    await rejects(verifier.verify('not-a-jwt'), 'UNAUTHORIZED', /malformed/);
    await rejects(verifier.verify('x'.repeat(5000)), 'UNAUTHORIZED', /too long/);
  });

  it('refuses a token without a usable name claim', async () => {
    await rejects(verifier.verify(await hs256({ sub: 'alice', exp: now() + 60 })), 'UNAUTHORIZED', /no name/);
    await rejects(verifier.verify(await hs256({ name: 42, exp: now() + 60 })), 'UNAUTHORIZED', /no name/);
    await rejects(
      verifier.verify(await hs256({ name: 'bad name!', exp: now() + 60 })),
      'UNAUTHORIZED',
      /not a valid peer name/,
    );
  });

  it('refuses a malformed rooms claim', async () => {
    for (const rooms of ['standup', [1], ['ok', 'bad room'], Array.from({ length: 65 }, (_, i) => `r${i}`)]) {
      await rejects(
        verifier.verify(await hs256({ name: 'a', rooms, exp: now() + 60 } as JWTPayload)),
        'UNAUTHORIZED',
        /rooms claim invalid/,
      );
    }
  });

  it('reads a roles claim: the first matching pattern grants its role (issue 21)', async () => {
    const exp = now() + 60;
    const claims = await verifier.verify(
      await hs256({ name: 'teacher', roles: { 'class-1': 'viewer', 'class-*': 'host' }, exp }),
    );
    assert.equal(roleInRoom(claims, 'class-1'), 'viewer');
    assert.equal(roleInRoom(claims, 'class-2'), 'host');
    assert.equal(roleInRoom(claims, 'other'), undefined);
    const plain = await verifier.verify(await hs256({ name: 'pupil', exp }));
    assert.equal(roleInRoom(plain, 'class-1'), undefined);
  });

  it('refuses a malformed roles claim', async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`r${i}`, 'host']));
    for (const roles of [['host'], 'host', { room: 'admin' }, { 'bad room': 'host' }, many, null]) {
      await rejects(
        verifier.verify(await hs256({ name: 'a', roles, exp: now() + 60 } as JWTPayload)),
        'UNAUTHORIZED',
        /roles claim invalid/,
      );
    }
  });

  it('refuses a secret shorter than 32 bytes and ambiguous options', async () => {
    await assert.rejects(createTokenVerifier({ secret: 'short' }), RangeError);
    await assert.rejects(createTokenVerifier({}), TypeError);
    await assert.rejects(createTokenVerifier({ secret: SECRET, publicKey: '{}' }), TypeError);
  });
});

describe('createTokenVerifier (maximum token age, finding 14)', () => {
  let verifier: TokenVerifier;
  before(async () => {
    verifier = await createTokenVerifier({ secret: SECRET });
  });

  it('refuses a 10-year token by default (24 h), with or without iat', async () => {
    const tenYears = now() + 10 * 365 * 86_400;
    await rejects(
      verifier.verify(await hs256({ name: 'a', iat: now(), exp: tenYears })),
      'UNAUTHORIZED',
      /too long/,
    );
    await rejects(verifier.verify(await hs256({ name: 'a', exp: tenYears })), 'UNAUTHORIZED', /too long/);
  });

  it('measures exp - iat: an old 25 h token with 1 h left is refused, a 24 h one accepted', async () => {
    const t = now();
    await rejects(
      verifier.verify(await hs256({ name: 'a', iat: t - 24 * 3600, exp: t + 3600 })),
      'UNAUTHORIZED',
      /too long/,
    );
    assert.equal((await verifier.verify(await hs256({ name: 'a', iat: t, exp: t + 86_400 }))).name, 'a');
    assert.equal((await verifier.verify(await hs256({ name: 'a', exp: t + 86_000 }))).name, 'a');
  });

  it('refuses an iat in the future (it would stretch the lifetime) and a non-numeric iat', async () => {
    const t = now();
    await rejects(
      verifier.verify(await hs256({ name: 'a', iat: t + 3600, exp: t + 7200 })),
      'UNAUTHORIZED',
      /future/,
    );
    await rejects(
      verifier.verify(await hs256({ name: 'a', iat: 'yesterday', exp: t + 60 } as unknown as JWTPayload)),
      'UNAUTHORIZED',
      /iat|malformed|invalid/,
    );
  });

  it('is configurable', async () => {
    const short = await createTokenVerifier({ secret: SECRET, maxTokenAgeS: 600 });
    const t = now();
    await rejects(short.verify(await hs256({ name: 'a', iat: t, exp: t + 3600 })), 'UNAUTHORIZED', /600 s/);
    assert.equal((await short.verify(await hs256({ name: 'a', iat: t, exp: t + 600 }))).name, 'a');
  });
});

describe('createTokenVerifier (issuer and audience)', () => {
  it('checks iss and aud when configured', async () => {
    const v = await createTokenVerifier({
      secret: SECRET,
      issuer: 'https://id.example.com',
      audience: 'parley',
    });
    const good = await hs256({
      name: 'a',
      exp: now() + 60,
      iss: 'https://id.example.com',
      aud: ['parley', 'x'],
    });
    assert.equal((await v.verify(good)).name, 'a');
    await rejects(
      v.verify(await hs256({ name: 'a', exp: now() + 60, iss: 'https://evil.example', aud: 'parley' })),
      'UNAUTHORIZED',
      /issuer/,
    );
    await rejects(
      v.verify(await hs256({ name: 'a', exp: now() + 60, iss: 'https://id.example.com', aud: 'other' })),
      'UNAUTHORIZED',
      /audience/,
    );
  });
});

describe('createTokenVerifier (ES256)', () => {
  let privateKey: CryptoKey;
  let pem: string;
  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    pem = await exportSPKI(pair.publicKey);
  });
  const es256 = (payload: JWTPayload) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);

  it('verifies with a PEM public key, a JWK object and JWK JSON', async () => {
    const jwk = await exportJWK(await (await import('node:crypto')).createPublicKey(pem));
    const token = await es256({ name: 'carol', exp: now() + 60 });
    for (const publicKey of [pem, jwk, JSON.stringify(jwk)]) {
      const v = await createTokenVerifier({ publicKey });
      assert.equal(v.algorithm, 'ES256');
      assert.equal((await v.verify(token)).name, 'carol');
    }
  });

  it('refuses an HS256 token signed with the public key as secret (key confusion)', async () => {
    const v = await createTokenVerifier({ publicKey: pem });
    const forged = await hs256({ name: 'admin', exp: now() + 60 }, pem);
    await rejects(v.verify(forged), 'UNAUTHORIZED', /algorithm not allowed/);
  });

  it('refuses a token signed by another key pair', async () => {
    const v = await createTokenVerifier({ publicKey: pem });
    const other = await generateKeyPair('ES256');
    const token = await new SignJWT({ name: 'a', exp: now() + 60 })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(other.privateKey);
    await rejects(v.verify(token), 'UNAUTHORIZED', /signature invalid/);
  });

  it('fails at creation for a key that is not a P-256 public key', async () => {
    await assert.rejects(createTokenVerifier({ publicKey: 'not a key' }), TypeError);
    const rsa = await generateKeyPair('RS256', { extractable: true });
    await assert.rejects(createTokenVerifier({ publicKey: await exportSPKI(rsa.publicKey) }), TypeError);
  });
});

describe('authorizeName / authorizeRoom', () => {
  const claims = { name: 'alice', rooms: ['standup', 'team-*', 'a*b*c'], exp: now() + 60 };

  it('authorizeName throws UNAUTHORIZED for another name', () => {
    assert.doesNotThrow(() => authorizeName(claims, 'alice'));
    assert.throws(() => authorizeName(claims, 'bob'), { name: 'ParleyError', code: 'UNAUTHORIZED' });
  });

  it('authorizeRoom allows exact names and * patterns, and throws FORBIDDEN otherwise', () => {
    for (const room of ['standup', 'team-', 'team-red', 'abc', 'a-b-c', 'axxbyyc']) {
      assert.doesNotThrow(() => authorizeRoom(claims, room), room);
    }
    for (const room of ['standup2', 'xteam-red', 'team', 'ab', 'acb']) {
      assert.throws(
        () => authorizeRoom(claims, room),
        { code: 'FORBIDDEN', reason: 'room_not_in_token' },
        room,
      );
    }
  });

  it('no rooms claim allows every room; an empty list allows none', () => {
    assert.equal(isRoomAllowed({ name: 'a', exp: 0 }, 'anything'), true);
    assert.equal(isRoomAllowed({ name: 'a', rooms: [], exp: 0 }, 'anything'), false);
    assert.equal(isRoomAllowed({ name: 'a', rooms: ['*'], exp: 0 }, 'anything'), true);
  });

  it('globMatch stays fast on patterns built to backtrack', () => {
    const started = performance.now();
    assert.equal(globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(64)), false);
    assert.ok(performance.now() - started < 50);
  });
});
