/** `RTCSessionDescription` and `RTCIceCandidate` shapes for Node (webrtc-pc §4.8.1, §4.8.2). */

/** A session description, serialisable with `JSON.stringify` like the browser's. */
export class NodeRTCSessionDescription {
  readonly type: RTCSdpType;
  readonly sdp: string;
  constructor(init: RTCSessionDescriptionInit) {
    if (!init || typeof init.type !== 'string') throw new TypeError('RTCSessionDescription needs a type');
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }
  toJSON(): RTCSessionDescriptionInit {
    return { type: this.type, sdp: this.sdp };
  }
}

/**
 * An ICE candidate. libdatachannel prints candidates as SDP attribute lines (`a=candidate:…`);
 * browsers use the bare `candidate:…` form, so the prefix is removed here.
 */
export class NodeRTCIceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
  readonly usernameFragment: string | null;
  constructor(init: RTCIceCandidateInit = {}) {
    if (init.sdpMid == null && init.sdpMLineIndex == null) {
      throw new TypeError('RTCIceCandidate needs sdpMid or sdpMLineIndex');
    }
    this.candidate = stripAttributePrefix(init.candidate ?? '');
    this.sdpMid = init.sdpMid ?? null;
    this.sdpMLineIndex = init.sdpMLineIndex ?? null;
    this.usernameFragment = init.usernameFragment ?? null;
  }
  /** The candidate's type (`host`, `srflx`, `prflx`, `relay`) or null if unparsable. */
  get type(): RTCIceCandidateType | null {
    const m = / typ (host|srflx|prflx|relay)\b/.exec(this.candidate);
    return (m?.[1] as RTCIceCandidateType | undefined) ?? null;
  }
  toJSON(): RTCIceCandidateInit {
    return {
      candidate: this.candidate,
      sdpMid: this.sdpMid,
      sdpMLineIndex: this.sdpMLineIndex,
      usernameFragment: this.usernameFragment,
    };
  }
}

/** `a=candidate:…` → `candidate:…`; anything else unchanged. */
export function stripAttributePrefix(candidate: string): string {
  return candidate.startsWith('a=') ? candidate.slice(2) : candidate;
}
