/**
 * The in-process directory: the default backend, and the reference for the contract suite
 * (test/helpers/directory-contract.ts). Several server instances in one process may share one
 * `MemoryDirectory` and then act as one cluster, which is how the routing is tested without Redis.
 * Every operation completes synchronously inside its promise, so claims are atomic.
 */
import type {
  Directory,
  MissedCallEntry,
  NodeHandlers,
  RoomJoinOptions,
  RoomJoinResult,
  RoomState,
  SfuPlacement,
  SfuRoomEntry,
} from './directory.ts';
import { MissedCalls } from './missed-calls.ts';

interface Room {
  members: Set<string>;
  passwordHash: string | undefined;
  /** Set while the room is in SFU mode; goes with the room. */
  sfu: SfuPlacement | undefined;
  /** The moderation state and its version; goes with the room. */
  control?: { text: string; version: number };
}

const sorted = (it: Iterable<string>) => [...it].sort();

/** A `Directory` held in this process's memory. */
export class MemoryDirectory implements Directory {
  #nodes = new Map<string, NodeHandlers>();
  /** name → node id */
  #names = new Map<string, string>();
  #rooms = new Map<string, Room>();
  /** name → rooms */
  #roomsOf = new Map<string, Set<string>>();
  /** Unanswered calls per callee (bounded: per name, age, names). */
  #missed = new MissedCalls();

  async attachNode(nodeId: string, handlers: NodeHandlers): Promise<void> {
    this.#nodes.set(nodeId, handlers);
  }

  async detachNode(nodeId: string): Promise<void> {
    this.#nodes.delete(nodeId);
  }

  async claimName(name: string, nodeId: string): Promise<boolean> {
    if (this.#names.has(name)) return false;
    this.#names.set(name, nodeId);
    this.#announce(name, true);
    return true;
  }

  async releaseName(name: string, nodeId: string): Promise<boolean> {
    if (this.#names.get(name) !== nodeId) return false;
    this.#names.delete(name);
    this.#announce(name, false);
    return true;
  }

  async locate(name: string): Promise<string | null> {
    return this.#names.get(name) ?? null;
  }

  async onlineNames(): Promise<string[]> {
    return sorted(this.#names.keys());
  }

  async roomState(room: string): Promise<RoomState> {
    const r = this.#rooms.get(room);
    return { occupied: r !== undefined, passwordHash: r?.passwordHash };
  }

  async joinRoom(room: string, name: string, options: RoomJoinOptions): Promise<RoomJoinResult> {
    let r = this.#rooms.get(room);
    if (r?.members.has(name)) return { ok: true, members: sorted(r.members), alreadyMember: true };
    if (r && r.passwordHash !== options.passwordHash) return { ok: false, reason: 'stale' };
    if (r && r.members.size >= options.maxPeers) return { ok: false, reason: 'full' };
    if (!r) {
      if (options.maxPeers < 1) return { ok: false, reason: 'full' };
      r = { members: new Set(), passwordHash: options.passwordHash, sfu: undefined };
      if (options.control !== undefined) r.control = { text: options.control, version: 1 };
      this.#rooms.set(room, r);
    }
    r.members.add(name);
    let mine = this.#roomsOf.get(name);
    if (!mine) {
      mine = new Set();
      this.#roomsOf.set(name, mine);
    }
    mine.add(room);
    return { ok: true, members: sorted(r.members), alreadyMember: false };
  }

  async leaveRoom(room: string, name: string): Promise<boolean> {
    const r = this.#rooms.get(room);
    if (!r?.members.delete(name)) return false;
    if (r.members.size === 0) this.#rooms.delete(room);
    const mine = this.#roomsOf.get(name);
    mine?.delete(room);
    if (mine?.size === 0) this.#roomsOf.delete(name);
    return true;
  }

  async roomControl(room: string): Promise<{ text: string | undefined; version: number }> {
    const c = this.#rooms.get(room)?.control;
    return { text: c?.text, version: c?.version ?? 0 };
  }

  async roomControlSet(room: string, version: number, text: string): Promise<boolean> {
    const r = this.#rooms.get(room);
    if (!r || (r.control?.version ?? 0) !== version) return false;
    r.control = { text, version: version + 1 };
    return true;
  }

  async members(room: string): Promise<string[]> {
    const r = this.#rooms.get(room);
    return r ? sorted(r.members) : [];
  }

  async roomsOf(name: string): Promise<string[]> {
    return sorted(this.#roomsOf.get(name) ?? []);
  }

  async roomCount(): Promise<number> {
    return this.#rooms.size;
  }

  async sfuPlacement(room: string): Promise<SfuPlacement | undefined> {
    const p = this.#rooms.get(room)?.sfu;
    return p ? { ...p } : undefined;
  }

  async sfuPlace(
    room: string,
    placement: SfuPlacement,
  ): Promise<{ placement: SfuPlacement; created: boolean } | undefined> {
    const r = this.#rooms.get(room);
    if (!r) return undefined;
    if (r.sfu) return { placement: { ...r.sfu }, created: false };
    r.sfu = { ...placement };
    return { placement: { ...placement }, created: true };
  }

  async sfuReplace(room: string, epoch: string, next: SfuPlacement): Promise<boolean> {
    const r = this.#rooms.get(room);
    if (r?.sfu?.epoch !== epoch) return false;
    r.sfu = { ...next };
    return true;
  }

  async sfuRemove(room: string, epoch: string, maxMembers: number): Promise<boolean> {
    const r = this.#rooms.get(room);
    if (!r?.sfu || r.sfu.epoch !== epoch || r.sfu.fromStart || r.members.size > maxMembers) return false;
    r.sfu = undefined;
    return true;
  }

  async sfuRooms(): Promise<SfuRoomEntry[]> {
    const out: SfuRoomEntry[] = [];
    for (const [room, r] of this.#rooms) {
      if (r.sfu) out.push({ room, placement: { ...r.sfu }, members: r.members.size });
    }
    return out.sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
  }

  async recordMissed(callee: string, entry: MissedCallEntry): Promise<void> {
    this.#missed.record(callee, entry);
  }

  async takeMissed(name: string): Promise<MissedCallEntry[]> {
    return this.#missed.take(name);
  }

  async deliver(name: string, frame: string): Promise<boolean> {
    const nodeId = this.#names.get(name);
    if (nodeId === undefined) return false;
    const node = this.#nodes.get(nodeId);
    return node ? node.deliver(name, frame) : false;
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#nodes.clear();
  }

  /** Tells every node about a presence change, after the current operation has returned. */
  #announce(name: string, online: boolean): void {
    const nodes = [...this.#nodes.values()];
    queueMicrotask(() => {
      for (const node of nodes) node.presence(name, online);
    });
  }
}
