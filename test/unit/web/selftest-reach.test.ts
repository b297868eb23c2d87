/**
 * The self-test's honest summary (packages/web/src/selftest/reach.ts): "All good" only when a
 * call went through a relay; "This network only" when no STUN or TURN server outside the network
 * answered (none configured, or only one on a private address such as Parley's own on a LAN).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../../packages/web/src/selftest/checks.ts';
import {
  hostOfIceUrl,
  isLocalAddress,
  stunReach,
  summarize,
} from '../../../packages/web/src/selftest/reach.ts';

const pass: CheckResult = { status: 'pass', detail: '' };
const skip: CheckResult = { status: 'skip', detail: '' };
const fail: CheckResult = { status: 'fail', detail: '' };

describe('self-test › reach and summary', () => {
  it('tells local addresses and names from public ones', () => {
    for (const local of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.20',
      '127.0.0.1',
      '169.254.3.4',
      '100.64.0.1',
      '::1',
      'fd00::5',
      'fe80::1',
      '[::1]',
      'localhost',
      'parley.local',
      '::ffff:192.168.0.1',
    ])
      assert.equal(isLocalAddress(local), true, local);
    for (const pub of [
      '203.0.113.7',
      '172.32.0.1',
      '100.128.0.1',
      '2001:db8::1',
      'talk.example.org',
      '8.8.8.8',
    ])
      assert.equal(isLocalAddress(pub), false, pub);
  });

  it('reads the host of STUN and TURN URLs', () => {
    assert.equal(hostOfIceUrl('stun:talk.example.org:3478'), 'talk.example.org');
    assert.equal(hostOfIceUrl('stun:[2001:db8::1]:3478'), '2001:db8::1');
    assert.equal(hostOfIceUrl('turn:10.0.0.2:3478?transport=udp'), '10.0.0.2');
    assert.equal(hostOfIceUrl('stun:127.0.0.1'), '127.0.0.1');
  });

  it('a STUN answer reaches the internet only with a public address or a server outside the network', () => {
    assert.equal(stunReach(['198.51.100.4'], ['stun:192.168.1.2:3478']), 'internet', 'public srflx');
    assert.equal(stunReach(['192.168.1.77'], ['stun:192.168.1.2:3478']), 'local', 'private srflx');
    assert.equal(stunReach([], ['stun:127.0.0.1:40000']), 'local', 'own address from a loopback server');
    assert.equal(stunReach([], ['stun:talk.example.org:3478']), 'internet', 'no NAT, server outside');
  });

  it('"All good" only when the relay worked', () => {
    const s = summarize([pass, pass, pass, { ...pass, reach: 'internet' }, { ...pass, reach: 'relay' }]);
    assert.equal(s.label, 'All good');
    assert.equal(s.tone, 'ok');
  });

  it('STUN from outside without a relay: most networks, says what TURN would add', () => {
    const s = summarize([pass, pass, pass, { ...pass, reach: 'internet' }, skip]);
    assert.equal(s.label, 'Most networks');
    assert.equal(s.tone, 'warn');
    assert.match(s.text, /symmetric NATs/);
  });

  it('nothing from outside: "direct calls within this network only", never "All good"', () => {
    for (const results of [
      [pass, pass, pass, skip, skip],
      [pass, pass, pass, { ...pass, reach: 'local' as const }, skip],
    ]) {
      const s = summarize(results);
      assert.equal(s.label, 'This network only');
      assert.match(s.text, /^Direct calls within this network only/);
      assert.notEqual(s.label, 'All good');
    }
  });

  it('failures come first, and say when calls stay local meanwhile', () => {
    const s = summarize([pass, fail, pass, fail, skip]);
    assert.equal(s.label, '2 problems');
    assert.equal(s.tone, 'bad');
    assert.match(s.text, /within this network only/);
    assert.doesNotMatch(summarize([fail, { ...pass, reach: 'relay' }]).text, /this network only/);
  });
});
