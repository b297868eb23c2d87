/**
 * One direct call, without the DOM: dialling (ringing out) or answering, then following the SDK
 * call through connecting, connected and reconnecting to its end, said in words (who declined,
 * why it ended). The call screen renders the phases; the controller plays the ring tones.
 *
 * Imports the SDK's types and emitter only; never the DOM, so unit tests drive it with fake
 * clients and calls.
 */
import {
  type Call,
  type CallEndedReason,
  type E2eeSetup,
  isNamedError,
  type MediaOptions,
  type ParleyClient,
  ParleyError,
  type PeerSession,
  TypedEmitter,
} from '@parley/client';

/** The slice of `ParleyClient` a call session uses. */
export interface CallClient {
  readonly name: string;
  call: ParleyClient['call'];
  /** Needed only by {@link CallSession.rejoin}. */
  rejoinCall?: ParleyClient['rejoinCall'];
}

/** How a message about the call is toned: `info` for an ordinary end, `warning` otherwise. */
export type CallTone = 'info' | 'warning';

/** Where the call is, for the screen (`connecting` also when the callee answered: the ring-back stops). */
export type CallPhase =
  | { phase: 'connecting'; detail: string }
  | { phase: 'connected' }
  /** `held`: the other party's page went away (a reload, maybe); the call waits for it. */
  | { phase: 'reconnecting'; held?: boolean }
  | { phase: 'ended'; text: string; tone: CallTone };

/** Events of {@link CallSession}. */
export type CallSessionEvents = {
  /** The SDK call exists and is ours to follow (its media is set up). */
  bound: [call: Call];
  /** The phase changed; `ended` comes once and is the last event. */
  phase: [phase: CallPhase];
  /** The peer session exists: chat, files and stats hang off it. */
  peer: [peer: PeerSession];
};

/** Why a call ended, in words. */
export function describeCallEnd(
  reason: CallEndedReason,
  remote: string,
  by: string | undefined,
  self: string,
): string {
  switch (reason) {
    case 'declined':
      return `${remote} declined the call.`;
    case 'busy':
      return `${remote} is busy in another call. Try again later.`;
    case 'cancelled':
      return by === self ? 'Call cancelled.' : `${remote} cancelled the call.`;
    case 'no_answer':
      return `${remote} did not answer.`;
    case 'hangup':
      return by === self ? 'Call ended.' : `${remote} hung up.`;
    case 'peer_gone':
      return `${remote}’s connection was lost.`;
    case 'failed':
      return `Could not connect to ${remote}: no network path between you. The server may need a TURN relay (see the self-test).`;
    case 'closed':
      return 'Call ended.';
  }
}

/** An ordinary end (someone hung up or cancelled) is `info`; the others are `warning`. */
export function callEndTone(reason: CallEndedReason): CallTone {
  return reason === 'hangup' || reason === 'cancelled' ? 'info' : 'warning';
}

/** Why calling `remote` failed before it rang, in words. */
export function describeCallFailure(err: unknown, remote: string): string {
  if (err instanceof ParleyError && err.code === 'PEER_NOT_FOUND')
    return `${remote} is not online right now.`;
  if (err instanceof ParleyError && err.code === 'FORBIDDEN')
    return 'You are already in a call. Hang up first.';
  if (isNamedError(err, 'TimeoutError'))
    return 'The server did not answer. Check your connection and try again.';
  return `Could not call ${remote}.`;
}

/** What to say about an incoming call that ended before it was answered. */
export function describeMissedCall(reason: CallEndedReason, remote: string): string {
  return reason === 'cancelled' || reason === 'no_answer'
    ? `Missed call from ${remote}.`
    : `${remote}’s call ended.`;
}

/** One direct call: {@link dial} or {@link answer}, then {@link hangup} (or {@link close}). */
export class CallSession extends TypedEmitter<CallSessionEvents> {
  readonly remote: string;
  readonly #self: string;
  #call: Call | null = null;
  #closed = false;
  #offs: (() => void)[] = [];

  /** `self` is our own name (to tell "you cancelled" from "they cancelled"). */
  constructor(self: string, remote: string) {
    super();
    this.#self = self;
    this.remote = remote;
  }

