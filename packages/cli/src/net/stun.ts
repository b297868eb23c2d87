/**
 * A minimal STUN Binding client (RFC 8489 §6, over UDP) for `parley check`: it answers "does this
 * STUN server reply, and what address did it see?" without involving the WebRTC stack, so a
 * failure points at the server or the network, not at ICE.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const ATTR_MAPPED_ADDRESS = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;

export interface StunResult {
  /** Our address as the server saw it (server-reflexive). */
  address: string;
  port: number;
  /** Round trip of the answered request, in milliseconds. */
  rttMs: number;
}

/**
 * Sends a Binding request to `host:port` over UDP, retransmitting (RFC 8489 §6.2.1: 500 ms, then
 * doubling) until an answer or `timeoutMs`. Rejects with a message fit for users.
 */
export async function stunBinding(host: string, port: number, timeoutMs: number): Promise<StunResult> {
  const address = isIP(host) ? host : (await lookup(host)).address;
  const family = isIP(address) === 6 ? 'udp6' : 'udp4';
  const socket = createSocket(family);
  const txId = randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(BINDING_REQUEST, 0);
  request.writeUInt16BE(0, 2);
  request.writeUInt32BE(MAGIC_COOKIE, 4);
  txId.copy(request, 8);
  const started = performance.now();
  try {
    return await new Promise<StunResult>((resolve, reject) => {
      let rto = 500;
      let resend: ReturnType<typeof setTimeout> | undefined;
      const send = () => {
        socket.send(request, port, address);
        resend = setTimeout(send, rto);
        rto *= 2;
      };
      const timer = setTimeout(() => {
        if (resend) clearTimeout(resend);
        reject(new Error(`no STUN answer from ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('error', (err) => {
        clearTimeout(timer);
        if (resend) clearTimeout(resend);
        reject(new Error(`STUN to ${host}:${port} failed: ${err.message}`));
      });
      socket.on('message', (msg) => {
        const mapped = parseBindingSuccess(msg, txId);
        if (!mapped) return;
        clearTimeout(timer);
        if (resend) clearTimeout(resend);
        resolve({ ...mapped, rttMs: performance.now() - started });
      });
      socket.bind(0, () => send());
    });
  } finally {
    socket.close();
  }
}

/** The mapped address of a Binding success response for `txId`, or null for anything else. */
export function parseBindingSuccess(msg: Buffer, txId: Buffer): { address: string; port: number } | null {
  if (msg.length < 20 || msg.readUInt16BE(0) !== BINDING_SUCCESS) return null;
  if (msg.readUInt32BE(4) !== MAGIC_COOKIE || !msg.subarray(8, 20).equals(txId)) return null;
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  let plain: { address: string; port: number } | null = null;
  for (let at = 20; at + 4 <= end; ) {
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    const value = msg.subarray(at + 4, at + 4 + len);
    if (type === ATTR_XOR_MAPPED_ADDRESS) {
      const xored = decodeAddress(value, msg.subarray(4, 20));
      if (xored) return xored;
    } else if (type === ATTR_MAPPED_ADDRESS) {
      plain = decodeAddress(value, null);
    }
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return plain;
}

/** Decodes a (XOR-)MAPPED-ADDRESS value; `xorKey` is cookie + transaction id, or null. */
function decodeAddress(value: Buffer, xorKey: Buffer | null): { address: string; port: number } | null {
  if (value.length < 8) return null;
  const familyByte = value[1];
  const port = value.readUInt16BE(2) ^ (xorKey ? MAGIC_COOKIE >>> 16 : 0);
  const length = familyByte === 0x01 ? 4 : familyByte === 0x02 ? 16 : 0;
  if (!length || value.length < 4 + length) return null;
  const bytes = Buffer.from(value.subarray(4, 4 + length));
  if (xorKey) for (let i = 0; i < length; i++) bytes[i]! ^= xorKey[i]!;
  if (length === 4) return { address: [...bytes].join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return { address: groups.join(':'), port };
}
