/**
 * Two peers in this process connected to each other through a given ICE configuration: the
 * basis of `parley check`'s relay test (like the web self-test and galene's `RelayTest`). With
 * `iceTransportPolicy: 'relay'` both sides may only use TURN relay candidates, so a working
 * loopback proves the TURN server allocates, authenticates and relays.
 */
import type { NodeRTCDataChannel } from './rtc-data-channel.ts';
import { type NodePeerOptions, NodeRTCPeerConnection } from './rtc-peer-connection.ts';

export interface LoopbackResult {
  /** Milliseconds from the first offer to the data channel echoing a message back. */
  connectMs: number;
  /** Candidate types of the selected pair as seen by the offerer (`relay`, `host`…). */
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
  /** Relay candidates the offerer gathered. */
  relayCandidates: number;
}

/** Why a loopback failed, for a message a person can act on. */
export class LoopbackError extends Error {
  override readonly name = 'LoopbackError';
  readonly candidateTypes: readonly string[];
  constructor(message: string, candidateTypes: readonly string[]) {
    super(message);
    this.candidateTypes = candidateTypes;
  }
}

/**
 * Connects two peers with `configuration`, opens a channel and echoes one message through it.
 * Rejects with a {@link LoopbackError} after `timeoutMs`, saying which candidates were gathered.
 */
export async function runLoopback(
  configuration: RTCConfiguration,
  timeoutMs: number,
  options: NodePeerOptions = {},
): Promise<LoopbackResult> {
  const a = new NodeRTCPeerConnection(configuration, options);
  const b = new NodeRTCPeerConnection(configuration, options);
  const gathered: string[] = [];
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const wire = (from: NodeRTCPeerConnection, to: NodeRTCPeerConnection, log: boolean) => {
      const early: RTCIceCandidateInit[] = [];
      from.addEventListener('icecandidate', (e) => {
        const c = (e as RTCPeerConnectionIceEvent).candidate;
        if (!c) return;
        if (log) gathered.push(/ typ (\w+)/.exec(c.candidate)?.[1] ?? 'unknown');
        const init = c.toJSON();
        if (to.remoteDescription) void to.addIceCandidate(init).catch(() => {});
        else early.push(init);
      });
      return async () => {
        for (const c of early.splice(0)) await to.addIceCandidate(c).catch(() => {});
      };
    };
    const flushToB = wire(a, b, true);
    const flushToA = wire(b, a, false);
    const channel = a.createDataChannel('parley-check');
    const echoed = new Promise<void>((resolve) => {
      b.addEventListener('datachannel', (e) => {
        const far = (e as unknown as { channel: NodeRTCDataChannel }).channel;
        far.addEventListener('message', (m) => far.send((m as MessageEvent).data as string));
      });
      channel.addEventListener('open', () => channel.send('parley-check'));
      channel.addEventListener('message', () => resolve());
    });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!.toJSON());
    await flushToB();
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!.toJSON());
    await flushToA();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const types = [...new Set(gathered)];
        const detail = types.length ? `gathered ${types.join(', ')} candidates` : 'gathered no candidates';
        reject(new LoopbackError(`no connection within ${timeoutMs} ms (${detail})`, gathered));
      }, timeoutMs);
    });
    await Promise.race([echoed, timedOut]);
    const stats = [...(await a.getStats()).values()];
    return {
      connectMs: performance.now() - started,
      localCandidateType: stats.find((s) => s.type === 'local-candidate')?.candidateType as
        | string
        | undefined,
      remoteCandidateType: stats.find((s) => s.type === 'remote-candidate')?.candidateType as
        | string
        | undefined,
      relayCandidates: gathered.filter((t) => t === 'relay').length,
    };
  } finally {
    if (timer) clearTimeout(timer);
    a.close();
    b.close();
  }
}
