/**
 * Hand-made session descriptions for signaling tests against a real SFU without a browser:
 * well-formed enough for Janus to negotiate (ICE credentials, DTLS fingerprint, BUNDLE, Opus and
 * VP8), though no media ever flows. Browser tests prove media; this proves the exchange.
 */
import { randomBytes } from 'node:crypto';

const CRLF = '\r\n';

function iceAndDtls(setup: 'actpass' | 'active'): string[] {
  const fingerprint = [...randomBytes(32)]
    .map((b) => b.toString(16).padStart(2, '0').toUpperCase())
    .join(':');
  return [
    `a=ice-ufrag:${randomBytes(3).toString('hex')}`,
    `a=ice-pwd:${randomBytes(12).toString('hex')}`,
    `a=fingerprint:sha-256 ${fingerprint}`,
    `a=setup:${setup}`,
  ];
}

/** A publisher offer: Opus audio (mid 0) and VP8 video (mid 1), send-only. */
export function fakePublisherOffer(): string {
  const common = iceAndDtls('actpass');
  const section = (kind: 'audio' | 'video', mid: string, pt: number, codec: string, ssrc: number) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    ...common,
    'a=ice-options:trickle',
    `a=mid:${mid}`,
    'a=sendonly',
    `a=msid:stream ${kind}0`,
    'a=rtcp-mux',
    `a=rtpmap:${pt} ${codec}`,
    ...(kind === 'video'
      ? [`a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`, `a=rtcp-fb:${pt} ccm fir`]
      : []),
    `a=ssrc:${ssrc} cname:parley`,
    `a=ssrc:${ssrc} msid:stream ${kind}0`,
  ];
  return [
    'v=0',
    `o=- ${Date.now()} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=msid-semantic: WMS stream',
    ...section('audio', '0', 111, 'opus/48000/2', 1111),
    ...section('video', '1', 96, 'VP8/90000', 2222),
    '',
  ].join(CRLF);
}
