/**
 * Two adapter peers in one process, signalled directly (no server) with the perfect negotiation
 * pattern the SDK uses (webrtc-pc §10.7), so adapter tests exercise the same call sequence.
 */
import { type NodePeerOptions, NodeRTCPeerConnection } from '../../../packages/cli/src/webrtc/index.ts';

export interface AdapterPair {
  readonly a: NodeRTCPeerConnection;
  readonly b: NodeRTCPeerConnection;
  /** Errors raised while negotiating (none expected). */
  readonly errors: unknown[];
  close(): void;
}

interface Side {
  pc: NodeRTCPeerConnection;
  polite: boolean;
  makingOffer: boolean;
  ignoreOffer: boolean;
  pendingCandidates: RTCIceCandidateInit[];
}

type Wire = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null };

/** Creates two peers wired to each other; `b` is the polite one. */
export function createAdapterPair(
  options: NodePeerOptions = {},
  configuration: RTCConfiguration = {},
  /** Delay of every signaling message, in ms (a slow server widens the glare window). */
  latencyMs = 0,
): AdapterPair {
  const errors: unknown[] = [];
  const sides: [Side, Side] = [
    {
      pc: new NodeRTCPeerConnection(configuration, options),
      polite: false,
      makingOffer: false,
      ignoreOffer: false,
      pendingCandidates: [],
    },
    {
      pc: new NodeRTCPeerConnection(configuration, options),
      polite: true,
      makingOffer: false,
      ignoreOffer: false,
      pendingCandidates: [],
    },
  ];
  // Deliver each message in a later task, like a network would, and in order.
  // Per-receiver chains keep messages in order, as one signaling connection would.
  const chains = new Map<Side, Promise<void>>();
  const send = (to: Side, msg: Wire) => {
    const deliver = () => {
      const next = (chains.get(to) ?? Promise.resolve())
        .then(() => receive(to, msg))
        .catch((e) => {
          errors.push(e);
        });
      chains.set(to, next);
    };
    if (latencyMs > 0) setTimeout(deliver, latencyMs);
    else setImmediate(deliver);
  };
  const receive = async (me: Side, msg: Wire) => {
    const { pc } = me;
    if (pc.signalingState === 'closed') return;
    if ('description' in msg) {
      const { description } = msg;
      const collision = description.type === 'offer' && (me.makingOffer || pc.signalingState !== 'stable');
      me.ignoreOffer = !me.polite && collision;
      if (me.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      for (const c of me.pendingCandidates.splice(0)) await pc.addIceCandidate(c);
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        send(other(me), { description: pc.localDescription!.toJSON() });
      }
    } else if (msg.candidate) {
      if (!pc.remoteDescription) me.pendingCandidates.push(msg.candidate);
      else
        await pc.addIceCandidate(msg.candidate).catch((e) => {
          if (!me.ignoreOffer) throw e;
        });
    }
  };
  const other = (me: Side) => (me === sides[0] ? sides[1] : sides[0]);
  for (const me of sides) {
    me.pc.onicecandidate = (e) => send(other(me), { candidate: (e as RTCPeerConnectionIceEvent).candidate });
    me.pc.onnegotiationneeded = async () => {
      try {
        me.makingOffer = true;
        await me.pc.setLocalDescription();
        send(other(me), { description: me.pc.localDescription!.toJSON() });
      } catch (e) {
        errors.push(e);
      } finally {
        me.makingOffer = false;
      }
    };
  }
  return {
    a: sides[0].pc,
    b: sides[1].pc,
    errors,
    close() {
      for (const s of sides) s.pc.close();
    },
  };
}
