/**
 * Where the state of 1:1 calls lives. An interface, async like the directory, so a shared
 * backend can hold calls when several nodes serve one deployment; `MemoryCallStore` is the
 * in-process default. A name is in at most one call (ringing or active) at a time, and `create`
 * checks that atomically for both parties.
 */

export type CallState = 'ringing' | 'active';

/** One call between a caller and a callee. */
export interface CallRecord {
  readonly id: string;
  readonly caller: string;
  readonly callee: string;
  state: CallState;
  /**
   * When the ring ends (epoch ms, by the clock of the node that rings), while the call rings; a
   * callee resuming on another node rings on for the time left (`Calls.calleeBack`).
   */
  readonly ringsUntil?: number | undefined;
}

/** Result of `CallStore.create`. */
export type CreateCallResult = 'ok' | 'caller_busy' | 'callee_busy';

/**
 * Result of `CallStore.claim`: `pending` (stored, waiting for the other party's claim),
 * `matched` (the other party had claimed the same call with us: the call is active again),
 * `exists` (the store still knows this call between these two), `refused` (the call id is known
 * with other parties, or either party is in another call).
 */
export type ClaimResult = 'pending' | 'matched' | 'exists' | 'refused';

/** A `call.resume` claim: `name` says it is in call `call` with `peer`. */
export interface CallClaim {
  readonly call: string;
  readonly name: string;
  readonly peer: string;
}

/** Storage of calls. */
export interface CallStore {
  /** Stores a new ringing call unless either party is already in one. */
  create(call: CallRecord): Promise<CreateCallResult>;
  get(id: string): Promise<CallRecord | null>;
  /** The call `name` is in, if any. */
  callOf(name: string): Promise<CallRecord | null>;
  /** Moves a ringing call to active; false when it is not ringing (any more). */
  activate(id: string): Promise<boolean>;
  /**
   * Deletes a call and returns it; null when it was already gone (so only one ender wins), or
   * when `onlyIf` is given and the call is in another state (a ring timeout must not end a call
   * answered meanwhile, perhaps on another node).
   */
  remove(id: string, onlyIf?: CallState): Promise<CallRecord | null>;
  /**
   * Records a claim (after a server restart) and, when the other party already claimed the same
   * call with `claim.name`, recreates the call as active (the earlier claimer as caller), both
   * claims consumed — all in one atomic step. A claim expires after `ttlMs`.
   */
  claim(claim: CallClaim, ttlMs: number): Promise<ClaimResult>;
  /** Forgets every claim made by `name` (its session ended). */
  dropClaims(name: string): Promise<void>;
}

/** Calls held in this process's memory. */
export class MemoryCallStore implements CallStore {
  readonly #calls = new Map<string, CallRecord>();
  readonly #byName = new Map<string, string>();
  /** Claims by `call\nname` → the claimed peer and the timer that expires it. */
  readonly #claims = new Map<string, { peer: string; timer: NodeJS.Timeout }>();
  /** Claim keys per claimer, to drop them when its session ends. */
  readonly #claimsOf = new Map<string, Set<string>>();

  async create(call: CallRecord): Promise<CreateCallResult> {
    if (this.#byName.has(call.caller)) return 'caller_busy';
    if (this.#byName.has(call.callee)) return 'callee_busy';
    this.#calls.set(call.id, { ...call });
    this.#byName.set(call.caller, call.id);
    this.#byName.set(call.callee, call.id);
    return 'ok';
  }

  async get(id: string): Promise<CallRecord | null> {
    const c = this.#calls.get(id);
    return c ? { ...c } : null;
  }

  async callOf(name: string): Promise<CallRecord | null> {
    const id = this.#byName.get(name);
    return id === undefined ? null : this.get(id);
  }

  async activate(id: string): Promise<boolean> {
    const c = this.#calls.get(id);
    if (c?.state !== 'ringing') return false;
    c.state = 'active';
    return true;
  }

  async claim(claim: CallClaim, ttlMs: number): Promise<ClaimResult> {
    const { call: id, name, peer } = claim;
    const known = this.#calls.get(id);
    if (known) {
      const between =
        (known.caller === name && known.callee === peer) || (known.caller === peer && known.callee === name);
      return between ? 'exists' : 'refused';
    }
    if (this.#byName.has(name)) return 'refused';
    const theirs = this.#claims.get(`${id}\n${peer}`);
    if (theirs?.peer === name) {
      if (this.#byName.has(peer)) return 'refused';
      this.#unclaim(id, peer);
      this.#unclaim(id, name);
      this.#calls.set(id, { id, caller: peer, callee: name, state: 'active' });
      this.#byName.set(peer, id);
      this.#byName.set(name, id);
      return 'matched';
    }
    this.#unclaim(id, name);
    const key = `${id}\n${name}`;
    const timer = setTimeout(() => this.#unclaim(id, name), ttlMs);
    timer.unref();
    this.#claims.set(key, { peer, timer });
    const mine = this.#claimsOf.get(name) ?? new Set<string>();
    this.#claimsOf.set(name, mine);
    mine.add(key);
    return 'pending';
  }

  async dropClaims(name: string): Promise<void> {
    for (const key of [...(this.#claimsOf.get(name) ?? [])])
      this.#unclaim(key.slice(0, key.indexOf('\n')), name);
  }

  #unclaim(id: string, name: string): void {
    const key = `${id}\n${name}`;
    const c = this.#claims.get(key);
    if (!c) return;
    clearTimeout(c.timer);
    this.#claims.delete(key);
    const mine = this.#claimsOf.get(name);
    mine?.delete(key);
    if (mine?.size === 0) this.#claimsOf.delete(name);
  }

  async remove(id: string, onlyIf?: CallState): Promise<CallRecord | null> {
    const c = this.#calls.get(id);
    if (!c || (onlyIf !== undefined && c.state !== onlyIf)) return null;
    this.#calls.delete(id);
    if (this.#byName.get(c.caller) === id) this.#byName.delete(c.caller);
    if (this.#byName.get(c.callee) === id) this.#byName.delete(c.callee);
    return c;
  }
}
