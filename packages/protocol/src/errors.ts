/**
 * Every error code on the wire, with whether it ends the connection.
 * Codes are stable forever: programs switch on `code`, people read `message`.
 * A fatal error is sent as an `error` frame, then the socket closes with `closeCode`
 * and the code as the close reason.
 */
export interface ErrorSpec {
  /** The connection is closed after this error. */
  readonly fatal: boolean;
  /** WebSocket close code used when fatal (4000–4999). */
  readonly closeCode?: number;
  /** One line for docs and default messages. */
  readonly summary: string;
}

export const ERRORS = {
  BAD_JSON: { fatal: false, summary: 'The frame is not valid JSON, or is not a JSON object.' },
  BAD_MESSAGE: {
    fatal: false,
    summary: 'The frame has a known type but fails its schema (missing, extra or invalid fields).',
  },
  UNKNOWN_TYPE: { fatal: false, summary: 'The frame has no string `type`, or one the server does not know.' },
  TOO_LARGE: { fatal: false, summary: 'The frame is larger than the configured frame limit.' },
  RATE_LIMITED: {
    fatal: false,
    summary: 'Too many frames too fast; this frame was dropped. Slow down and carry on.',
  },
  FLOODING: {
    fatal: true,
    closeCode: 4008,
    summary:
      "Too large a share of the connection's frames was refused by the rate limits over the flood window; it is closed.",
  },
  NOT_LOGGED_IN: { fatal: false, summary: 'The first frame must be `hello`; this frame needs a session.' },
  ALREADY_LOGGED_IN: { fatal: false, summary: '`hello` was sent twice on one connection.' },
  HELLO_TIMEOUT: {
    fatal: true,
    closeCode: 4002,
    summary: 'No `hello` arrived in time after the connection opened.',
  },
  NAME_TAKEN: { fatal: false, summary: 'Another live session holds this name. Pick another and retry.' },
  UNSUPPORTED_VERSION: {
    fatal: true,
    closeCode: 4001,
    summary: 'The server speaks none of the versions offered in `hello`.',
  },
  UNAUTHORIZED: {
    fatal: true,
    closeCode: 4003,
    summary: 'Missing, invalid or expired access token, or a token that does not allow this.',
  },
  FORBIDDEN: {
    fatal: false,
    summary: 'The session may not do this (wrong room password, room not in token, feature disabled).',
  },
  PEER_NOT_FOUND: { fatal: false, summary: 'No session with that name is online.' },
  ROOM_FULL: { fatal: false, summary: 'The room has reached its peer limit.' },
  TOO_MANY_ROOMS: { fatal: false, summary: 'This connection is in as many rooms as it may join.' },
  NOT_IN_ROOM: { fatal: false, summary: 'The session is not a member of that room.' },
  CALL_NOT_FOUND: {
    fatal: false,
    summary: 'No call with that id involves this session in a state that allows this.',
  },
  TOO_MANY_CONNECTIONS: {
    fatal: true,
    closeCode: 4029,
    summary: 'Too many connections from this address.',
  },
  SLOW_CONSUMER: {
    fatal: true,
    closeCode: 4009,
    summary: 'The connection did not read its frames fast enough; its send buffer overflowed.',
  },
  SESSION_REPLACED: {
    fatal: true,
    closeCode: 4004,
    summary: 'The session was resumed on another connection; this one is closed.',
  },
  SHUTTING_DOWN: {
    fatal: true,
    closeCode: 4012,
    summary: 'The server is shutting down; reconnect (and resume) in a moment.',
  },
  BUSY: {
    fatal: true,
    closeCode: 4013,
    summary:
      'The server is admitting logins as fast as it can carry (a reconnect storm after a restart); reconnect after `retryMs`.',
  },
  SFU_UNAVAILABLE: {
    fatal: false,
    summary: 'The room has no SFU: none is configured, it is unreachable, or the room is in mesh mode.',
  },
  NOT_HOST: {
    fatal: false,
    summary: 'Only a host of the room may do this (a `host.*` action from a member or viewer).',
  },
  ROOM_LOCKED: { fatal: false, summary: 'A host locked the room: nobody new may join or knock.' },
  LOBBY_FULL: {
    fatal: false,
    summary: "The room's lobby holds as many knockers as it may (`LIMITS.lobbyMax`); try again later.",
  },
  RECORDING_REFUSED: {
    fatal: false,
    summary: 'Recording refused: `reason` says why.',
  },
  INTERNAL: {
    fatal: false,
    summary: 'The server failed to handle this frame; the message carries an incident id for its logs.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** Close code for a fatal error, or 4000 for anything else that closes. */
export function closeCodeFor(code: ErrorCode): number {
  const spec: ErrorSpec = ERRORS[code];
  return spec.closeCode ?? 4000;
}

/** What a reason means and under which code it is sent. */
export interface ErrorReasonSpec {
  readonly code: ErrorCode;
  readonly summary: string;
}

/**
 * Machine-readable reasons some errors carry next to their code (`error.reason`), where a program
 * must tell apart refusals that share a code (FORBIDDEN covers several) and would otherwise have
 * to read `message`, which is for people and may change. Reasons are stable forever, like codes;
 * an error without one is told apart by its code alone. A client ignores a reason it does not know
 * (a newer server may add some).
 */
export const ERROR_REASONS = {
  password_required: {
    code: 'FORBIDDEN',
    summary:
      'The room is protected and `room.join` carried no password. (The message is the same as for a wrong one.)',
  },
  password_wrong: {
    code: 'FORBIDDEN',
    summary: 'The room is protected and the password in `room.join` does not match.',
  },
  password_too_short: {
    code: 'BAD_MESSAGE',
    summary: 'The password would create a protected room but is shorter than `LIMITS.passwordMinChars` (8).',
  },
  room_open: {
    code: 'FORBIDDEN',
    summary: 'A password was given for a room that exists without one: join without a password.',
  },
  room_not_in_token: {
    code: 'FORBIDDEN',
    summary: "The access token's `rooms` claim does not allow this room.",
  },
  e2ee_required: {
    code: 'FORBIDDEN',
    summary:
      'The room requires end-to-end encryption and `room.join` did not declare `e2ee: true` (or asked `requireE2ee` without it).',
  },
  room_changed: {
    code: 'FORBIDDEN',
    summary: 'The room was created or emptied by someone else while joining, more than once: try again.',
  },
  removed_from_room: {
    code: 'FORBIDDEN',
    summary: 'A host removed this name from the room; it may not join again while the room lasts.',
  },
  knock_refused: {
    code: 'FORBIDDEN',
    summary: "A host refused this name's knock a moment ago (`LIMITS.knockCooldownS`); knock later.",
  },
  last_host: {
    code: 'FORBIDDEN',
    summary: 'The only host of a room may not step down (`host.role`): make another host first.',
  },
  viewer: {
    code: 'FORBIDDEN',
    summary: 'A viewer receives but may not publish (`sfu.publish`), nor raise a hand or share.',
  },
  recording_off: {
    code: 'RECORDING_REFUSED',
    summary: 'This server does not record.',
  },
  recording_not_allowed: {
    code: 'RECORDING_REFUSED',
    summary: 'Only hosts may record here.',
  },
  recording_room_forbidden: {
    code: 'RECORDING_REFUSED',
    summary: 'This room may not be recorded.',
  },
  recording_e2ee: {
    code: 'RECORDING_REFUSED',
    summary: 'The room is end-to-end encrypted.',
  },
  recording_disk_low: {
    code: 'RECORDING_REFUSED',
    summary: 'Not enough free disk space.',
  },
  recording_not_sfu: {
    code: 'RECORDING_REFUSED',
    summary: 'The room is peer to peer.',
  },
  recording_busy: {
    code: 'RECORDING_REFUSED',
    summary: 'Already recording, or not recording.',
  },
} as const satisfies Record<string, ErrorReasonSpec>;

export type ErrorReason = keyof typeof ERROR_REASONS;
export const ERROR_REASON_LIST = Object.keys(ERROR_REASONS) as ErrorReason[];

export function isErrorReason(reason: string): reason is ErrorReason {
  return Object.hasOwn(ERROR_REASONS, reason);
}

/** An error with a stable protocol code, thrown by handlers and carried to the wire or to the app. */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  readonly code: ErrorCode;
  /** Which refusal of `code` this is, when the server says (see {@link ERROR_REASONS}). */
  readonly reason: ErrorReason | undefined;
  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; reason?: ErrorReason | undefined },
  ) {
    super(
      message ?? ERRORS[code].summary,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.reason = options?.reason;
  }
  get fatal(): boolean {
    return ERRORS[this.code].fatal;
  }
}
