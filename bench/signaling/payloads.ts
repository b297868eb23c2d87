/**
 * What the load generator sends: SDP-like offers and answers, ICE-candidate-like objects and
 * padded relay payloads, all pre-serialized once so sending a frame costs a few string
 * concatenations (the load generator must stay cheap to drive the servers hard).
 *
 * Every payload is the same JSON object whatever the server under test:
 *   {"bts":<send time, integer µs>,"s":<sequence>,"k":"<kind>","body":<body>}
 * where the body carries the bulk. The receiver finds `"bts":` and `"k":"` by byte search
 * instead of parsing the whole frame, which keeps its own CPU cost per frame small and equal
 * for every server. Bodies never contain those markers.
 */

/** Kinds of signaling payload: relay filler, SDP offer, SDP answer, ICE candidate. */
export const PAYLOAD_KINDS = { relay: 'r', offer: 'o', answer: 'a', candidate: 'c' } as const;
export type PayloadKind = keyof typeof PAYLOAD_KINDS;

const SDP_HEAD = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS 3d4f8b2e-5c1a-4e77-9a0b-6f2d1c8e7a55',
];

/** Repeating SDP body lines (audio/video/data sections) used to reach the wanted size. */
const SDP_BODY = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Gx7q',
  'a=ice-pwd:k2Vb9sLw0mZcQ1rT4yUe8pNa',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=sendrecv',
  'a=msid:3d4f8b2e-5c1a-4e77-9a0b-6f2d1c8e7a55 9c1e4b7a-2d3f-4a5b-8c6d-7e8f9a0b1c2d',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=ssrc:1001711384 cname:f3J8dK2lQ9sW1zXc',
  'a=ssrc:1001711384 msid:3d4f8b2e-5c1a-4e77-9a0b-6f2d1c8e7a55 9c1e4b7a-2d3f-4a5b-8c6d-7e8f9a0b1c2d',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 98 99 100 101',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=ssrc-group:FID 2231627014 632943048',
];

/** An SDP-like string whose JSON encoding is close to `jsonBytes` bytes (lines end in CRLF). */
export function sdpLike(jsonBytes: number): string {
  const lines = [...SDP_HEAD];
  let i = 0;
  // Each CRLF costs 4 bytes once JSON-escaped (\r\n); stop before overshooting, then pad exactly.
  const encodedLength = () => JSON.stringify(`${lines.join('\r\n')}\r\n`).length;
  while (encodedLength() < jsonBytes) {
    lines.push(SDP_BODY[i % SDP_BODY.length]!);
    i++;
  }
  while (lines.length > 1 && encodedLength() > jsonBytes) lines.pop();
  const missing = jsonBytes - encodedLength();
  // "a=x-pad:" is 8 bytes and its CRLF 4 more once escaped.
  if (missing > 12) lines.push(`a=x-pad:${'0'.repeat(missing - 12)}`);
  return `${lines.join('\r\n')}\r\n`;
}

/** An ICE candidate as RTCIceCandidate.toJSON() gives it (about 200 bytes of JSON). */
export function candidateLike(index: number): {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
  usernameFragment: string;
} {
  const port = 50000 + index;
  return {
    candidate: `candidate:${842163049 + index} 1 udp ${2122260223 - index * 256} 192.0.2.${(index % 250) + 1} ${port} typ host generation 0 ufrag Gx7q network-id ${index % 4} network-cost 10`,
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: 'Gx7q',
  };
}

/**
 * Serialized body for a kind and a target frame size. `frameBytes` is the size of the whole
 * client frame in Parley's envelope (`{"type":"signal","to":"pNNNNb","data":…}`), so "1 KB"
 * means a 1,024-byte frame on the wire before WebSocket framing.
 */
export function bodyJson(kind: PayloadKind, frameBytes: number, index = 0): string {
  if (kind === 'candidate') return JSON.stringify(candidateLike(index));
  // Envelope + payload header overhead: {"type":"signal","to":"p0000b","data":{"bts":1234567890123,"s":123456,"k":"o","body":…}}
  const overhead = 95;
  const target = Math.max(64, frameBytes - overhead);
  if (kind === 'relay') return JSON.stringify({ sdp: sdpLike(target - 10) });
  return JSON.stringify({ type: kind, sdp: sdpLike(target - 25) });
}

const BTS = Buffer.from('"bts":');
const KIND = Buffer.from('"k":"');

/** Reads the send timestamp (µs) from a received frame; -1 when the frame is not a bench payload. */
export function readTimestampMicros(frame: Buffer): number {
  const at = frame.indexOf(BTS);
  if (at < 0) return -1;
  let v = 0;
  for (let i = at + BTS.length; i < frame.length; i++) {
    const c = frame[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** Reads the one-letter kind code of a bench payload ('r', 'o', 'a', 'c'), or '' when absent. */
export function readKind(frame: Buffer, from = 0): string {
  const at = frame.indexOf(KIND, from);
  return at < 0 ? '' : String.fromCharCode(frame[at + KIND.length]!);
}
