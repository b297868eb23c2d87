import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClientIpResolver } from '../../../../packages/server/src/auth/client-ip.ts';

const req = (remoteAddress: string | undefined, xff?: string | string[]) => ({
  socket: { remoteAddress },
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

describe('createClientIpResolver', () => {
  it('trusts nobody by default: X-Forwarded-For is ignored', () => {
    for (const trust of [undefined, '', 'false']) {
      const ip = createClientIpResolver(trust);
      assert.equal(ip(req('203.0.113.9', '198.51.100.1')), '203.0.113.9');
    }
  });

  it('behind a loopback proxy, takes the address the proxy appended', () => {
    const ip = createClientIpResolver('loopback');
    assert.equal(ip(req('127.0.0.1', '198.51.100.7')), '198.51.100.7');
    assert.equal(ip(req('::1', '2001:db8::7')), '2001:db8::7');
    assert.equal(ip(req('::ffff:127.0.0.1', '198.51.100.7')), '198.51.100.7');
  });

  it('ignores what the client wrote itself to the left of the real hop', () => {
    const ip = createClientIpResolver('loopback');
    // The client sent "X-Forwarded-For: 1.2.3.4"; Caddy appended the real address.
    assert.equal(ip(req('127.0.0.1', '1.2.3.4, 198.51.100.7')), '198.51.100.7');
    assert.equal(ip(req('127.0.0.1', ['1.2.3.4', '198.51.100.7'])), '198.51.100.7');
  });

  it('skips every trusted hop (a CDN range, then the local proxy)', () => {
    const ip = createClientIpResolver('loopback, 192.0.2.0/24');
    assert.equal(ip(req('127.0.0.1', '198.51.100.7, 192.0.2.44')), '198.51.100.7');
  });

  it('does not believe the header from an untrusted socket', () => {
    const ip = createClientIpResolver('loopback');
    assert.equal(ip(req('203.0.113.9', '127.0.0.1')), '203.0.113.9');
  });

  it('falls back to the socket address on a missing or garbled header', () => {
    const ip = createClientIpResolver('loopback');
    assert.equal(ip(req('127.0.0.1')), '127.0.0.1');
    assert.equal(ip(req('127.0.0.1', 'not-an-ip, 198.51.100.7')), '198.51.100.7');
    assert.equal(ip(req('127.0.0.1', '198.51.100.7, not-an-ip')), '127.0.0.1');
    assert.equal(ip(req(undefined)), 'unknown');
  });

  it('named ranges: private covers container networks', () => {
    const ip = createClientIpResolver('private');
    assert.equal(ip(req('172.17.0.2', '198.51.100.7')), '198.51.100.7');
    assert.equal(ip(req('fd00::2', '198.51.100.7')), '198.51.100.7');
    assert.equal(ip(req('127.0.0.1', '198.51.100.7')), '127.0.0.1');
  });

  it('names every invalid entry', () => {
    assert.throws(
      () => createClientIpResolver('loopback, 10.0.0.0/33, nonsense'),
      /10\.0\.0\.0\/33, nonsense/,
    );
  });
});
