import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IceIssuer, TurnBudget, turnAddressId } from '@parley/server';

const base = {
  stunUrls: [] as string[],
  turnUrls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349?transport=tcp'],
  turnSecret: 'k',
  turnTtlS: 600,
  turnPerAddress: 2,
  icePerMin: 3,
};
const T0 = 1_800_000_000_000;
const turnOf = (list: { username?: string }[]) => list.find((s) => s.username !== undefined);

describe('TurnBudget', () => {
  it('keeps at most perAddress holders per key until their places expire; a holder extends its own', () => {
    const b = new TurnBudget({ perAddress: 2 });
    assert.equal(b.grant('a', 'x', T0 + 1000, T0), true);
    assert.equal(b.grant('a', 'y', T0 + 1000, T0), true);
    assert.equal(b.grant('a', 'z', T0 + 1000, T0), false);
    assert.equal(b.grant('b', 'z', T0 + 1000, T0), true, 'another key has its own places');
    assert.equal(b.grant('a', 'x', T0 + 5000, T0 + 500), true, 'a holder asking again keeps its place');
    assert.equal(b.grant('a', 'z', T0 + 2000, T0 + 1000), true, 'y expired at T0+1000');
    assert.equal(b.count('a', T0 + 1000), 2);
    assert.equal(b.count('a', T0 + 6000), 0);
  });

  it('perAddress 0 grants nothing; memory is bounded by maxAddresses', () => {
    assert.equal(new TurnBudget({ perAddress: 0 }).grant('a', 'x', T0 + 1, T0), false);
    const b = new TurnBudget({ perAddress: 1, maxAddresses: 10 });
    for (let i = 0; i < 100; i++) b.grant(`k${i}`, 'x', T0 + 1000, T0);
    assert.equal(b.addresses, 10);
  });
});

describe('IceIssuer', () => {
  it('anonymous sessions: username <expiry>:<address id>, per-address budget, STUN only beyond it', () => {
    const ice = new IceIssuer(base, { tokens: false });
    const a = ice.forSession('a', { ip: '192.0.2.1' }, 'welcome', T0);
    assert.equal(a.turn, 'minted');
    assert.equal(turnOf(a.iceServers)?.username, `${T0 / 1000 + 600}:${turnAddressId('k', '192.0.2.1')}`);
    assert.equal(ice.forSession('b', { ip: '192.0.2.1' }, 'welcome', T0).turn, 'minted');
    const c = ice.forSession('c', { ip: '192.0.2.1' }, 'welcome', T0);
    assert.equal(c.turn, 'withheld');
    // The TURN server's own address still serves as STUN; turns: has no STUN equivalent.
    assert.deepEqual(c.iceServers, [{ urls: ['stun:t.example:3478'] }]);
    assert.equal(
      ice.forSession('a', { ip: '::ffff:192.0.2.1' }, 'refresh', T0 + 480_000).turn,
      'minted',
      'a holder refreshes',
    );
    assert.equal(ice.forSession('c', { ip: '192.0.2.2' }, 'welcome', T0).turn, 'minted', 'another address');
  });

  it('IPv6: one /64 is one address (one id, one budget)', () => {
    const ice = new IceIssuer(base, { tokens: false });
    const one = ice.forSession('a', { ip: '2001:db8:1:2::1' }, 'welcome', T0);
    const two = ice.forSession('b', { ip: '2001:db8:1:2:ffff::9' }, 'welcome', T0);
    assert.equal(turnOf(one.iceServers)?.username, turnOf(two.iceServers)?.username);
    assert.equal(ice.forSession('c', { ip: '2001:db8:1:2::abcd' }, 'welcome', T0).turn, 'withheld');
    assert.equal(ice.forSession('c', { ip: '2001:db8:1:3::1' }, 'welcome', T0).turn, 'minted');
  });

  it('address ids are opaque, stable per secret, distinct per address and never a name', () => {
    const id = turnAddressId('k', '192.0.2.1');
    assert.match(id, /^@[A-Za-z0-9_-]{16}$/);
    assert.equal(turnAddressId('k', '192.0.2.1'), id);
    assert.notEqual(turnAddressId('other', '192.0.2.1'), id);
    assert.notEqual(turnAddressId('k', '192.0.2.2'), id);
    assert.ok(!id.includes('192'));
  });

  it('with access tokens: sessions are identified by name and not counted per address', () => {
    const ice = new IceIssuer(base, { tokens: true });
    for (const name of ['a', 'b', 'c', 'd']) {
      const s = ice.forSession(name, { ip: '192.0.2.1' }, 'welcome', T0);
      assert.equal(turnOf(s.iceServers)?.username, `${T0 / 1000 + 600}:${name}`);
    }
  });

  it('GET /ice: rate-limited per address before the token is checked, then the same budget', async () => {
    const ice = new IceIssuer(base, { tokens: false });
    let checks = 0;
    const allowed = async () => {
      checks++;
      return true;
    };
    const first = await ice.forSelfTest({ ip: '198.51.100.1' }, allowed, T0);
    assert.ok('iceServers' in first && first.ttlS === 600);
    assert.equal(
      turnOf(first.iceServers)?.username,
      `${T0 / 1000 + 600}:${turnAddressId('k', '198.51.100.1')}`,
    );
    await ice.forSelfTest({ ip: '198.51.100.1' }, allowed, T0);
    await ice.forSelfTest({ ip: '198.51.100.1' }, allowed, T0);
    const limited = await ice.forSelfTest({ ip: '198.51.100.1' }, allowed, T0);
    assert.ok('retryAfterS' in limited && limited.retryAfterS >= 1);
    assert.equal(checks, 3, 'a rate-limited request costs no token check');
    const refused = await ice.forSelfTest({ ip: '198.51.100.2' }, async () => false, T0);
    assert.deepEqual(refused, {
      iceServers: [{ urls: ['stun:t.example:3478'] }],
      turnWithheld: 'token-required',
    });
    // The /ice place counts in the address's budget (2): one session more fits, then none.
    assert.equal(ice.forSession('s1', { ip: '198.51.100.1' }, 'welcome', T0).turn, 'minted');
    assert.equal(ice.forSession('s2', { ip: '198.51.100.1' }, 'welcome', T0).turn, 'withheld');
  });
});
