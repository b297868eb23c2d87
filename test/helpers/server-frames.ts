/**
 * The test helpers' check of server frames: the protocol's own decoder, and nothing dropped by
 * it. Used by the raw ws client (ws-client.ts) and the SDK unit tests' fake server (fakes.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { decodeServer, type ServerMessage } from '@parley/protocol';

/**
 * Parses a server frame and checks it with `decodeServer`. Throws when the frame does not decode,
 * or when decoding changed it (a field the schema does not know was dropped): the server must
 * send only what the protocol defines. Returns the frame as sent.
 */
export function checkServerFrame(text: string): ServerMessage {
  const decoded = decodeServer(text);
  if (!decoded.ok)
    throw new Error(`off-schema server frame (${decoded.code}: ${decoded.message}): ${text.slice(0, 300)}`);
  const raw = JSON.parse(text) as ServerMessage;
  if (!isDeepStrictEqual(decoded.msg, raw)) {
    throw new Error(`server frame with fields the schema does not know: ${text.slice(0, 300)}`);
  }
  return raw;
}
