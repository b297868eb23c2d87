/**
 * Turns a failed Janus exchange into a protocol error the client can act on. Used by every module
 * that talks to Janus on a client's behalf (janus-rooms.ts, sfu-media.ts); imports the protocol
 * and janus-client.ts only.
 */
import { ParleyError } from '@parley/protocol';
import { JanusError } from './janus-client.ts';

/** Janus core error: the SDP could not be processed (the client's description is bad). */
const BAD_SDP_CODES = new Set([465, 466]);

/**
 * Runs a Janus exchange, turning its failures into protocol errors: a description Janus cannot
 * use is the client's fault (BAD_MESSAGE); anything else means the SFU is not usable now.
 * A `ParleyError` thrown inside passes unchanged.
 */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ParleyError) throw err;
    if (err instanceof JanusError && err.code !== undefined && BAD_SDP_CODES.has(err.code)) {
      throw new ParleyError('BAD_MESSAGE', 'the SFU could not use this session description', { cause: err });
    }
    throw new ParleyError('SFU_UNAVAILABLE', 'the SFU could not handle this request', { cause: err });
  }
}
