/**
 * What Parley's STUN server says to one datagram: a Binding success response with the sender's
 * address (XOR-MAPPED-ADDRESS) to a well-formed Binding request, and nothing to anything else.
 *
 * The port is open to the whole internet, and UDP senders can forge their address, so every
 * answer is one packet to one packet, at most `MAX_AMPLIFICATION` times the request's size (a
 * 20-byte request gets 32 bytes back for IPv4, 44 for IPv6, 8 more with FINGERPRINT), and
 * nothing that could make the server talk to a third party is honoured (no RESPONSE-PORT, no
 * CHANGE-REQUEST, no ALTERNATE-SERVER: those requests are dropped). Errors are not answered
 * either: an error response would be larger than the request and nobody needs it.
 *
 * Decoding is the library's (`@msimerson/stun`); the cheap checks in front of it (size, the two
 * zero bits, the magic cookie, the length field) only keep junk from reaching it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import * as stun from '@msimerson/stun';

/** Largest request answered: RFC 8489 §6.2.1 keeps STUN over UDP under 548 bytes (IPv4 MTU). */
export const MAX_REQUEST_BYTES = 548;
/** Smallest STUN message: the 20-byte header. */
const HEADER_BYTES = 20;
const MAGIC_COOKIE = 0x2112a442;
/** A response is at most this many times the size of the request it answers (44 / 20). */
export const MAX_AMPLIFICATION = 2.2;

/**
 * Comprehension-required attributes (type below 0x8000) that a Binding request may carry and
 * that need nothing from a server without authentication: USERNAME, MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256, USERHASH, REALM, NONCE, PRIORITY and USE-CANDIDATE (ICE checks).
 * Anything else below 0x8000 (RESPONSE-PORT, CHANGE-REQUEST, PADDING, unknown types) means the
 * sender expects something this server does not do: the request is dropped.
 */
const ACCEPTED_REQUIRED = new Set([0x0006, 0x0008, 0x001c, 0x001e, 0x0014, 0x0015, 0x0024, 0x0025]);

/** Why a datagram got no answer (also the metric's `result` label). */
export type StunIgnored =
  /** Over `MAX_REQUEST_BYTES`. */
  | 'oversized'
  /** Not a STUN message, or one that does not decode. */
  | 'malformed'
  /** A STUN message, but not a Binding request this server answers. */
  | 'unsupported';

/** The answer to one datagram. */
export type BindingOutcome = { answer: Buffer } | { ignored: StunIgnored };

/** The datagram's sender, as the socket reports it. */
export interface StunSender {
  address: string;
  port: number;
}

/**
 * Answers one datagram from `from`: a Binding success response, or the reason it is ignored.
 * Never throws.
 */
export function answerBinding(datagram: Buffer, from: StunSender): BindingOutcome {
  if (datagram.length > MAX_REQUEST_BYTES) return { ignored: 'oversized' };
  if (
    datagram.length < HEADER_BYTES ||
    (datagram[0]! & 0xc0) !== 0 ||
    datagram.readUInt32BE(4) !== MAGIC_COOKIE ||
    datagram.readUInt16BE(2) !== datagram.length - HEADER_BYTES ||
    datagram.length % 4 !== 0
  )
    return { ignored: 'malformed' };
  // Class and method before decoding: only Binding requests (0x0001) are worth the work.
  if (datagram.readUInt16BE(0) !== stun.constants.STUN_BINDING_REQUEST) return { ignored: 'unsupported' };
  let request: stun.StunMessage;
  try {
    request = stun.decode(datagram);
  } catch {
    return { ignored: 'malformed' };
  }
  let fingerprinted = false;
  for (const attribute of request) {
    if (attribute.type === stun.constants.STUN_ATTR_FINGERPRINT) fingerprinted = true;
    else if (attribute.type < 0x8000 && !ACCEPTED_REQUIRED.has(attribute.type))
      return { ignored: 'unsupported' };
  }
  // A FINGERPRINT that does not match: corrupted, or not STUN after all.
  if (fingerprinted && !stun.validateFingerprint(request)) return { ignored: 'malformed' };
  const address = mappedAddress(from.address);
  if (address === undefined || !(from.port > 0 && from.port <= 0xffff)) return { ignored: 'unsupported' };
  const response = stun.createMessage(stun.constants.STUN_BINDING_RESPONSE, request.transactionId);
  response.addXorAddress(address, from.port);
  if (fingerprinted) response.addFingerprint();
  const answer = response.toBuffer();
  // Cannot happen with the attributes above; kept as the guarantee the module promises.
  if (answer.length > datagram.length * MAX_AMPLIFICATION) return { ignored: 'unsupported' };
  return { answer };
}

/**
 * The address to report: an IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4
 * client) as plain IPv4, so the client sees the family it sent from; a zone id dropped.
 */
function mappedAddress(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0]!;
  return isIPv6(bare) ? bare : undefined;
}
