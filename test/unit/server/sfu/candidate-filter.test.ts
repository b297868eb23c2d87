import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockList,
  filterSdpCandidates,
  isPrivateAddress,
  judgeCandidate,
} from '../../../../packages/server/src/sfu/candidate-filter.ts';

const line = (address: string, port = 54400, rest = 'typ host generation 0') =>
  `candidate:842163049 1 udp 2122260223 ${address} ${port} ${rest}`;

describe('candidate filter', () => {
  it('passes public addresses (and documentation ranges), with or without a=', () => {
    for (const a of ['8.8.8.8', '203.0.113.7', '192.0.2.2', '2001:db8::1', '2a00:1450::5']) {
      assert.equal(judgeCandidate(line(a), { allowPrivate: false }), 'ok', a);
    }
    assert.equal(judgeCandidate(`a=${line('8.8.8.8')}`, { allowPrivate: false }), 'ok');
    assert.equal(
      judgeCandidate(line('198.51.100.4', 61000, 'typ srflx raddr 10.0.0.1 rport 54400 generation 0'), {
        allowPrivate: false,
      }),
      'ok',
    );
    assert.equal(
      judgeCandidate('candidate:1 1 TCP 1518280447 8.8.8.8 50000 typ host tcptype passive', {
        allowPrivate: false,
      }),
      'ok',
    );
  });

  it('drops private, loopback, link-local, CGNAT and ULA addresses and mDNS names unless allowed', () => {
    for (const a of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.10',
      '127.0.0.1',
      '127.8.8.8',
      '169.254.169.254',
      '100.64.0.1',
      '198.18.0.1',
      '::1',
      'fd00::1',
      'FE80::1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      '3f1a3c28-4b39-4b5e-9a3f-0d8e8c1f2a11.local',
    ]) {
      assert.equal(judgeCandidate(line(a), { allowPrivate: false }), 'private', a);
      assert.equal(judgeCandidate(line(a), { allowPrivate: true }), 'ok', a);
    }
  });

  it('drops multicast, broadcast, unspecified, low ports and host names whatever the setting', () => {
    for (const allow of [false, true]) {
      for (const a of [
        '224.0.0.251',
        '239.1.1.1',
        '255.255.255.255',
        '0.0.0.0',
        '::',
        'ff02::1',
        '240.0.0.1',
      ]) {
        assert.equal(judgeCandidate(line(a), { allowPrivate: allow }), 'forbidden', a);
      }
      assert.equal(
        judgeCandidate(line('8.8.8.8', 9, 'typ host tcptype active'), { allowPrivate: allow }),
        'forbidden',
      );
      assert.equal(judgeCandidate(line('8.8.8.8', 22), { allowPrivate: allow }), 'forbidden');
      assert.equal(judgeCandidate(line('intranet.example.com'), { allowPrivate: allow }), 'hostname');
      assert.equal(judgeCandidate(line('metadata.google.internal'), { allowPrivate: allow }), 'hostname');
    }
  });

  it('refuses lines that are not candidates', () => {
    for (const bad of [
      '',
      'garbage',
      'c'.repeat(1024),
      'candidate:1 1 udp 1 8.8.8.8 70000 typ host',
      'candidate:1 1 udp 1 8.8.8.8 5000 type host',
      'candidate:1 1 sctp 1 8.8.8.8 5000 typ host',
      'candidate:1 1 udp 1 8.8.8.8 5000 typ bogus',
      'candidate:1 1 udp x 8.8.8.8 5000 typ host',
      'candidate:1 1 udp 1 8.8.8.8',
    ]) {
      assert.equal(judgeCandidate(bad, { allowPrivate: true }), 'malformed', bad.slice(0, 40));
    }
  });

  it('takes refused a=candidate lines out of a description and keeps the rest byte for byte', () => {
    const sdp = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      `a=${line('10.0.0.5')}`,
      `a=${line('8.8.8.8')}`,
      `a=${line('127.0.0.1', 6379)}`,
      'a=mid:0',
      '',
    ].join('\r\n');
    const out = filterSdpCandidates(sdp, { allowPrivate: false });
    assert.equal(out.dropped, 2);
    assert.equal(
      out.sdp,
      ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', `a=${line('8.8.8.8')}`, 'a=mid:0', ''].join('\r\n'),
    );
    assert.deepEqual(filterSdpCandidates(sdp, { allowPrivate: true }), { sdp, dropped: 0 });
    const none = 'v=0\r\na=mid:0\r\n';
    assert.equal(filterSdpCandidates(none, { allowPrivate: false }).sdp, none);
  });

  it("drops the operator's own blocked ranges whatever the setting, and parses them strictly", () => {
    const blocked = blockList(['203.0.113.0/24', '198.51.100.7', '2001:db8:1::/48']);
    for (const allowPrivate of [false, true]) {
      const policy = { allowPrivate, blocked };
      assert.equal(judgeCandidate(line('203.0.113.200'), policy), 'blocked');
      assert.equal(judgeCandidate(line('198.51.100.7'), policy), 'blocked');
      assert.equal(judgeCandidate(line('::ffff:203.0.113.5'), policy), 'blocked');
      assert.equal(judgeCandidate(line('2001:db8:1:2::9'), policy), 'blocked');
      assert.equal(judgeCandidate(line('198.51.100.8'), policy), 'ok');
      assert.equal(judgeCandidate(line('2001:db8:2::1'), policy), 'ok');
    }
    for (const bad of ['203.0.113.0/33', 'example.com', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x', '']) {
      assert.throws(() => blockList([bad]), /not an address/, bad);
    }
  });

  it('isPrivateAddress tells LAN clients from internet ones', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '192.168.0.2',
      '172.20.1.1',
      '100.100.0.1',
      '::1',
      'fd12::1',
      '::ffff:192.168.1.1',
    ]) {
      assert.equal(isPrivateAddress(a), true, a);
    }
    for (const a of ['8.8.8.8', '192.0.2.2', '2001:db8::1', 'unknown', ''])
      assert.equal(isPrivateAddress(a), false, a);
  });
});
