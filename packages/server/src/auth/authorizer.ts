/**
 * The authorization seam. By default the server uses `AccessControl` (access-control.ts),
 * built from the configuration: Origin allow list, per-address hello and password limits, and
 * access tokens when a key is configured. An embedder may pass its own `Authorizer` instead.
 * Each hook refuses by throwing a `ParleyError` — `UNAUTHORIZED` (fatal), `FORBIDDEN` or
 * `RATE_LIMITED` — or, for upgrades, returning an HTTP status.
 *
 * It sits with the auth policies, below the services that call it (rooms) and the node that
 * calls it on `hello`. May import: nothing of the server.
 */
import type { IncomingMessage } from 'node:http';

/** What `hello` is checked against. */
export interface HelloRequest {
  name: string;
  /** The access token from `hello.token`, if any. */
  token: string | undefined;
  /** The client's IP address. */
  ip: string;
}

/** Access control hooks; every one is optional. `C` is whatever `hello` returns (e.g. claims). */
export interface Authorizer<C = unknown> {
  /**
   * Before the upgrade to WebSocket: return an HTTP status (e.g. 403) to refuse it, or
   * undefined to accept. Runs before any per-connection state exists.
   */
  upgrade?(req: IncomingMessage): number | undefined;
  /**
   * On every `hello`: before the name is claimed, and before a resume (a new connection must be
   * admitted again; `name` is then the resumed session's name). Returns the session's
   * authorization context, handed back to `roomJoin` (on resume it replaces the old one).
   */
  hello?(req: HelloRequest): C | Promise<C>;
  /** On `room.join`, with the context `hello` returned. */
  roomJoin?(context: C, room: string): void | Promise<void>;
  /**
   * On `room.join`: the role the context grants in `room` (`host`, `member`, `viewer`), or
   * undefined to let the room decide (its first joiner is host). See docs/PROTOCOL.md, "Roles".
   */
  roomRole?(context: C, room: string): 'host' | 'member' | 'viewer' | undefined;
  /**
   * Before a room password is hashed or checked (scrypt), with the client's address: throw
   * (e.g. RATE_LIMITED) to refuse the attempt before it costs anything.
   */
  roomPassword?(req: { ip: string; room: string }): void;
}
