// @needs coturn, openssl
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  makeSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../packages/server/src/tls/self-signed.ts';
import { mintTurnCredentials } from '../../../../packages/server/src/turn/credentials.ts';
import { turnAddressId } from '../../../../packages/server/src/turn/ice-issuer.ts';
import {
  type CoturnConfigContext,
  type CoturnHandle,
  type HeldAllocation,
  holdTurnAllocation,
  startCoturn,
  turnAllocate,
} from '../../../helpers/coturn.ts';

const DEPLOY_CONF = new URL('../../../../deploy/turnserver.conf', import.meta.url);
/** IPv6 relaying is checked when this machine has ::1 (coturn then relays from it too). */
const hasIPv6Loopback = Object.values(networkInterfaces()).some((list) =>
  (list ?? []).some((a) => a.family === 'IPv6' && a.address === '::1'),
);

/**
 * deploy/turnserver.conf with only what cannot work on a test machine replaced: ports, secret,
 * certificate paths, runtime paths, and addresses pinned to 127.0.0.1. Every replaced line must
 * exist, so the test notices when the production file drifts.
 */
function localised(
  text: string,
  ctx: CoturnConfigContext,
  cert: SelfSignedCertificate,
  ipv6: boolean,
): string {
  const replacements: [RegExp, string][] = [
    [/^listening-port=3478$/m, `listening-port=${ctx.port}`],
    [/^tls-listening-port=5349$/m, `tls-listening-port=${ctx.tlsPort}`],
    [/^#listening-ip=.*$/m, 'listening-ip=127.0.0.1'],
    [/^#relay-ip=.*$/m, `relay-ip=127.0.0.1${ipv6 ? '\nrelay-ip=::1' : ''}`],
    [/^min-port=\d+$/m, `min-port=${ctx.relayRange.min}`],
    [/^max-port=\d+$/m, `max-port=${ctx.relayRange.max}`],
    [/^static-auth-secret=.*$/m, `static-auth-secret=${ctx.secret}`],
    [/^cert=.*$/m, `cert=${cert.certFile}`],
    [/^pkey=.*$/m, `pkey=${cert.keyFile}`],
    [/^log-file=stdout$/m, `log-file=${join(ctx.dir, 'turn.log')}`],
    [/^pidfile=.*$/m, `pidfile=${join(ctx.dir, 'turn.pid')}`],
    [/^userdb=.*$/m, `userdb=${join(ctx.dir, 'turndb')}`],
  ];
  let out = text;
  for (const [pattern, line] of replacements) {
    assert.match(out, pattern, `deploy/turnserver.conf has no line matching ${pattern}`);
    out = out.replace(pattern, line);
  }
  return out;
}

// The production coturn configuration, run for real: it starts cleanly, accepts Parley's
// credentials over UDP, TCP and TLS, and refuses to relay to private and special addresses.
describe('deploy/turnserver.conf', () => {
  let dir: string;
  let cert: SelfSignedCertificate;
  let turn: CoturnHandle;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-deploy-turn-'));
    cert = makeSelfSignedCertificate({ dir, hosts: ['127.0.0.1', 'turn.example.com'] });
    const text = readFileSync(DEPLOY_CONF, 'utf8');
    turn = await startCoturn({ config: (ctx) => localised(text, ctx, cert, hasIPv6Loopback) });
  });
  after(async () => {
    await turn?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts without configuration complaints', () => {
    const log = turn.log();
    assert.doesNotMatch(log, /unknown option|unrecognized option|bad configuration|cannot find|error/i, log);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`allocates over ${transport} with a minted credential`, async () => {
      const c = mintTurnCredentials(turn.secret, 'alice', 300);
      const r = await turnAllocate({
        host: '127.0.0.1',
        port: turn.port,
        transport,
        username: c.username,
        password: c.credential,
      });
      assert.equal(r.ok, true, JSON.stringify(r));
    });
  }

  it('allocates over TLS (turns:) presenting the configured certificate', async () => {
    const c = mintTurnCredentials(turn.secret, 'alice', 300);
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.tlsPort,
      transport: { tls: { ca: cert.cert } },
      username: c.username,
      password: c.credential,
    });
    assert.equal(r.ok, true, JSON.stringify(r));
  });

  it('refuses a credential signed with the placeholder or another secret', async () => {
    const c = mintTurnCredentials('CHANGE-ME-to-the-same-value-as-PARLEY_TURN_SECRET', 'x', 300);
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.port,
      username: c.username,
      password: c.credential,
    });
    assert.deepEqual(r, { ok: false, code: 401 });
  });

  it('denies relaying to private, loopback, link-local, shared, reserved and multicast IPv4 peers', async () => {
    const denied = [
      '0.0.0.1',
      '10.1.2.3',
      '100.64.0.1',
      '127.0.0.1',
      '127.1.2.3',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.254',
      '192.0.0.8',
      '192.0.2.10',
      '192.88.99.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.51.100.7',
      '203.0.113.5',
      '224.0.0.251',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
    ];
    const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1'];
    const c = mintTurnCredentials(turn.secret, 'alice', 300);
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.port,
      username: c.username,
      password: c.credential,
      peers: [...denied, ...allowed],
    });
    assert.ok(r.ok, JSON.stringify(r));
    for (const ip of denied) assert.equal(r.permissions[ip], 403, `${ip} should be denied`);
    for (const ip of allowed) assert.equal(r.permissions[ip], 'ok', `${ip} should be allowed`);
  });

  it('denies relaying to loopback, mapped, NAT64, ULA, link-local, documentation and multicast IPv6 peers', async (t) => {
    if (!hasIPv6Loopback) {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    const denied = [
      '::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      '::ffff:8.8.8.8',
      '64:ff9b::a00:1',
      '64:ff9b:1::1',
      '100::1',
      '2001::1',
      '2001:db8::1',
      '3fff::1',
      '2002:a00:1::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'fec0::1',
      'ff02::1',
    ];
    const allowed = ['2001:4860:4860::8888', '2606:4700:4700::1111', '2a00:1450:4001::1'];
    const c = mintTurnCredentials(turn.secret, 'alice', 300);
    const r = await turnAllocate({
      host: '127.0.0.1',
      port: turn.port,
      username: c.username,
      password: c.credential,
      family: 6,
      peers: [...denied, ...allowed],
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.relayed.address, '::1');
    for (const ip of denied) assert.equal(r.permissions[ip], 403, `${ip} should be denied`);
    for (const ip of allowed) assert.equal(r.permissions[ip], 'ok', `${ip} should be allowed`);
  });

  // The quotas as configured: user-quota counts per TURN username without its expiry, so every
  // credential Parley mints for one address (one id) shares one quota; allocations live at most
  // max-allocate-lifetime between refreshes.
  it('holds user-quota per address id across credentials, and caps allocation lifetime', async () => {
    const quota = Number(/^user-quota=(\d+)$/m.exec(readFileSync(DEPLOY_CONF, 'utf8'))?.[1]);
    const maxLifetime = Number(/^max-allocate-lifetime=(\d+)$/m.exec(readFileSync(DEPLOY_CONF, 'utf8'))?.[1]);
    assert.ok(
      quota > 0 && quota < 200 && maxLifetime === 600,
      `user-quota ${quota}, max-allocate-lifetime ${maxLifetime}`,
    );
    const id = turnAddressId(turn.secret, '198.51.100.7');
    const held: HeldAllocation[] = [];
    try {
      const now = Date.now();
      for (let i = 0; i < quota; i++) {
        // A fresh credential each time (another second of expiry), as a stranger collects them.
        const c = mintTurnCredentials(turn.secret, id, 300 + i, now);
        const r = await holdTurnAllocation({
          host: '127.0.0.1',
          port: turn.port,
          username: c.username,
          password: c.credential,
        });
        assert.ok(r.ok, `allocation ${i + 1}: ${JSON.stringify(r)}`);
        held.push(r);
      }
      const extra = mintTurnCredentials(turn.secret, id, 900, now);
      const refused = await holdTurnAllocation({
        host: '127.0.0.1',
        port: turn.port,
        username: extra.username,
        password: extra.credential,
      });
      assert.deepEqual(refused, { ok: false, code: 486 });
      const other = mintTurnCredentials(turn.secret, turnAddressId(turn.secret, '203.0.113.9'), 300);
      const r = await holdTurnAllocation({
        host: '127.0.0.1',
        port: turn.port,
        username: other.username,
        password: other.credential,
      });
      assert.ok(r.ok, JSON.stringify(r));
      held.push(r);
      assert.deepEqual(await r.refresh(3600), { ok: true, lifetimeS: maxLifetime });
    } finally {
      await Promise.all(held.map((h) => h.release()));
    }
  });
});
