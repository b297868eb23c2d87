import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signAccessToken } from '../../../../packages/server/src/auth/token-signer.ts';
import { createTokenVerifier } from '../../../../packages/server/src/auth/tokens.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const SECRET = 'mint-token-test-secret-of-at-least-32-bytes';

function mint(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/mint-token.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PARLEY_AUTH_SECRET: '', ...env },
    cwd: ROOT,
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('signAccessToken', () => {
  it('round-trips through the verifier (HS256), with rooms and expiry', async () => {
    const nowMs = Date.now();
    const token = await signAccessToken({
      name: 'alice',
      rooms: ['a', 'team-*'],
      ttlS: 600,
      secret: SECRET,
      nowMs,
    });
    const claims = await (await createTokenVerifier({ secret: SECRET })).verify(token);
    assert.deepEqual(claims, { name: 'alice', rooms: ['a', 'team-*'], exp: Math.floor(nowMs / 1000) + 600 });
  });

  it('refuses arguments the verifier would refuse', async () => {
    await assert.rejects(signAccessToken({ name: 'bad name', ttlS: 60, secret: SECRET }), RangeError);
    await assert.rejects(signAccessToken({ name: 'a', ttlS: 0, secret: SECRET }), RangeError);
    await assert.rejects(
      signAccessToken({ name: 'a', ttlS: 60, rooms: ['no spaces'], secret: SECRET }),
      RangeError,
    );
    await assert.rejects(signAccessToken({ name: 'a', ttlS: 60 }), TypeError);
  });
});

describe('npm run token (scripts/mint-token.ts)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-token-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints only a token on stdout, signed with PARLEY_AUTH_SECRET', async () => {
    const r = mint(['--name', 'bob', '--rooms', 'standup,team-*', '--ttl', '120'], {
      PARLEY_AUTH_SECRET: SECRET,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = await (await createTokenVerifier({ secret: SECRET })).verify(r.stdout);
    assert.equal(claims.name, 'bob');
    assert.deepEqual(claims.rooms, ['standup', 'team-*']);
    assert.ok(claims.exp - Date.now() / 1000 <= 120);
  });

  it("warns on stderr when --ttl is longer than the servers' default maximum token age", async () => {
    const r = mint(['--name', 'bob', '--ttl', String(10 * 365 * 86_400)], { PARLEY_AUTH_SECRET: SECRET });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /longer than 86400 s/);
    await assert.rejects((await createTokenVerifier({ secret: SECRET })).verify(r.stdout.trim()), /too long/);
    const ok = mint(['--name', 'bob', '--ttl', '86400'], { PARLEY_AUTH_SECRET: SECRET });
    assert.equal(ok.stderr, '');
  });

  it('generates an ES256 key pair and signs with --key; the public key verifies', async () => {
    const g = mint(['--generate-keys', dir]);
    assert.equal(g.status, 0, g.stderr);
    assert.equal(statSync(join(dir, 'private.pem')).mode & 0o777, 0o600);
    const r = mint([
      '--name',
      'carol',
      '--key',
      join(dir, 'private.pem'),
      '--issuer',
      'me',
      '--audience',
      'parley',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const verifier = await createTokenVerifier({
      publicKey: readFileSync(join(dir, 'public.pem'), 'utf8'),
      issuer: 'me',
      audience: 'parley',
    });
    assert.equal((await verifier.verify(r.stdout)).name, 'carol');
  });

  it('exits 2 with usage when the name or the secret is missing, or the name is invalid', () => {
    const noName = mint([], { PARLEY_AUTH_SECRET: SECRET });
    assert.equal(noName.status, 2);
    assert.match(noName.stderr, /--name is required/);
    const noSecret = mint(['--name', 'a']);
    assert.equal(noSecret.status, 2);
    assert.match(noSecret.stderr, /PARLEY_AUTH_SECRET/);
    const badName = mint(['--name', 'a b'], { PARLEY_AUTH_SECRET: SECRET });
    assert.equal(badName.status, 2);
    assert.equal(badName.stdout, '');
  });
});
