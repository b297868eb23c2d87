/**
 * The one place that routes the server's frames to the calls and rooms they concern: `signal`
 * by its scope (`call:<id>` / `room:<name>`), `call.*` by call id, `room.*`, `peer.*` and
 * `sfu.feeds` by room name. It also keeps the frames that arrive before their call can take
 * them, and delivers them once, in order, when it can:
 *
 * - a call not registered yet: `call()` registers its call when the `call.ringing` reply
 *   resolves, a microtask later; in Node the `ws` package dispatches frames that arrived together
 *   synchronously, so a quick callee's `call.accepted` and first offer can be handled before
 *   that;
 * - a call registered but without its peer session yet: the caller can hear from the callee just
 *   before `call.accepted` is processed.
 *
 * Kept frames are bounded ({@link EARLY_LIMITS}: per call, calls at once, time). Frames for a
 * call that ended here are dropped, not kept.
 *
 * Imports: protocol (frame types, the signal decoder), call/room (their control handles), host
 * (the handle types), log.
 */
import { assertNever, decodeSignalData, type ServerMessageOf } from '@parley/protocol';
import { type Call, callControl } from './call.ts';
import type { CallControl, RoomControl } from './host.ts';
import type { Logger } from './log.ts';
import { type Room, roomControl } from './room.ts';

/** Bounds of the frames kept for calls that cannot take them yet. */
export interface EarlyLimits {
  /** Frames kept per call. */
  framesPerCall: number;
  /** Calls with kept frames at once. */
  calls: number;
  /** How long kept frames wait for their call. */
  ttlMs: number;
}

/** Early frames kept per call, calls tracked at once, and how long they wait. */
export const EARLY_LIMITS: Readonly<EarlyLimits> = { framesPerCall: 64, calls: 16, ttlMs: 10_000 };
/** How many ended call ids are remembered, so late frames for them are dropped, not kept. */
export const ENDED_CALLS_KEPT = 64;

/** The server frames that concern a call or a room. */
export type ConversationFrame = ServerMessageOf<
  | 'signal'
  | 'call.accepted'
  | 'call.ended'
  | 'call.resumed'
  | 'call.held'
  | 'room.joined'
  | 'room.mode'
  | 'sfu.feeds'
  | 'peer.joined'
  | 'peer.left'
  | 'room.message'
  | 'room.data'
>;

/** Options of {@link Conversations}. */
export interface ConversationsOptions {
  logger: Logger;
  /** The set of registered calls changed (the client remembers their ids for a page reload). */
  onCallsChanged?: (ids: string[]) => void;
  /** Overrides of {@link EARLY_LIMITS} (tests). */
  earlyLimits?: Partial<EarlyLimits>;
}

/** The calls and rooms of one client, and the routing of server frames to them. */
export class Conversations {
  readonly #log: Logger;
  readonly #onCallsChanged: (ids: string[]) => void;
  readonly #limits: EarlyLimits;
  readonly #calls = new Map<string, Call>();
  readonly #callControls = new Map<string, CallControl>();
  readonly #rooms = new Map<string, Room>();
  readonly #roomControls = new Map<string, RoomControl>();
  readonly #early = new Map<string, { frames: ConversationFrame[]; timer: ReturnType<typeof setTimeout> }>();
  /** Ended call ids, oldest first (a Set keeps insertion order). */
  readonly #ended = new Set<string>();

  constructor(options: ConversationsOptions) {
    this.#log = options.logger;
    this.#onCallsChanged = options.onCallsChanged ?? (() => {});
    this.#limits = { ...EARLY_LIMITS, ...options.earlyLimits };
  }

  /** Registered calls (ringing, incoming or active), by id. */
  get calls(): ReadonlyMap<string, Call> {
    return this.#calls;
  }
  /** Registered rooms, by name. */
  get rooms(): ReadonlyMap<string, Room> {
    return this.#rooms;
  }
  /** How many calls have frames waiting (tests, diagnostics). */
  get waiting(): number {
    return this.#early.size;
  }

  /** Registers a call; frames kept for it are delivered now. */
  addCall(call: Call): void {
    this.#calls.set(call.id, call);
    this.#callControls.set(call.id, callControl(call));
    this.#onCallsChanged([...this.#calls.keys()]);
    this.callReady(call.id);
  }

  /** Registers a room. */
  addRoom(room: Room): void {
    this.#rooms.set(room.name, room);
    this.#roomControls.set(room.name, roomControl(room));
  }

