/**
 * The built-in STUN server's answer to one datagram (packages/server/src/stun/binding.ts): a
 * Binding success response with the right XOR-MAPPED-ADDRESS to a well-formed Binding request,
 * never more than 2.2 times its size, and nothing to anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as stun from '@msimerson/stun';
import {
  answerBinding,
  MAX_AMPLIFICATION,
  MAX_REQUEST_BYTES,
} from '../../../../packages/server/src/stun/binding.ts';

const FROM = { address: '203.0.113.7', port: 54321 };

/** A raw STUN message: type, transaction id, and attributes given as [type, value] pairs. */
function raw(type: number, attributes: [number, Buffer][] = [], transaction = Buffer.alloc(12, 7)): Buffer {
  const body = Buffer.concat(
    attributes.map(([t, v]) => {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(t, 0);
      head.writeUInt16BE(v.length, 2);
      return Buffer.concat([head, v, Buffer.alloc((4 - (v.length % 4)) % 4)]);
    }),
  );
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(body.length, 2);
  header.writeUInt32BE(0x2112a442, 4);
  transaction.copy(header, 8);
  return Buffer.concat([header, body]);
}

/**
 * XOR-MAPPED-ADDRESS read straight from the bytes (RFC 8489 §14.2), independently of the
 * library (whose decoder XORs IPv6 addresses with an empty transaction id).
 */
