/**
 * Small helpers between a {@link PeerSession} and the RTCPeerConnection it drives, each one
 * smoothing a difference between engines (browsers, the Node adapter, test fakes): the
 * argument-less setLocalDescription, connection states on engines without `connectionState`,
 * senders without `setParameters`, tracks delivered without a stream, and the conversions to the
 * signal vocabulary's plain objects. Imports the SDK's errors and types only.
 */
import { InvalidStateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { IceHealth } from './negotiation.ts';
import type { CandidateInit, DescriptionInit } from './signal-data.ts';

/**
 * setLocalDescription() without arguments (webrtc-pc §4.4.1.6) creates the right offer or
 * answer itself, which is what makes perfect negotiation race-free. Engines that predate it
 * throw a TypeError; they get an explicit createOffer/createAnswer.
 */
export async function setLocal(pc: RTCPeerConnection, kind: 'offer' | 'answer'): Promise<void> {
  try {
    await pc.setLocalDescription();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    await pc.setLocalDescription(kind === 'offer' ? await pc.createOffer() : await pc.createAnswer());
  }
}

/** The connection state, derived from the ICE state on engines without `connectionState`. */
export function connectionStateOf(pc: RTCPeerConnection): RTCPeerConnectionState {
  return pc.connectionState ?? iceToConnection(pc.iceConnectionState);
}

/** Whether ICE calls for recovery (see ./ice-recovery.ts). */
export function iceHealthOf(pc: RTCPeerConnection): IceHealth {
  const ice = pc.iceConnectionState;
  if (ice === 'failed' || pc.connectionState === 'failed') return 'failed';
  if (ice === 'disconnected') return 'disconnected';
  return 'ok';
}

function iceToConnection(ice: RTCIceConnectionState): RTCPeerConnectionState {
  switch (ice) {
    case 'checking':
      return 'connecting';
    case 'completed':
      return 'connected';
    default:
      return ice as RTCPeerConnectionState;
  }
}

/**
 * Sets (or, with null, removes) `maxBitrate` on every encoding of `sender`. Engines without
 * `setParameters` are left alone, and a failure is only logged.
 */
export function applyMaxBitrate(sender: RTCRtpSender, bps: number | null, log: Logger): Promise<void> {
  if (typeof sender.getParameters !== 'function' || typeof sender.setParameters !== 'function') {
    return Promise.resolve();
  }
  const params = sender.getParameters();
  // Before the first negotiation some engines report no encodings yet; the cap is applied
  // again once connected.
  if (!params.encodings || params.encodings.length === 0) return Promise.resolve();
  for (const enc of params.encodings) {
    if (bps === null) delete enc.maxBitrate;
    else enc.maxBitrate = bps;
  }
  return sender.setParameters(params).catch((error: unknown) => {
    log.debug('setParameters failed', { error: String(error) });
  });
}

/** A stream of its own for a track that arrived without one. */
export function newMediaStream(track: MediaStreamTrack): MediaStream {
  const MS = (globalThis as { MediaStream?: new (tracks?: MediaStreamTrack[]) => MediaStream }).MediaStream;
  if (!MS) throw new InvalidStateError('no MediaStream implementation');
  return new MS([track]);
}

/** The name of a thrown value, for logs and resync reasons. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error === 'string' ? error : 'error';
}

/** A local or remote description as the signal vocabulary's plain object. */
export function toDescriptionInit(d: RTCSessionDescription | RTCSessionDescriptionInit): DescriptionInit {
  return { type: d.type as DescriptionInit['type'], sdp: d.sdp ?? '' };
}

/** A gathered candidate as the signal vocabulary's plain object (absent fields left out). */
export function toCandidateInit(c: RTCIceCandidateInit): CandidateInit {
  const out: CandidateInit = { candidate: c.candidate ?? '' };
  if (c.sdpMid !== undefined) out.sdpMid = c.sdpMid;
  if (c.sdpMLineIndex !== undefined) out.sdpMLineIndex = c.sdpMLineIndex;
  if (c.usernameFragment !== undefined) out.usernameFragment = c.usernameFragment;
  return out;
}