  /** A call or room is over: forget it; later frames for the call are dropped. */
  forget({ call, room }: { call?: string; room?: string }): void {
    if (call !== undefined) {
      this.#remember(call);
      this.#drop(call);
      if (this.#calls.delete(call)) {
        this.#callControls.delete(call);
        this.#onCallsChanged([...this.#calls.keys()]);
      }
    }
    if (room !== undefined && this.#rooms.delete(room)) this.#roomControls.delete(room);
  }

  /** The call can take signals now (it has a peer session): frames kept for it are delivered. */
  callReady(id: string): void {
    const entry = this.#early.get(id);
    if (!entry) return;
    this.#drop(id);
    for (const msg of entry.frames) this.route(msg);
  }

  /** Hands `msg` to the call or room it concerns, or keeps it for a call not ready for it. */
  route(msg: ConversationFrame): void {
    switch (msg.type) {
      case 'signal':
        this.#routeSignal(msg);
        return;
      case 'call.accepted': {
        const call = this.#callControls.get(msg.call);
        if (call) call.accepted();
        else this.#keep(msg.call, msg);
        return;
      }
      case 'call.ended': {
        const call = this.#callControls.get(msg.call);
        if (call) call.ended(msg.reason, msg.by);
        else this.#keep(msg.call, msg);
        return;
      }
      case 'call.resumed':
        this.#callControls.get(msg.call)?.resumed(msg.restart === true);
        return;
      case 'call.held':
        this.#callControls.get(msg.call)?.held(msg.graceMs);
        return;
      case 'room.joined':
        this.#roomControls.get(msg.room)?.joined(msg.peers, msg.mode, msg.e2ee === 'required');
        return;
      case 'room.mode':
        this.#roomControls.get(msg.room)?.mode(msg.mode);
        return;
      case 'sfu.feeds':
        this.#roomControls.get(msg.room)?.sfuFeeds(msg.feeds.map((f) => f.name));
        return;
      case 'peer.joined':
        this.#roomControls.get(msg.room)?.peerJoined(msg.name, msg.restart === true);
        return;
      case 'peer.left':
        this.#roomControls.get(msg.room)?.peerLeft(msg.name, msg.reason);
        return;
      case 'room.message':
        this.#roomControls.get(msg.room)?.message(msg.from, msg.data);
        return;
      case 'room.data':
        this.#roomControls.get(msg.room)?.data(msg);
        return;
      default:
        assertNever(msg);
    }
  }

  /** Drops every kept frame (the client closes). */
  close(): void {
    for (const { timer } of this.#early.values()) clearTimeout(timer);
    this.#early.clear();
  }

  // ------------------------------------------------------------------------------------------

  #routeSignal(msg: ServerMessageOf<'signal'>): void {
    const decoded = decodeSignalData(msg.data);
    if (!decoded.ok) {
      this.#log.debug('signal data not understood', {
        from: msg.from,
        code: decoded.code,
        error: decoded.message,
      });
      return;
    }
    const data = decoded.msg;
    if (data.scope.startsWith('call:')) {
      const id = data.scope.slice(5);
      const call = this.#callControls.get(id);
      if (!call) this.#keep(id, msg);
      else if (call.call.remote !== msg.from)
        this.#log.debug('signal for a call with another peer', { from: msg.from });
      else if (!call.signal(data)) this.#keep(id, msg);
    } else {
      const room = this.#roomControls.get(data.scope.slice(5));
      if (room) room.signal(msg.from, data);
      else this.#log.debug('signal for unknown room', { from: msg.from });
    }
  }

  /** Keeps a frame for a call that cannot take it yet (see the module header). */
  #keep(id: string, msg: ConversationFrame): void {
    if (this.#ended.has(id)) {
      this.#log.debug('frame for an ended call dropped', { call: id, type: msg.type });
      return;
    }
    let entry = this.#early.get(id);
    if (!entry) {
      if (this.#early.size >= this.#limits.calls) return;
      const timer = setTimeout(() => this.#early.delete(id), this.#limits.ttlMs);
      (timer as { unref?: () => void }).unref?.();
      entry = { frames: [], timer };
      this.#early.set(id, entry);
    }
    if (entry.frames.length < this.#limits.framesPerCall) entry.frames.push(msg);
  }

  #drop(id: string): void {
    const entry = this.#early.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#early.delete(id);
  }

  #remember(id: string): void {
    this.#ended.delete(id);
    this.#ended.add(id);
    if (this.#ended.size > ENDED_CALLS_KEPT) {
      const oldest = this.#ended.values().next().value;
      if (oldest !== undefined) this.#ended.delete(oldest);
    }
  }
}
