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
}

/** Result of `CallStore.create`. */
export type CreateCallResult = 'ok' | 'caller_busy' | 'callee_busy';

/** Storage of calls. */
export interface CallStore {
  /** Stores a new ringing call unless either party is already in one. */
  create(call: CallRecord): Promise<CreateCallResult>;
  get(id: string): Promise<CallRecord | null>;
  /** The call `name` is in, if any. */
  callOf(name: string): Promise<CallRecord | null>;
  /** Moves a ringing call to active; false when it is not ringing (any more). */
  activate(id: string): Promise<boolean>;
  /** Deletes a call and returns it; null when it was already gone (so only one ender wins). */
  remove(id: string): Promise<CallRecord | null>;
}

/** Calls held in this process's memory. */
export class MemoryCallStore implements CallStore {
  readonly #calls = new Map<string, CallRecord>();
  readonly #byName = new Map<string, string>();

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

  async remove(id: string): Promise<CallRecord | null> {
    const c = this.#calls.get(id);
    if (!c) return null;
    this.#calls.delete(id);
    if (this.#byName.get(c.caller) === id) this.#byName.delete(c.caller);
    if (this.#byName.get(c.callee) === id) this.#byName.delete(c.callee);
    return c;
  }
}
