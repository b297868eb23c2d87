/**
 * The test helpers' check of frames: the protocol's own decoder, and nothing dropped by it. Used
 * by the raw ws client (ws-client.ts) and the SDK unit tests' fake server (fakes.ts), which also
 * checks what the SDK sends (`checkClientFrame`).
 */
import { isDeepStrictEqual } from 'node:util';
import { decodeClient, decodeServer, decodeSignalData, type ServerMessage } from '@parley/protocol';

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

/**
 * Checks a frame the SDK sent: it must decode with `decodeClient` (the server's own check), and a
 * `signal`'s `data` must be exactly the SDK's vocabulary (`decodeSignalData`, nothing dropped)
 * unless `sdkSignals` is false (a bare signaling client may send any JSON).
 */
export function checkClientFrame(text: string, options: { sdkSignals?: boolean } = {}): void {
  const decoded = decodeClient(text);
  if (!decoded.ok)
    throw new Error(`off-schema client frame (${decoded.code}: ${decoded.message}): ${text.slice(0, 300)}`);
  if (decoded.msg.type !== 'signal' || options.sdkSignals === false) return;
  const data = decodeSignalData(decoded.msg.data);
  if (!data.ok || !isDeepStrictEqual(data.msg, decoded.msg.data)) {
    throw new Error(`signal data off the SDK vocabulary: ${text.slice(0, 300)}`);
  }
}
