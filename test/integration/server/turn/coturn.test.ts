// @needs coturn
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintTurnCredentials } from '../../../../packages/server/src/turn/credentials.ts';
import { type CoturnHandle, startCoturn, stunBinding, turnAllocate } from '../../../helpers/coturn.ts';

// A real coturn checked from Node with our own STUN/TURN client: it accepts exactly the
// credentials the server mints (TURN REST API) and refuses wrong or expired ones.
describe('coturn with the TURN REST secret', () => {
  let turn: CoturnHandle;

  before(async () => {
    turn = await startCoturn();
  });
  after(async () => {
    await turn?.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`answers a STUN binding request over ${transport}`, async () => {
      const mapped = await stunBinding({ host: '127.0.0.1', port: turn.port, transport });
      assert.equal(mapped.address, '127.0.0.1');
    });

    it(`allocates a relay over ${transport} for a freshly minted credential`, async () => {
      const c = mintTurnCredentials(turn.secret, 'alice', 300);
      const r = await turnAllocate({
        host: '127.0.0.1',
        port: turn.port,
        transport,
        username: c.username,
        password: c.credential,
      });
      assert.ok(r.ok, `allocate failed: ${JSON.stringify(r)}`);
      assert.equal(r.relayed.address, '127.0.0.1');
      assert.ok(r.relayed.port >= turn.relayRange.min && r.relayed.port <= turn.relayRange.max);
    });
  }

  it('refuses a credential signed with another secret (401)', async () => {
    const c = mintTurnCredentials(`${turn.secret}x`, 'mallory', 300);
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.port,
      username: c.username,
      password: c.credential,
    });
    assert.deepEqual(r, { ok: false, code: 401 });
  });

  it('refuses an expired credential (401)', async () => {
    const c = mintTurnCredentials(turn.secret, 'late', 60, Date.now() - 120_000);
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.port,
      username: c.username,
      password: c.credential,
    });
    assert.deepEqual(r, { ok: false, code: 401 });
  });

  it('refuses a username whose name was changed after signing (401)', async () => {
    const c = mintTurnCredentials(turn.secret, 'alice', 300);
    const forged = c.username.replace(':alice', ':admin');
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.port,
      username: forged,
      password: c.credential,
    });
    assert.deepEqual(r, { ok: false, code: 401 });
  });
});

describe('startCoturn', () => {
  it('stops its own turnserver process on close()', async () => {
    const turn = await startCoturn({ secret: 'fixed-secret' });
    assert.equal(turn.secret, 'fixed-secret');
    const pid = turn.pid;
    assert.doesNotThrow(() => process.kill(pid, 0));
    await turn.close();
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    await turn.close(); // idempotent
  });

  it('runs two instances side by side on different ports', async () => {
    const [a, b] = await Promise.all([startCoturn(), startCoturn()]);
    try {
      assert.notEqual(a.port, b.port);
      await stunBinding({ host: '127.0.0.1', port: a.port });
      await stunBinding({ host: '127.0.0.1', port: b.port });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
