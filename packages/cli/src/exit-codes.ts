/**
 * The `parley` command's exit codes: each names the layer that failed, so a script can tell a
 * typo from a dead server from a peer who said no. Documented in docs/CLI.md; stable.
 */
export const EXIT = {
  /** Everything asked for was done. */
  OK: 0,
  /** A bug or an unexpected local failure (disk full, permission denied…). */
  INTERNAL: 1,
  /** Bad command line: unknown command or option, missing or invalid argument. */
  USAGE: 2,
  /** The signaling server could not be reached, refused us (token, name) or went away. */
  SIGNALING: 3,
  /** The peer or room was not found, or the peer declined. */
  PEER: 4,
  /** A file transfer failed, was cancelled, or its SHA-256 did not match. */
  TRANSFER: 5,
  /** No peer-to-peer path: ICE failed, or the TURN relay could not be used. */
  CONNECTIVITY: 6,
  /** Interrupted by Ctrl-C / SIGINT (128 + 2, the shell convention). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Which failure an error represents; `exitCodeFor` maps it to a code. */
export const FAILURE_KINDS = [
  'usage',
  'signaling',
  'peer',
  'transfer',
  'connectivity',
  'interrupted',
  'internal',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

const KIND_TO_EXIT: Record<FailureKind, ExitCode> = {
  usage: EXIT.USAGE,
  signaling: EXIT.SIGNALING,
  peer: EXIT.PEER,
  transfer: EXIT.TRANSFER,
  connectivity: EXIT.CONNECTIVITY,
  interrupted: EXIT.INTERRUPTED,
  internal: EXIT.INTERNAL,
};

/** An error the CLI reports to the user, tagged with what failed. `code` is for `--json` output. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly kind: FailureKind;
  readonly code: string;
  constructor(kind: FailureKind, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.code = code;
  }
}

/**
 * Protocol error codes (packages/protocol/src/errors.ts) and SDK error codes, by failure kind.
 * Anything not listed is a signaling failure if it came from the server, else internal.
 */
const CODE_KIND: Record<string, FailureKind> = {
  // Server refused or lost us.
  UNAUTHORIZED: 'signaling',
  UNSUPPORTED_VERSION: 'signaling',
  NAME_TAKEN: 'signaling',
  HELLO_TIMEOUT: 'signaling',
  TOO_MANY_CONNECTIONS: 'signaling',
  SLOW_CONSUMER: 'signaling',
  SESSION_REPLACED: 'signaling',
  SHUTTING_DOWN: 'signaling',
  FLOODING: 'signaling',
  RATE_LIMITED: 'signaling',
  CONNECTION_FAILED: 'signaling',
  CONNECTION_CLOSED: 'signaling',
  TIMEOUT: 'signaling',
  // The other party.
  PEER_NOT_FOUND: 'peer',
  ROOM_FULL: 'peer',
  FORBIDDEN: 'peer',
  NOT_IN_ROOM: 'peer',
  CALL_NOT_FOUND: 'peer',
  DECLINED: 'peer',
  REJECTED: 'peer',
  // The transfer itself.
  HASH_MISMATCH: 'transfer',
  CANCELLED: 'transfer',
  TRANSFER_FAILED: 'transfer',
  // The path between peers.
  ICE_FAILED: 'connectivity',
  TURN_FAILED: 'connectivity',
};

/** The failure kind of any thrown value: a `CliError`'s own, else looked up by its `code`. */
export function failureKindOf(error: unknown): FailureKind {
  if (error instanceof CliError) return error.kind;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(CODE_KIND, code)) return CODE_KIND[code]!;
  return 'internal';
}

/** The exit code for any thrown value (see {@link EXIT}). */
export function exitCodeFor(error: unknown): ExitCode {
  return KIND_TO_EXIT[failureKindOf(error)];
}
