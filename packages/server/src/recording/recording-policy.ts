/**
 * Who may record a room: the operator's policy (`PARLEY_RECORDING`), the rooms the operator
 * forbids (`*` patterns, as in tokens), the session's token grant (`"record": true`) and, for `hosts`, the room's host role.
 * Kept small and apart so that the host check can be swapped for the moderation roles (issue 21)
 * when they land: `isHost` is the one seam. Imports the protocol and auth/tokens.ts.
 */
import { ParleyError } from '@parley/protocol';
import { globMatch } from '../auth/tokens.ts';

/** What the policy reads of the configuration. */
export interface RecordingPolicyConfig {
  readonly recording: 'off' | 'hosts' | 'anyone';
  readonly recordingsDir: string | undefined;
  readonly recordingForbiddenRooms: readonly string[];
}

/** What the policy reads of a session. */
export interface Recorder {
  readonly name: string;
  /** The session's authorization context (access-control.ts: `{ claims }` with tokens). */
  readonly authContext: unknown;
}

/** True when the session's access token grants recording (`"record": true`). */
export function hasRecordGrant(session: Recorder): boolean {
  const ctx = session.authContext as { claims?: { record?: unknown } } | undefined;
  return ctx?.claims?.record === true;
}

/**
 * Throws RECORDING_REFUSED (with its reason) unless `session` may start or stop recording
 * `room`. `isHost` answers whether the session holds the room's host role (none yet: until
 * moderation roles exist, `hosts` means token holders with the `record` grant).
 */
export function mayRecord(
  config: RecordingPolicyConfig,
  session: Recorder,
  room: string,
  isHost: (session: Recorder, room: string) => boolean = () => false,
): void {
  if (config.recording === 'off' || config.recordingsDir === undefined)
    throw new ParleyError('RECORDING_REFUSED', 'this server does not record rooms', {
      reason: 'recording_off',
    });
  if (config.recordingForbiddenRooms.some((p) => globMatch(p, room)))
    throw new ParleyError('RECORDING_REFUSED', 'recording this room is not allowed here', {
      reason: 'recording_room_forbidden',
    });
  if (config.recording === 'anyone' || hasRecordGrant(session) || isHost(session, room)) return;
  throw new ParleyError('RECORDING_REFUSED', 'only hosts may record this room', {
    reason: 'recording_not_allowed',
  });
}
