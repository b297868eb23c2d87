import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBindingSuccess } from '../../../packages/cli/src/net/stun.ts';

test('parseBindingSuccess decodes XOR-MAPPED-ADDRESS and ignores other transactions', () => {
  const txId = Buffer.from('0102030405060708090a0b0c', 'hex');
  const msg = Buffer.alloc(32);
  msg.writeUInt16BE(0x0101, 0);
  msg.writeUInt16BE(12, 2);
  msg.writeUInt32BE(0x2112a442, 4);
  txId.copy(msg, 8);
  msg.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
  msg.writeUInt16BE(8, 22);
  msg[25] = 0x01; // IPv4
  msg.writeUInt16BE(54321 ^ 0x2112, 26);
  msg.writeUInt32BE((0xc0000202 ^ 0x2112a442) >>> 0, 28); // 192.0.2.2
  assert.deepEqual(parseBindingSuccess(msg, txId), { address: '192.0.2.2', port: 54321 });
  assert.equal(parseBindingSuccess(msg, Buffer.alloc(12)), null);
  assert.equal(parseBindingSuccess(msg.subarray(0, 10), txId), null);
});
