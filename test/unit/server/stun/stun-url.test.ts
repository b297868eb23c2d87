/**
 * The built-in STUN server's advertised URL (packages/server/src/stun/stun-url.ts): the host the
 * client used, only plain host names and addresses, `X-Forwarded-Host` only from a trusted proxy,
 * and `PARLEY_STUN_PUBLIC_URL` over all; and where IceIssuer puts it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '@parley/server';
import {
  createPublicHostResolver,
  parseStunPublicUrl,
  selfStunUrl,
  urlHostOf,
} from '../../../../packages/server/src/stun/stun-url.ts';
import { IceIssuer } from '../../../../packages/server/src/turn/ice-issuer.ts';

const req = (remoteAddress: string, headers: Record<string, string>) => ({
  socket: { remoteAddress },
  headers,
});

describe('STUN › advertised URL', () => {
  it('takes the host of the Host header, without its port; IPv6 stays in brackets', () => {
    assert.equal(urlHostOf('talk.example.org'), 'talk.example.org');
    assert.equal(urlHostOf('Talk.Example.org:8443'), 'talk.example.org');
    assert.equal(urlHostOf('talk.example.org.'), 'talk.example.org');
    assert.equal(urlHostOf('192.168.1.20:8080'), '192.168.1.20');
    assert.equal(urlHostOf('[2001:DB8::1]:8080'), '[2001:db8::1]');
    assert.equal(urlHostOf('[::1]'), '[::1]');
    assert.equal(urlHostOf('localhost'), 'localhost');
  });

  it('refuses anything that is not a plain host (the header is the client’s word)', () => {
    for (const bad of [
      undefined,
      '',
      'a b',
      'evil.example?transport=tcp',
      'x.example,stun:other.example',
      'user@x.example',
      'x.example/path',
      '[not-v6]:1',
      '2001:db8::1',
      '-x.example',
      `${'a'.repeat(64)}.example`,
      'x.example:99999999',
      'x.example:80:80',
    ])
      assert.equal(urlHostOf(bad), undefined, String(bad));
  });

  it('believes X-Forwarded-Host only from a trusted proxy', () => {
    const behindProxy = createPublicHostResolver('loopback');
    assert.equal(
      behindProxy(
        req('127.0.0.1', { host: '127.0.0.1:8080', 'x-forwarded-host': 'talk.example.org, inner' }),
      ),
      'talk.example.org',
    );
    assert.equal(behindProxy(req('127.0.0.1', { host: 'talk.example.org' })), 'talk.example.org');
    assert.equal(
      behindProxy(req('203.0.113.5', { host: 'talk.example.org', 'x-forwarded-host': 'evil.example' })),
      'talk.example.org',
      'a client cannot pick its own host through the header',
    );
    const direct = createPublicHostResolver('');
    assert.equal(
      direct(req('127.0.0.1', { host: 'a.example', 'x-forwarded-host': 'b.example' })),
      'a.example',
    );
  });

  it('PARLEY_STUN_PUBLIC_URL wins; without a usable host there is no URL', () => {
    assert.equal(selfStunUrl('talk.example.org', 3478), 'stun:talk.example.org:3478');
    assert.equal(selfStunUrl('[::1]', 40000), 'stun:[::1]:40000');
    assert.equal(
      selfStunUrl('talk.example.org', 3478, 'stun:stun.example.org:5000'),
      'stun:stun.example.org:5000',
    );
    assert.equal(selfStunUrl(undefined, 3478), undefined);
    assert.equal(parseStunPublicUrl('stun:STUN.example.org'), 'stun:stun.example.org');
    assert.equal(parseStunPublicUrl('stun:[2001:db8::1]:3478'), 'stun:[2001:db8::1]:3478');
    for (const bad of ['turn:x.example', 'stun:x.example:0', 'stun:x.example:70000', 'stun:', 'stun:x y'])
      assert.equal(parseStunPublicUrl(bad), undefined, bad);
  });

  it('config: PARLEY_STUN_PORT defaults to 3478, takes 0 (a free port) and off; bad values are named', () => {
    assert.equal(loadConfig({}).stunPort, 3478);
    assert.equal(loadConfig({}).stunHost, '0.0.0.0');
    assert.equal(loadConfig({ PARLEY_STUN_PORT: '0' }).stunPort, 0);
    assert.equal(loadConfig({ PARLEY_STUN_PORT: 'Off' }).stunPort, 'off');
    assert.throws(
      () =>
        loadConfig({
          PARLEY_STUN_PORT: '65536',
          PARLEY_STUN_HOST: 'example.org',
          PARLEY_STUN_PUBLIC_URL: 'stun:a b',
        }),
      (err: Error) =>
        /PARLEY_STUN_PORT="65536"/.test(err.message) &&
        /PARLEY_STUN_HOST="example.org"/.test(err.message) &&
        /PARLEY_STUN_PUBLIC_URL=/.test(err.message),
    );
  });

  it('IceIssuer lists it last in welcome, in the STUN-only list and at /ice, once', async () => {
    const config = {
      stunUrls: ['stun:s.example:3478'],
      turnUrls: ['turn:t.example:3478'],
      turnSecret: 'k',
      turnTtlS: 600,
      turnPerAddress: 1,
      icePerMin: 60,
    };
    const selfStun = (host: string | undefined) => selfStunUrl(host, 3478);
    const ice = new IceIssuer(config, { tokens: false, selfStun });
    const a = ice.forSession('a', { ip: '192.0.2.1', host: 'talk.example.org' }, 'welcome');
    assert.equal(a.turn, 'minted');
    assert.deepEqual(a.iceServers.at(-1), { urls: ['stun:talk.example.org:3478'] });
    assert.equal(a.iceServers.length, 3);
    const b = ice.forSession('b', { ip: '192.0.2.1', host: 'talk.example.org' }, 'welcome');
    assert.equal(b.turn, 'withheld');
    assert.deepEqual(b.iceServers, [
      { urls: ['stun:s.example:3478', 'stun:t.example:3478'] },
      { urls: ['stun:talk.example.org:3478'] },
    ]);
    const selfTest = await ice.forSelfTest({ ip: '192.0.2.9', host: '10.0.0.5' }, async () => true);
    assert.ok('iceServers' in selfTest);
    assert.deepEqual(selfTest.iceServers.at(-1), { urls: ['stun:10.0.0.5:3478'] });
    // Already listed by the operator (PARLEY_STUN_URLS): not twice.
    const listed = new IceIssuer(
      { ...config, stunUrls: ['stun:talk.example.org:3478'], turnUrls: [] },
      { tokens: false, selfStun },
    );
    assert.deepEqual(
      listed.forSession('c', { ip: '192.0.2.3', host: 'talk.example.org' }, 'welcome').iceServers,
      [{ urls: ['stun:talk.example.org:3478'] }],
    );
    // Off, or no usable host: nothing added.
    const off = new IceIssuer({ ...config, turnUrls: [] }, { tokens: false, selfStun: () => undefined });
    assert.deepEqual(off.forSession('d', { ip: '192.0.2.4', host: 'x.example' }, 'welcome').iceServers, [
      { urls: ['stun:s.example:3478'] },
    ]);
  });
});
