/**
 * The part of `@msimerson/stun` (plain JavaScript, no types of its own) that Parley uses: decode
 * a datagram, build a message, encode it, check a FINGERPRINT. Kept to what is called, so a
 * change in the library shows up as a type error here rather than at run time.
 */
declare module '@msimerson/stun' {
  /** One decoded attribute. */
  export interface StunAttribute {
    readonly type: number;
  }

  /** A decoded message (what `decode` returns). */
  export interface StunMessage extends Iterable<StunAttribute> {
    readonly type: number;
    readonly transactionId: Buffer;
    readonly count: number;
    /** True for an RFC 3489 message (no magic cookie). */
    isLegacy(): boolean;
    getAttribute(type: number): StunAttribute | undefined;
    hasAttribute(type: number): boolean;
    getXorAddress(): { address: string; port: number; family: string } | undefined;
  }

  /** A message being built. */
  export interface StunRequest extends StunMessage {
    addXorAddress(address: string, port: number): unknown;
    addFingerprint(): unknown;
    toBuffer(): Buffer;
  }

  export function decode(message: Buffer): StunMessage;
  export function encode(message: StunMessage): Buffer;
  export function createMessage(type: number, transaction?: Buffer): StunRequest;
  export function validateFingerprint(message: StunMessage): boolean;
  /** A Binding request to `url` (`host:port`), retransmitted; used by the tests as a real client. */
  export function request(
    url: string,
    options?: { socket?: import('node:dgram').Socket; retries?: number; timeout?: number },
  ): Promise<StunMessage>;

  export const constants: {
    readonly STUN_BINDING_REQUEST: number;
    readonly STUN_BINDING_RESPONSE: number;
    readonly STUN_ATTR_XOR_MAPPED_ADDRESS: number;
    readonly STUN_ATTR_FINGERPRINT: number;
    readonly [name: string]: number;
  };
}
