import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIceUrl, toNativeIceServers } from '../../../packages/cli/src/webrtc/ice-servers.ts';

describe('toNativeIceServers', () => {
  test('maps TURN REST credentials (colon in the username, base64 credential) without URL escaping', () => {
    const { servers, skipped } = toNativeIceServers([
      {
        urls: ['turn:127.0.0.1:3478?transport=udp', 'turn:[::1]:3479'],
        username: '1700000000:alice',
        credential: 'a+b/c==',
      },
    ]);
    assert.deepEqual(skipped, []);
    assert.deepEqual(servers, [
      {
        hostname: '127.0.0.1',
        port: 3478,
        username: '1700000000:alice',
        password: 'a+b/c==',
        relayType: 'TurnUdp',
      },
      {
        hostname: '::1',
        port: 3479,
        username: '1700000000:alice',
        password: 'a+b/c==',
        relayType: 'TurnUdp',
      },
    ]);
  });

  test('skips TURN over TCP and TLS (libjuice relays over UDP only), with a reason', () => {
    const { servers, skipped } = toNativeIceServers([
      { urls: ['turn:h:3478?transport=tcp', 'turns:h:443'], username: 'u', credential: 'c' },
    ]);
    assert.deepEqual(servers, []);
    assert.deepEqual(
      skipped.map((s) => s.url),
      ['turn:h:3478?transport=tcp', 'turns:h:443'],
    );
    assert.match(skipped[0]!.reason, /UDP only/);
  });

  test('maps STUN URLs with default ports and skips stuns: with a reason', () => {
    const { servers, skipped } = toNativeIceServers([
      { urls: 'stun:stun.example' },
      { urls: 'stuns:stun.example' },
    ]);
    assert.deepEqual(servers, [{ hostname: 'stun.example', port: 3478 }]);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!.reason, /not supported/);
  });

  test('throws like a browser: InvalidAccessError without TURN credentials, SyntaxError on bad URLs', () => {
    assert.throws(() => toNativeIceServers([{ urls: 'turn:h:1' }]), { name: 'InvalidAccessError' });
    assert.throws(() => toNativeIceServers([{ urls: 'http://h' }]), { name: 'SyntaxError' });
    assert.throws(() => toNativeIceServers([{ urls: [] }]), { name: 'SyntaxError' });
  });
});

describe('parseIceUrl', () => {
  test('parses IPv6 hosts, ports and transports, and refuses a transport on stun:', () => {
    assert.deepEqual(parseIceUrl('turn:[::1]:3479?transport=tcp'), {
      scheme: 'turn',
      host: '::1',
      port: 3479,
      transport: 'tcp',
    });
    assert.deepEqual(parseIceUrl('turns:x'), { scheme: 'turns', host: 'x', port: 5349 });
    assert.equal(parseIceUrl('stun:x?transport=udp'), null);
    assert.equal(parseIceUrl('turn:x:99999'), null);
  });
});
