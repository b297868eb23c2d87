/**
 * Server-tracked 1:1 calls. The server mints the call id, rings the callee, times the ringing
 * out, and guarantees that both parties always end up with exactly one `call.ended`:
 *
 * - `call.invite` → caller `call.ringing {re}`, callee `call.incoming`; a callee already in a
 *   call → caller `call.ended {re, reason:'busy'}` at once. Inviting while in a call: FORBIDDEN.
 * - `call.accept` (callee, ringing) → both `call.accepted` (the acceptor's carries `re`).
 * - `call.decline {busy?}` (callee, ringing), `call.cancel` (caller, ringing) and `call.hangup`
 *   (either party, any state) end the call: the requester gets `call.ended {re}` and the other
 *   party `call.ended`, both with the same `reason` and `by` = the requester.
 * - No answer within the ring timeout → both `call.ended {reason:'no_answer'}`.
 * - A party whose session ends → the other gets `hangup` (bye) or `peer_gone` (grace expired).
 * - `call.resume {call, peer}` (after a non-resumed `welcome`: the server forgot the call) is a
 *   claim; when both parties claimed the same id with each other the call is active again and
 *   both get `call.resumed`. One claim alone grants nothing and expires; claims per session are
 *   bounded (LIMITS.callResumeClaimsMax).
 *
 * - A callee whose session is in resume grace (its client briefly away: hidden, frozen, asleep,
 *   switching networks) is rung all the same: the caller's `call.ringing` says `reach:
 *   'reaching'`, the `call.incoming` waits in the session's queue, and when the client resumes
 *   within the ring time it gets a fresh `call.incoming` with the ring time left (`ringMs`) and
 *   the caller a `call.ringing` with `reach: 'ringing'` ({@link Calls.calleeBack}).
 * - A party whose page said `leaving` and whose socket dropped → the other gets `call.held`
 *   (the call waits for the reload grace). The reloaded page's `call.rejoin {call}` (once per
 *   resumed connection, active calls only) → both get `call.resumed {restart: true}` and start a
 *   new peer connection.
 *
 * Limits: a name is in at most one call (ringing or active), so a callee is rung by at most one
 * caller at a time (others get `busy`); one session may invite one callee at most
 * `invitesPerPeerPerMin` times a minute (RATE_LIMITED beyond), and `data` is bounded by the
 * schema (LIMITS.callInviteDataMaxBytes).
 * Anything else (unknown id, not a party, wrong state) is CALL_NOT_FOUND.
 */
import { randomUUID } from 'node:crypto';
import { assertNever, type CallEndReason, type ClientMessageOf, LIMITS, ParleyError } from '@parley/protocol';
import type { Directory } from '../directory/directory.ts';
import type { Relay } from '../relay/relay.ts';
import type { Session } from '../session/session.ts';
import { TokenBucket } from '../session/token-bucket.ts';
import { type Frame, frame } from '../wire/frames.ts';
import type { CallRecord, CallState, CallStore } from './call-store.ts';

/** Ends of a ringing call that make it a missed one for the callee. */
const MISSED_REASONS: ReadonlySet<CallEndReason> = new Set(['no_answer', 'cancelled', 'peer_gone']);

/** Callees whose invite budget one session keeps; the oldest is forgotten beyond this. */
const MAX_TRACKED_CALLEES = 64;

/** What the call service keeps per session: invite budgets per callee, claims made. */
interface CallerState {
  invites: Map<string, TokenBucket>;
  claims: number;
}

type ReqId = string | number | undefined;

/** The call service of one node. */
export class Calls {
  readonly #store: CallStore;
  readonly #relay: Relay;
  readonly #directory: Directory;
  readonly #ringTimeoutMs: number;
  readonly #ringTimers = new Map<string, NodeJS.Timeout>();
  /** When each call this node rings stops ringing (epoch ms). */
  readonly #ringDeadlines = new Map<string, number>();
  /** Whether `name`'s session is attached to a socket here: true, false (in grace), or unknown. */
  readonly #isLive: (name: string) => boolean | undefined;
  readonly #invitesPerMin: number;
  readonly #state = new WeakMap<Session, CallerState>();

