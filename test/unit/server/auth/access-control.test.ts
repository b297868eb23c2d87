/**
 * AccessControl on its own: the Origin check of upgrades, the per-address hello and password
 * buckets (IPv6 folded to /64), token verification and name binding, rooms, and /ice.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { loadConfig } from '@parley/server';
import { AccessControl, createAccessControl } from '../../../../packages/server/src/auth/access-control.ts';
import { IpLimiter } from '../../../../packages/server/src/auth/ip-limiter.ts';
import { createOriginPolicy } from '../../../../packages/server/src/auth/origin.ts';
import { signAccessToken } from '../../../../packages/server/src/auth/token-signer.ts';

const SECRET = 's'.repeat(40);
const req = (origin?: string, host?: string) =>
  ({ headers: { ...(origin ? { origin } : {}), ...(host ? { host } : {}) } }) as IncomingMessage;
const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

describe('AccessControl', () => {
  it('without a list only the same host name passes; with one, others get 403; no Origin passes', () => {
    // Issue 15 changed this default: it used to let every origin through (finding 8).
    const open = new AccessControl({
      helloLimiter: new IpLimiter({ ratePerS: 1, burst: 1 }),
      passwordLimiter: new IpLimiter({ ratePerS: 1, burst: 1 }),
    });
    assert.equal(open.upgrade(req('https://evil.example', 'parley.lan:8080')), 403);
    assert.equal(open.upgrade(req('https://anything.example')), 403);
    assert.equal(open.upgrade(req('http://parley.lan:8080', 'parley.lan:8080')), undefined);
    assert.equal(open.upgrade(req('http://127.0.0.1:5173', '127.0.0.1:8080')), undefined);
    assert.equal(open.upgrade(req(undefined, 'parley.lan:8080')), undefined);
    const closed = new AccessControl({
      origins: createOriginPolicy(['https://app.example.com']),
      helloLimiter: new IpLimiter({ ratePerS: 1, burst: 1 }),
      passwordLimiter: new IpLimiter({ ratePerS: 1, burst: 1 }),
    });
    assert.equal(closed.upgrade(req('https://app.example.com')), undefined);
    assert.equal(closed.upgrade(req('https://evil.example.com')), 403);
    assert.equal(closed.upgrade(req()), undefined);
  });

  it('hello: RATE_LIMITED per address (one bucket per IPv6 /64), before any token work', async () => {
    const ac = await createAccessControl(
      loadConfig({ PARLEY_HELLO_BURST: '1', PARLEY_HELLO_RATE_PER_S: '0.001', PARLEY_AUTH_SECRET: SECRET }),
    );
    const token = await signAccessToken({ name: 'alice', ttlS: 60, secret: SECRET });
    const ctx = await ac.hello({ name: 'alice', token, ip: '2001:db8:1:2::1' });
    assert.equal(ctx?.claims?.name, 'alice');
    await assert.rejects(ac.hello({ name: 'alice', token, ip: '2001:db8:1:2::ffff' }), code('RATE_LIMITED'));
    // Another /64, another bucket: now the (bad) token is what fails.
    await assert.rejects(ac.hello({ name: 'bob', token, ip: '2001:db8:1:3::1' }), code('UNAUTHORIZED'));
  });

  it('rooms from the token: FORBIDDEN outside them; no claims, no restriction', async () => {
    const ac = await createAccessControl(loadConfig({ PARLEY_AUTH_SECRET: SECRET }));
    const token = await signAccessToken({ name: 'carol', rooms: ['team-*'], ttlS: 60, secret: SECRET });
    const ctx = await ac.hello({ name: 'carol', token, ip: '192.0.2.1' });
    ac.roomJoin(ctx, 'team-blue');
    assert.throws(() => ac.roomJoin(ctx, 'board'), code('FORBIDDEN'));
    ac.roomJoin(undefined, 'board');
  });

  it('room passwords: RATE_LIMITED once the address used its burst for that room', async () => {
    const ac = await createAccessControl(
      loadConfig({ PARLEY_PASSWORD_BURST: '2', PARLEY_PASSWORD_RATE_PER_S: '0.001' }),
    );
    ac.roomPassword({ ip: '192.0.2.9', room: 'vault' });
    ac.roomPassword({ ip: '::ffff:192.0.2.9', room: 'vault' });
    assert.throws(() => ac.roomPassword({ ip: '192.0.2.9', room: 'vault' }), code('RATE_LIMITED'));
    ac.roomPassword({ ip: '192.0.2.10', room: 'vault' });
  });

  it('room passwords: one guesser does not lock its address out of other rooms (finding 12)', async () => {
    const ac = await createAccessControl(
      loadConfig({ PARLEY_PASSWORD_BURST: '2', PARLEY_PASSWORD_RATE_PER_S: '0.001' }),
    );
    ac.roomPassword({ ip: '203.0.113.7', room: 'vault' });
    ac.roomPassword({ ip: '203.0.113.7', room: 'vault' });
    assert.throws(() => ac.roomPassword({ ip: '203.0.113.7', room: 'vault' }), code('RATE_LIMITED'));
    // Someone else behind the same NAT address, another room: still served.
    ac.roomPassword({ ip: '203.0.113.7', room: 'standup' });
    ac.roomPassword({ ip: '203.0.113.7', room: 'standup' });
  });

  it('room passwords: an address spreading guesses over many rooms hits its total budget', async () => {
    const ac = await createAccessControl(
      loadConfig({ PARLEY_PASSWORD_BURST: '2', PARLEY_PASSWORD_RATE_PER_S: '0.001' }),
    );
    // 5 × burst (10) attempts over all rooms, then RATE_LIMITED; refused room attempts cost nothing.
    for (let i = 0; i < 10; i++) ac.roomPassword({ ip: '2001:db8:7:7::1', room: `r${i}` });
    assert.throws(() => ac.roomPassword({ ip: '2001:db8:7:7::99', room: 'r99' }), code('RATE_LIMITED'));
    ac.roomPassword({ ip: '2001:db8:7:8::1', room: 'r99' });
  });

  it('/ice: always allowed without tokens; with tokens only for a valid bearer token', async () => {
    assert.equal(await (await createAccessControl(loadConfig({}))).iceAllowed(undefined), true);
    const ac = await createAccessControl(loadConfig({ PARLEY_AUTH_SECRET: SECRET }));
    assert.equal(ac.requiresToken, true);
    assert.equal(await ac.iceAllowed(undefined), false);
    assert.equal(await ac.iceAllowed('Bearer junk'), false);
    const token = await signAccessToken({ name: 'dave', ttlS: 60, secret: SECRET });
    assert.equal(await ac.iceAllowed(`Bearer ${token}`), true);
    assert.equal(await ac.iceAllowed(`Basic ${token}`), false);
  });
});
