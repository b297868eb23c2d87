/**
 * The ICE side of an {@link SfuSession}'s two connections. When trickling, our candidates of
 * each connection are held until the SFU has that connection's description (after
 * `sfu.published`, after our `sfu.answer`), then sent one by one with `sfu.trickle` in the order
 * gathered, `null` for the end of gathering; a connection that was replaced or closed sends
 * nothing more. Without trickling, a description waits for gathering instead ({@link gathered}).
 *
 * Imports: protocol (types), peer-session (the constructor type).
 */
import type { ClientMessage, ServerMessage } from '@parley/protocol';
import type { RTCPeerConnectionConstructor } from '../peer/peer-session.ts';

/** Which of the session's two connections. */
export type SfuTarget = 'publisher' | 'subscriber';

/** What the candidate relay needs from its session. */
export interface SfuCandidatesHost {
  room: string;
  request(msg: ClientMessage): Promise<ServerMessage>;
  PC: RTCPeerConnectionConstructor;
  iceServers: RTCIceServer[];
  /** Trickle candidates (true) or wait for gathering (false). */
  trickle: boolean;
  /** Whether `pc` is still the session's `target` connection (false once replaced or closed). */
  isCurrent(pc: RTCPeerConnection, target: SfuTarget): boolean;
  /** A candidate could not be sent. */
  onError(error: Error): void;
}

/** Creates the session's connections and relays their candidates to the SFU. */
export class SfuCandidates {
  readonly #host: SfuCandidatesHost;
  /** Our candidates per connection, held until the SFU can take them (`null`: sent as they come). */
  readonly #held = new Map<RTCPeerConnection, (RTCIceCandidateInit | null)[] | null>();
  #closed = false;

  constructor(host: SfuCandidatesHost) {
    this.#host = host;
  }

  /**
   * A connection with the SFU. When trickling, its candidates are held until
   * {@link release}, then sent one by one with `sfu.trickle`.
   */
  create(target: SfuTarget): RTCPeerConnection {
    const pc = new this.#host.PC({ iceServers: this.#host.iceServers });
    if (!this.#host.trickle) return pc;
    this.#held.set(pc, []);
    pc.addEventListener('icecandidate', (ev: RTCPeerConnectionIceEvent) => {
      const c = ev.candidate ? ev.candidate.toJSON() : null;
      const held = this.#held.get(pc);
      if (held === undefined) return; // closed or replaced
      if (held) held.push(c);
      else this.#send(pc, target, c);
    });
    return pc;
  }

  /** Sends what `pc` gathered so far and, from now on, each candidate as it comes. */
  release(pc: RTCPeerConnection, target: SfuTarget): void {
    const held = this.#held.get(pc);
    if (!held) return;
    this.#held.set(pc, null);
    for (const c of held) this.#send(pc, target, c);
  }

  /** `pc` is being replaced: nothing more of it goes out. */
  forget(pc: RTCPeerConnection | undefined): void {
    if (pc) this.#held.delete(pc);
  }

  close(): void {
    this.#closed = true;
    this.#held.clear();
  }

  #send(pc: RTCPeerConnection, target: SfuTarget, c: RTCIceCandidateInit | null): void {
    if (this.#closed || !this.#host.isCurrent(pc, target)) return;
    const candidate =
      c === null
        ? null
        : {
            candidate: c.candidate ?? '',
            ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}),
            ...(c.sdpMLineIndex !== undefined ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
          };
    this.#host
      .request({ type: 'sfu.trickle', room: this.#host.room, target, candidate })
      .catch((err: unknown) => {
        // A lost candidate only narrows the paths ICE tries (peer-reflexive ones still work).
        if (!this.#closed) this.#host.onError(err instanceof Error ? err : new Error(String(err)));
      });
  }
}

/** Resolves once ICE gathering completed (or after `timeoutMs`: send what we have). */
export function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