  constructor(
    store: CallStore,
    relay: Relay,
    directory: Directory,
    ringTimeoutS: number,
    invitesPerPeerPerMin = 6,
    isLive: (name: string) => boolean | undefined = () => undefined,
  ) {
    this.#isLive = isLive;
    this.#store = store;
    this.#relay = relay;
    this.#directory = directory;
    this.#ringTimeoutMs = Math.round(ringTimeoutS * 1000);
    this.#invitesPerMin = invitesPerPeerPerMin;
  }

  #stateOf(session: Session): CallerState {
    const known = this.#state.get(session);
    if (known) return known;
    const st: CallerState = { invites: new Map(), claims: 0 };
    this.#state.set(session, st);
    return st;
  }

  /** Takes one invite from `session`'s budget for `to`; RATE_LIMITED when it is spent. */
  #takeInvite(session: Session, to: string): void {
    const invites = this.#stateOf(session).invites;
    let bucket = invites.get(to);
    if (!bucket) {
      if (invites.size >= MAX_TRACKED_CALLEES) invites.delete(invites.keys().next().value as string);
      bucket = new TokenBucket(this.#invitesPerMin / 60, this.#invitesPerMin);
      invites.set(to, bucket);
    }
    if (!bucket.take())
      throw new ParleyError('RATE_LIMITED', `at most ${this.#invitesPerMin} invites a minute to one peer`);
  }

  /**
   * Handles `call.invite`. Every frame is built before the call is stored, and anything failing
   * once it is stored (delivery to the callee, the reply to the caller) removes the record and
   * its ring timer again, so a failed invite leaves no call behind (no "ghost call" that keeps
   * the callee busy with an id neither party knows).
   */
  async invite(session: Session, msg: ClientMessageOf<'call.invite'>): Promise<void> {
    const to = msg.to;
    if (to === session.name) throw new ParleyError('FORBIDDEN', 'a session cannot call itself');
    this.#takeInvite(session, to);
    if ((await this.#directory.locate(to)) === null)
      throw new ParleyError('PEER_NOT_FOUND', `no peer named "${to}"`);
    const call: CallRecord = {
      id: randomUUID(),
      caller: session.name,
      callee: to,
      state: 'ringing',
      ringsUntil: Date.now() + this.#ringTimeoutMs,
    };
    let incomingFrame: Frame<'call.incoming'>;
    try {
      incomingFrame = frame({
        type: 'call.incoming',
        call: call.id,
        from: session.name,
        data: msg.data,
        ...(msg.e2ee ? { e2ee: msg.e2ee } : {}),
        ringMs: this.#ringTimeoutMs,
      });
    } catch (err) {
      throw new ParleyError('BAD_MESSAGE', 'call data cannot be relayed', { cause: err });
    }
    const reach = this.#isLive(to) === false ? 'reaching' : 'ringing';
    const ringingFrame = frame({ type: 'call.ringing', re: msg.id, call: call.id, to, reach });
    const created = await this.#store.create(call);
    if (created === 'caller_busy') throw new ParleyError('FORBIDDEN', 'already in a call: hang up first');
    if (created === 'callee_busy') {
      session.send(
        frame({ type: 'call.ended', re: msg.id, call: call.id, peer: to, reason: 'busy', by: to }),
      );
      return;
    }
    // From here on the call is stored: any failure rolls it back.
    let delivered = false;
    try {
      this.#startRinging(call.id, session);
      delivered = await this.#relay.deliver(to, incomingFrame);
      if (!delivered) throw new ParleyError('PEER_NOT_FOUND', `no peer named "${to}"`);
      session.send(ringingFrame);
    } catch (err) {
      await this.#rollback(call, delivered, session);
      throw err;
    }
    session.log.debug({ call: call.id, to, reach }, 'call ringing');
  }

  /**
   * The session of `session.name` resumed on this node: if it is being rung, it gets a fresh
   * `call.incoming` with the ring time left (after the queued one, which carries the time left when
   * it was queued) and the caller a `call.ringing` with `reach: 'ringing'`. The ring may be timed
   * by another node (the callee's session was parked and resumed here): the time left then comes
   * from the call record, by that node's clock. Failures are logged, never thrown: the resume
   * itself has succeeded.
   */
  async calleeBack(session: Session): Promise<void> {
    try {
      const call = await this.#store.callOf(session.name);
      if (call?.state !== 'ringing' || call.callee !== session.name) return;
      const due = this.#ringDeadlines.get(call.id) ?? call.ringsUntil;
      if (due === undefined) return;
      const ringMs = due - Date.now();
      if (ringMs <= 0) return;
      session.send(frame({ type: 'call.incoming', call: call.id, from: call.caller, ringMs }));
      await this.#relay.deliver(
        call.caller,
        frame({ type: 'call.ringing', call: call.id, to: call.callee, reach: 'ringing' }),
      );
    } catch (err) {
      session.log.warn({ err }, 'ringing call not renewed after resume');
    }
  }

  /**
   * Undoes a call whose setup failed part-way: removes the record (if it is still there) and
   * stops its ring timer; a callee that was already rung is told the call ended (`cancelled`).
   */
  async #rollback(call: CallRecord, calleeRung: boolean, session: Session): Promise<void> {
    this.#stopRinging(call.id);
    try {
      const removed = await this.#store.remove(call.id);
      if (removed && calleeRung) {
        const ended = frame({
          type: 'call.ended',
          call: call.id,
          peer: call.caller,
          reason: 'cancelled',
          by: call.caller,
        });
        await this.#relay.deliver(call.callee, ended);
      }
    } catch (err) {
      session.log.warn({ err, call: call.id }, 'call rollback incomplete');
    }
  }

  #startRinging(id: string, session: Session): void {
    this.#ringDeadlines.set(id, Date.now() + this.#ringTimeoutMs);
    const timer = setTimeout(() => {
      this.#ringTimers.delete(id);
      this.#ringDeadlines.delete(id);
      // Only a call still ringing: it may have been answered on another node, which cannot stop
      // this timer.
      void this.#end(id, 'no_answer', undefined, undefined, undefined, 'ringing').catch((err) =>
        session.log.error({ err }, 'ring timeout failed'),
      );
    }, this.#ringTimeoutMs);
    timer.unref();
    this.#ringTimers.set(id, timer);
  }

  /**
   * Handles `call.accept` by the callee of a ringing call. When telling either party fails once
   * the call is active, the call is ended for both (`peer_gone`) rather than left half-known.
   */
  async accept(session: Session, msg: ClientMessageOf<'call.accept'>): Promise<void> {
    const call = await this.#find(msg.call, session.name, 'callee', 'ringing');
    const mine = frame({ type: 'call.accepted', re: msg.id, call: call.id, peer: call.caller });
    const theirs = frame({ type: 'call.accepted', call: call.id, peer: call.callee });
    if (!(await this.#store.activate(call.id))) throw notFound(msg.call);
    this.#stopRinging(call.id);
    try {
      session.send(mine);
      await this.#relay.deliver(call.caller, theirs);
    } catch (err) {
      await this.#end(call.id, 'peer_gone', undefined, undefined, undefined).catch(() => {});
      throw err;
    }
    session.log.debug({ call: call.id }, 'call accepted');
  }

  /** Handles `call.decline {busy?}` by the callee of a ringing call. */
  async decline(session: Session, msg: ClientMessageOf<'call.decline'>): Promise<void> {
    await this.#find(msg.call, session.name, 'callee', 'ringing');
    await this.#end(msg.call, msg.busy ? 'busy' : 'declined', session, session.name, msg.id);
  }

  /** Handles `call.cancel` by the caller of a ringing call. */
  async cancel(session: Session, msg: ClientMessageOf<'call.cancel'>): Promise<void> {
    await this.#find(msg.call, session.name, 'caller', 'ringing');
    await this.#end(msg.call, 'cancelled', session, session.name, msg.id);
  }

  /** Handles `call.hangup` by either party, ringing or active. */
  async hangup(session: Session, msg: ClientMessageOf<'call.hangup'>): Promise<void> {
    await this.#find(msg.call, session.name, 'either', undefined);
    await this.#end(msg.call, 'hangup', session, session.name, msg.id);
  }

  /**
   * Handles `call.resume {call, peer}`: a claim that the server, which forgot its calls (restart,
   * dead node), should know this call again. Pending claims get `ack`; once both parties claimed
   * the same id with each other, both get `call.resumed`. Anything else is CALL_NOT_FOUND.
   */
  async resume(session: Session, msg: ClientMessageOf<'call.resume'>): Promise<void> {
    if (msg.peer === session.name) throw notFound(msg.call);
    const st = this.#stateOf(session);
    if (st.claims >= LIMITS.callResumeClaimsMax)
      throw new ParleyError(
        'FORBIDDEN',
        `at most ${LIMITS.callResumeClaimsMax} call.resume claims per session`,
      );
    st.claims++;
    const mine = frame({ type: 'call.resumed', re: msg.id, call: msg.call, peer: msg.peer });
    const theirs = frame({ type: 'call.resumed', call: msg.call, peer: session.name });
    const claim = { call: msg.call, name: session.name, peer: msg.peer };
    const result = await this.#store.claim(claim, LIMITS.callResumeClaimTtlS * 1000);
    switch (result) {
      case 'pending':
        if (msg.id !== undefined) session.send(frame({ type: 'ack', re: msg.id }));
        return;
      case 'exists':
        session.send(mine);
        return;
      case 'matched':
        try {
          session.send(mine);
          if (!(await this.#relay.deliver(msg.peer, theirs)))
            throw new ParleyError('PEER_NOT_FOUND', `no peer named "${msg.peer}"`);
        } catch (err) {
          // The other party cannot be told: end the call again rather than leave it half-known.
          await this.#end(msg.call, 'peer_gone', undefined, msg.peer, undefined).catch(() => {});
          throw err;
        }
        session.log.info({ call: msg.call }, 'call resumed');
        return;
      case 'refused':
        throw notFound(msg.call);
      default:
        return assertNever(result);
    }
  }

  /**
   * `name`'s page is going away and its socket dropped: tells the other party of its active call
   * (if any) that the call is held for `graceMs`, awaiting a reload.
   */
  async held(name: string, graceMs: number): Promise<void> {
    const call = await this.#store.callOf(name);
    if (call?.state !== 'active') return;
    const other = call.caller === name ? call.callee : call.caller;
    await this.#relay.deliver(other, frame({ type: 'call.held', call: call.id, peer: name, graceMs }));
  }

  /**
   * Handles `call.rejoin {call}`: a reloaded page (its session resumed; its peer connection is
   * new) takes its active call up again. Allowed once per resumed connection; both parties get
   * `call.resumed {restart: true}`. A call that is not active with this session as a party, a
   * second rejoin, or one on a fresh (not resumed) session is CALL_NOT_FOUND.
   */
  async rejoin(session: Session, msg: ClientMessageOf<'call.rejoin'>): Promise<void> {
    if (!session.rejoinable.call) throw notFound(msg.call);
    const call = await this.#find(msg.call, session.name, 'either', 'active');
    session.rejoinable.call = false;
    const other = call.caller === session.name ? call.callee : call.caller;
    session.send(frame({ type: 'call.resumed', re: msg.id, call: call.id, peer: other, restart: true }));
    const told = await this.#relay.deliver(
      other,
      frame({ type: 'call.resumed', call: call.id, peer: session.name, restart: true }),
    );
    if (!told) await this.#end(call.id, 'peer_gone', undefined, other, undefined);
    else session.log.info({ call: call.id }, 'call rejoined after a reload');
  }

  /**
   * Ends the call of a session that is ending (`hangup` on bye, `peer_gone` after grace) and
   * drops its pending `call.resume` claims.
   */
  async endFor(name: string, reason: 'hangup' | 'peer_gone'): Promise<void> {
    await this.#store.dropClaims(name);
    const call = await this.#store.callOf(name);
    if (call) await this.#end(call.id, reason, undefined, name, undefined);
  }

  /**
   * After a `welcome`: tells the session of the calls that rang for its name and ended
   * unanswered since it last heard (it may have been away: frozen, asleep, offline).
   */
  async sendMissed(session: Session): Promise<void> {
    // Kept in the directory (cluster-wide with Redis) and taken atomically: told exactly once,
    // on whichever node the name comes back. A failed take leaves them for the next welcome.
    const calls = await this.#directory.takeMissed(session.name);
    if (calls.length > 0) session.send(frame({ type: 'call.missed', calls }));
  }

  /** Stops every ring timer (shutdown). */
  close(): void {
    for (const t of this.#ringTimers.values()) clearTimeout(t);
    this.#ringTimers.clear();
    this.#ringDeadlines.clear();
  }

  async #find(
    id: string,
    name: string,
    role: 'caller' | 'callee' | 'either',
    state: CallRecord['state'] | undefined,
  ): Promise<CallRecord> {
    const call = await this.#store.get(id);
    if (!call) throw notFound(id);
    const isParty =
      role === 'caller'
        ? call.caller === name
        : role === 'callee'
          ? call.callee === name
          : call.caller === name || call.callee === name;
    if (!isParty || (state !== undefined && call.state !== state)) throw notFound(id);
    return call;
  }

  /**
   * Removes the call and tells both parties. `requester` (when the end was requested on this
   * socket) gets its `call.ended` directly with `re`; everyone else through the relay.
   */
  async #end(
    id: string,
    reason: CallEndReason,
    requester: Session | undefined,
    by: string | undefined,
    re: ReqId,
    onlyIf?: CallState,
  ): Promise<void> {
    const call = await this.#store.remove(id, onlyIf);
    if (!call) {
      if (requester) throw notFound(id);
      return;
    }
    // The record is gone and the timer stopped before anyone is told: a failing delivery below
    // can no longer leave the call behind.
    this.#stopRinging(id);
    if (call.state === 'ringing' && MISSED_REASONS.has(reason))
      await this.#directory
        .recordMissed(call.callee, { call: id, from: call.caller, at: Date.now(), reason })
        .catch(() => {}); // best effort: the parties must still be told the call ended
    const notify = async (name: string, peer: string) => {
      if (requester && requester.name === name)
        requester.send(frame({ type: 'call.ended', re, call: id, peer, reason, by }));
      // A session ending on its own (bye, grace expiry) is not told about its own departure.
      else if (requester || name !== by)
        await this.#relay.deliver(name, frame({ type: 'call.ended', call: id, peer, reason, by }));
    };
    // Both parties are told even when telling one of them fails.
    const told = await Promise.allSettled([
      notify(call.caller, call.callee),
      notify(call.callee, call.caller),
    ]);
    for (const t of told) if (t.status === 'rejected') throw t.reason;
  }

  #stopRinging(id: string): void {
    this.#ringDeadlines.delete(id);
    const t = this.#ringTimers.get(id);
    if (t) {
      clearTimeout(t);
      this.#ringTimers.delete(id);
    }
  }
}

function notFound(id: string): ParleyError {
  return new ParleyError('CALL_NOT_FOUND', `no call "${id.slice(0, 64)}" in a state that allows this`);
}
