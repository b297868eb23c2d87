/**
 * Moving a detached session between nodes. With one node, a session whose socket dropped waits
 * in that node's memory for its grace period (node/session-lifecycle.ts). With several nodes behind a load
 * balancer the client may come back on another node — or its node may be shutting down — so the
 * detached session (name, rooms, authorization context, queued frames) is *parked* in shared
 * storage and *taken* by whichever node the client resumes on. `RedisDirectory` implements this;
 * without it the session lifecycle keeps the in-memory behaviour.
 */

/** A detached session about to be parked. */
export interface DetachedSession {
  readonly name: string;
  readonly token: string;
  /** What the authorizer's `hello` returned; must survive `JSON.stringify`. */
  readonly authContext: unknown;
}

/** A parked session handed to the node that resumes it. */
export interface ParkedSession {
  readonly name: string;
  readonly token: string;
  readonly rooms: readonly string[];
  readonly authContext: unknown;
  /**
   * Frames addressed to the session while it was detached, oldest first (bounded like a local
   * queue: PARLEY_QUEUE_MAX frames and PARLEY_QUEUE_MAX_BYTES bytes, the newest kept).
   */
  readonly frames: readonly string[];
}

/** Shared storage of detached sessions across nodes. */
export interface SessionHandoff {
  /** A session started (or was adopted) on this node: make its token findable by other nodes. */
  started(token: string, name: string): Promise<void>;
  /**
   * A live session of this node got a fresh resume token (every resume rotates it): `oldToken`
   * is dead from now on, here and on every node.
   */
  rotated(oldToken: string, newToken: string, name: string): Promise<void>;
  /** A session ended for good: forget its token. */
  ended(token: string): Promise<void>;
  /**
   * Parks a detached session of this node for `graceMs`. Frames for it are queued in shared
   * storage from now on. `takeFrames` is called synchronously once no more frames can reach this
   * node for the session: it removes the session from the node and returns its locally queued
   * frames (oldest first), which go ahead of the shared queue. Returns false when parking was
   * not possible (backend unreachable, name no longer held here): the caller keeps the session
   * in local grace instead.
   */
  park(session: DetachedSession, graceMs: number, takeFrames: () => string[]): Promise<boolean>;
  /**
   * Takes over the session of `token` from wherever it is parked (or asks the node holding it
   * live to let go), moving its name to this node. Only a session named `name` is taken (a token
   * resumes its own session's name only). `adopt` is called synchronously with the session,
   * before any newer frame for it is delivered here, and must register it locally. Resolves
   * false when no such session exists (any more), or it has another name.
   */
  take(token: string, name: string, adopt: (session: ParkedSession) => void): Promise<boolean>;
}

/**
 * The extra node callbacks a multi-process directory uses (on top of `NodeHandlers`); the node
 * registers them with `attachNode`, and single-process directories ignore them.
 */
export interface ClusterNodeHandlers {
  /**
   * The backend removed `name` because its node died or its parked session's grace ran out; it
   * was in `rooms` (already left). This node was chosen to tell the peers (`peer.left` with
   * `gone`, `call.ended` with `peer_gone`).
   */
  reaped(name: string, rooms: readonly string[]): void;
  /** Another node resumes the live session of `token`: drop its socket here (SESSION_REPLACED). */
  evict(token: string): void;
  /** The live sessions of this node, to register again after the backend lost its state. */
  sessions(): Iterable<{ readonly name: string; readonly token: string; readonly rooms: Iterable<string> }>;
}