function xorMapped(response: Buffer): { address: string; port: number; family: string } {
  for (let at = 20; at + 4 <= response.length; ) {
    const type = response.readUInt16BE(at);
    const length = response.readUInt16BE(at + 2);
    if (type === 0x0020) {
      const value = response.subarray(at + 4, at + 4 + length);
      const key = response.subarray(4, 20); // magic cookie + transaction id
      const port = value.readUInt16BE(2) ^ 0x2112;
      const raw = Buffer.from(value.subarray(4));
      for (let i = 0; i < raw.length; i++) raw[i]! ^= key[i]!;
      if (value[1] === 1) return { address: [...raw].join('.'), port, family: 'IPv4' };
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
      return { address: groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'), port, family: 'IPv6' };
    }
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  throw new Error('no XOR-MAPPED-ADDRESS');
}

function answered(datagram: Buffer, from = FROM): stun.StunMessage {
  const outcome = answerBinding(datagram, from);
  assert.ok('answer' in outcome, `expected an answer, got ${JSON.stringify(outcome)}`);
  assert.ok(outcome.answer.length <= datagram.length * MAX_AMPLIFICATION, 'bounded amplification');
  return stun.decode(outcome.answer);
}

describe('STUN › answerBinding', () => {
  it('answers a bare Binding request with the sender in XOR-MAPPED-ADDRESS and the same transaction', () => {
    const request = stun.createMessage(stun.constants.STUN_BINDING_REQUEST);
    const datagram = request.toBuffer();
    assert.equal(datagram.length, 20);
    const outcome = answerBinding(datagram, FROM);
    assert.ok('answer' in outcome);
    assert.equal(outcome.answer.length, 32, '20-byte header + 12-byte XOR-MAPPED-ADDRESS (IPv4)');
    const response = stun.decode(outcome.answer);
    assert.equal(response.type, stun.constants.STUN_BINDING_RESPONSE);
    assert.deepEqual(response.transactionId, request.transactionId);
    assert.deepEqual(response.getXorAddress(), { address: '203.0.113.7', port: 54321, family: 'IPv4' });
    assert.deepEqual(xorMapped(outcome.answer), { address: '203.0.113.7', port: 54321, family: 'IPv4' });
    assert.equal(response.count, 1, 'nothing else: no SOFTWARE, no MAPPED-ADDRESS');
  });

  it('IPv6 senders get an IPv6 address (44 bytes); IPv4-mapped ones (dual-stack socket) get IPv4', () => {
    const datagram = stun.createMessage(stun.constants.STUN_BINDING_REQUEST).toBuffer();
    const outcome = answerBinding(datagram, { address: '2001:db8::42', port: 4000 });
    assert.ok('answer' in outcome);
    assert.equal(outcome.answer.length, 44);
    assert.ok(outcome.answer.length <= datagram.length * MAX_AMPLIFICATION);
    assert.deepEqual(xorMapped(outcome.answer), {
      address: '2001:db8::42',
      port: 4000,
      family: 'IPv6',
    });
    assert.deepEqual(answered(datagram, { address: '::ffff:198.51.100.9', port: 4001 }).getXorAddress(), {
      address: '198.51.100.9',
      port: 4001,
      family: 'IPv4',
    });
  });

  it('adds FINGERPRINT when the request had a valid one; a wrong FINGERPRINT gets no answer', () => {
    const request = stun.createMessage(stun.constants.STUN_BINDING_REQUEST);
    request.addFingerprint();
    const good = request.toBuffer();
    const response = answered(good);
    assert.ok(stun.validateFingerprint(response));
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0xff;
    assert.deepEqual(answerBinding(bad, FROM), { ignored: 'malformed' });
  });

  it('answers ICE-style requests (USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY, SOFTWARE)', () => {
    const datagram = raw(0x0001, [
      [0x0006, Buffer.from('abcd:efgh')],
      [0x0024, Buffer.from([0x6e, 0x7f, 0x1e, 0xff])],
      [0x802a, Buffer.alloc(8, 1)],
      [0x8022, Buffer.from('some agent')],
      [0x0008, Buffer.alloc(20, 3)],
    ]);
    assert.deepEqual(answered(datagram).getXorAddress(), {
      address: '203.0.113.7',
      port: 54321,
      family: 'IPv4',
    });
  });

  it('ignores every class but request and every method but Binding', () => {
    const tx = Buffer.alloc(12, 1);
    for (const [type, what] of [
      [0x0011, 'Binding indication'],
      [0x0101, 'Binding success response'],
      [0x0111, 'Binding error response'],
      [0x0003, 'Allocate request (TURN)'],
      [0x0004, 'Refresh request'],
      [0x0008, 'CreatePermission request'],
      [0x0009, 'ChannelBind request'],
      [0x0002, 'unassigned method'],
    ] as const)
      assert.deepEqual(answerBinding(raw(type, [], tx), FROM), { ignored: 'unsupported' }, what);
  });

  it('ignores requests asking for something it does not do (RESPONSE-PORT, CHANGE-REQUEST, PADDING, unknown)', () => {
    for (const [type, value, what] of [
      [0x0027, Buffer.from([0x1f, 0x90, 0, 0]), 'RESPONSE-PORT (answer elsewhere)'],
      [0x0003, Buffer.from([0, 0, 0, 6]), 'CHANGE-REQUEST (answer from another address)'],
      [0x0026, Buffer.alloc(400), 'PADDING (pad the answer)'],
      [0x7777, Buffer.alloc(4), 'unknown comprehension-required attribute'],
    ] as const)
      assert.deepEqual(answerBinding(raw(0x0001, [[type, value]]), FROM), { ignored: 'unsupported' }, what);
  });

  it('ignores what is not STUN: short, wrong cookie, top bits set, length field off, not a multiple of 4', () => {
    const good = stun.createMessage(stun.constants.STUN_BINDING_REQUEST).toBuffer();
    const cases: [Buffer, string][] = [
      [Buffer.alloc(0), 'empty'],
      [good.subarray(0, 19), '19 bytes'],
      [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'HTTP'],
      [Buffer.alloc(64), 'zeros'],
    ];
    const cookie = Buffer.from(good);
    cookie.writeUInt32BE(0x2112a443, 4);
    cases.push([cookie, 'wrong magic cookie (or RFC 3489)']);
    const bits = Buffer.from(good);
    bits[0] = 0x80;
    cases.push([bits, 'top bits set (RTP, DTLS…)']);
    const longer = Buffer.from(good);
    longer.writeUInt16BE(8, 2);
    cases.push([longer, 'length says 8, nothing follows']);
    cases.push([Buffer.concat([good, Buffer.alloc(4)]), 'trailing bytes beyond the length field']);
    const odd = Buffer.concat([good, Buffer.alloc(3)]);
    odd.writeUInt16BE(3, 2);
    cases.push([odd, 'length 3']);
    const attrTooLong = raw(0x0001, [[0x8022, Buffer.alloc(8)]]);
    attrTooLong.writeUInt16BE(200, 22); // the attribute claims 200 bytes of an 8-byte body
    cases.push([attrTooLong, 'attribute longer than the message']);
    for (const [datagram, what] of cases)
      assert.deepEqual(answerBinding(datagram, FROM), { ignored: 'malformed' }, what);
  });

  it(`ignores requests over ${MAX_REQUEST_BYTES} bytes; answers one just under`, () => {
    const under = raw(0x0001, [[0x8022, Buffer.alloc(MAX_REQUEST_BYTES - 24)]]);
    assert.equal(under.length, MAX_REQUEST_BYTES);
    answered(under);
    const over = raw(0x0001, [[0x8022, Buffer.alloc(MAX_REQUEST_BYTES - 20)]]);
    assert.deepEqual(answerBinding(over, FROM), { ignored: 'oversized' });
    assert.deepEqual(answerBinding(Buffer.alloc(65_000), FROM), { ignored: 'oversized' });
  });

  it('never throws on random junk shaped like a Binding request, and answers are always bounded', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 3000; i++) {
      const length = 20 + 4 * (rand() % 40);
      const datagram = Buffer.alloc(length);
      for (let j = 0; j < length; j++) datagram[j] = rand() & 0xff;
      datagram.writeUInt16BE(0x0001, 0);
      datagram.writeUInt16BE(length - 20, 2);
      datagram.writeUInt32BE(0x2112a442, 4);
      const outcome = answerBinding(datagram, FROM);
      if ('answer' in outcome) assert.ok(outcome.answer.length <= length * MAX_AMPLIFICATION);
    }
  });

  it('ignores a sender it cannot describe (port 0, not an address)', () => {
    const datagram = stun.createMessage(stun.constants.STUN_BINDING_REQUEST).toBuffer();
    assert.deepEqual(answerBinding(datagram, { address: '203.0.113.7', port: 0 }), {
      ignored: 'unsupported',
    });
    assert.deepEqual(answerBinding(datagram, { address: 'nonsense', port: 1 }), { ignored: 'unsupported' });
  });
});
