/**
 * Protocol limits quoted by the server, the client and docs/PROTOCOL.md alike.
 * The server may be configured tighter or looser for frames and rates (see the server's config),
 * but the shapes below are part of the v1 contract.
 */
export const LIMITS = {
  /** Largest text frame, in UTF-8 bytes, that the protocol accepts (server default). */
  maxFrameBytes: 64 * 1024,
  /**
   * `data` of one `call.invite`, as UTF-8 JSON text. Invites reach people who did not choose to
   * hear from the sender, so they carry a small note (media kinds, a file count), never content.
   */
  callInviteDataMaxBytes: 1024,
  /** Calls one session may claim with `call.resume` (after a server restart) in its lifetime. */
  callResumeClaimsMax: 4,
  /** Seconds a `call.resume` claim waits for the other party's matching claim. */
  callResumeClaimTtlS: 60,
  /** Peer names: 1–32 characters of letters, digits, `_`, `.`, `-`. */
  nameMaxChars: 32,
  /** Room names: 1–64 characters of the same alphabet as names. */
  roomMaxChars: 64,
  /** Request ids (`id`, echoed back as `re`). */
  idMaxChars: 64,
  /** Session (resume) tokens. */
  sessionMaxChars: 128,
  /** Access tokens (JWT) carried in `hello`. */
  tokenMaxChars: 4096,
  /** Room passwords. */
  passwordMaxChars: 128,
  /**
   * Shortest password that may protect a new room (checked when the room is created; a guess
   * at an existing room is just wrong when shorter).
   */
  passwordMinChars: 8,
  /** Names one `presence.subscribe` may watch. */
  presenceWatchMax: 256,
  /** Largest directory page (`presence.subscribe` `limit`); also the default page. */
  presencePageMax: 200,
  /** Names in each list of one `presence.changed` (more changes go out in several frames). */
  presenceChangesMax: 500,
  /** Free-text reasons and error messages. */
  reasonMaxChars: 200,
  /** Versions offered in one `hello`. */
  versionsMax: 8,
  /** Session descriptions sent to the SFU (`sfu.publish`, `sfu.answer`). */
  sdpMaxChars: 60_000,
  /** One ICE candidate line (`sfu.trickle`). */
  candidateMaxChars: 1024,
  /** A media section id (`sdpMid`). */
  midMaxChars: 64,
  /** Feeds named in one `sfu.subscribe`. */
  sfuFeedsMax: 100,
  /** Members named in one `sfu.subscribe` `refresh` (each costs the server a look at the SFU). */
  sfuRefreshMax: 4,
  /** m-lines described in one `sfu.publish` (`sources`). */
  sfuSourcesMax: 16,
  /**
   * Deepest nesting of objects and arrays in a frame, the frame object itself counting as 1
   * (`{"type":"signal","data":{"a":[1]}}` is 3 deep). Deeper frames answer `BAD_MESSAGE`: the
   * server re-serialises `data` when it relays it, and a frame thousands deep overflows the
   * stack there. The SDK's own frames are at most 4 deep, so apps have 27 levels of their own.
   */
  frameMaxDepth: 32,
  /** Knockers one room's lobby holds; one more gets `LOBBY_FULL`. */
  lobbyMax: 32,
  /** Names a room remembers as removed (the oldest is forgotten past this). */
  removedMax: 256,
  /** Seconds a refused knocker waits before it may knock on that room again. */
  knockCooldownS: 60,
} as const;

/** What names and rooms may contain. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