  /** The SDK call, once dialled or answered. */
  get call(): Call | null {
    return this.#call;
  }

  /** True once the call ended or the session was closed: it emits nothing more. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls {@link remote}; resolves once it rings there, or ended (`phase` says why). */
  async dial(client: CallClient, media: MediaOptions & { e2ee?: E2eeSetup }): Promise<void> {
    let call: Call;
    try {
      call = await client.call(this.remote, media);
    } catch (err) {
      this.#end(describeCallFailure(err, this.remote), 'warning');
      return;
    }
    if (this.#closed) {
      void call.hangup();
      return;
    }
    this.#bind(call);
  }

  /**
   * Takes up, after this page was reloaded, the call the previous page was in (`saved`);
   * resolves once the server agreed (the call then reconnects), or ended (`phase` says why).
   */
  async rejoin(
    client: CallClient,
    saved: { id: string; direction: 'outgoing' | 'incoming' },
    media: MediaOptions,
  ): Promise<void> {
    this.#emitPhase({ phase: 'connecting', detail: `Reconnecting the call with ${this.remote}.` });
    let call: Call;
    try {
      if (!client.rejoinCall) throw new Error('this client cannot rejoin calls');
      call = await client.rejoinCall(saved.id, this.remote, saved.direction, media);
    } catch {
      this.#end(`The call with ${this.remote} ended while the page reloaded.`, 'warning');
      return;
    }
    if (this.#closed) {
      void call.hangup();
      return;
    }
    this.#bind(call);
  }

  /** Answers an incoming `call` with `media`; resolves once answered, or ended. */
  async answer(call: Call, media: MediaOptions, extra: { e2ee?: E2eeSetup } = {}): Promise<void> {
    this.#emitPhase({ phase: 'connecting', detail: `Setting up the call with ${this.remote}.` });
    try {
      await call.accept(media, extra);
    } catch {
      this.#end(`${this.remote}’s call ended before it could be answered.`, 'warning');
      return;
    }
    if (this.#closed) {
      // The person went elsewhere while it was being answered: do not leave it running.
      void call.hangup();
      return;
    }
    this.#bind(call);
  }

  #bind(call: Call): void {
    this.#call = call;
    this.emit('bound', call);
    this.#offs.push(
      call.on('accepted', () => this.#emitPhase({ phase: 'connecting', detail: `${this.remote} answered.` })),
      call.on('peer', (peer) => this.emit('peer', peer)),
      call.on('held', () => this.#emitPhase({ phase: 'reconnecting', held: true })),
      call.on('state', (state) => {
        if (state === 'connected') this.#emitPhase({ phase: 'connected' });
        else if (state === 'reconnecting') this.#emitPhase({ phase: 'reconnecting' });
      }),
      call.on('ended', (reason, by) =>
        this.#end(describeCallEnd(reason, this.remote, by, this.#self), callEndTone(reason)),
      ),
    );
    if (call.peer) this.emit('peer', call.peer);
    if (call.state === 'ended')
      this.#end(
        describeCallEnd(call.endReason ?? 'closed', this.remote, call.endedBy, this.#self),
        'warning',
      );
  }

  /** Hangs up (or cancels a call not placed yet); `phase` then says how it ended. */
  async hangup(): Promise<void> {
    if (this.#closed) return;
    if (this.#call) await this.#call.hangup();
    else this.#end('Call cancelled.', 'info');
  }

  /** Ends the session without a word (the person went elsewhere): hangs up a call still going. */
  close(): void {
    if (this.#closed) return;
    this.#stop();
    if (this.#call && this.#call.state !== 'ended') void this.#call.hangup();
  }

  #emitPhase(phase: CallPhase): void {
    if (!this.#closed) this.emit('phase', phase);
  }

  #end(text: string, tone: CallTone): void {
    if (this.#closed) return;
    this.#stop();
    this.emit('phase', { phase: 'ended', text, tone });
  }

  #stop(): void {
    this.#closed = true;
    for (const off of this.#offs) off();
    this.#offs = [];
  }
}
