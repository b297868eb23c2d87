/**
 * What the person reads when signing in fails or the server connection is lost for good, chosen
 * by error code and the client's failure reason (never by message text).
 *
 * Imports the SDK's error class only; never the DOM, so unit tests cover every case.
 */
import { ParleyError } from '@parley/client';

/**
 * Why signing in as `name` failed, in words. `invited`: an invitation token was presented (an
 * `UNAUTHORIZED` then means that token is not valid any more, and the app forgets it). `waited`:
 * the app waited for this browser's own old session to give the name up, and it did not.
 */
export function describeLoginFailure(err: unknown, name: string, invited: boolean, waited = false): string {
  if (!(err instanceof ParleyError))
    return 'Cannot reach the Parley server. Check your connection and try again; if it persists, run the self-test.';
  switch (err.code) {
    case 'NAME_TAKEN':
      return waited
        ? `“${name}” is still in use. Is Parley open in another tab? Close it, or pick another name, for example “${name}-2”.`
        : `“${name}” is already used by someone online. Pick another name, for example “${name}-2”.`;
    case 'UNAUTHORIZED':
      return invited
        ? 'Your invitation is not valid any more (expired, or for another name). Ask for a new link.'
        : 'This server only lets invited people in. Open the invitation link you were sent.';
    case 'TOO_MANY_CONNECTIONS':
      return 'Too many connections from your network. Close other Parley tabs and try again.';
    default:
      return `The server refused: ${err.message}`;
  }
}

/** Words for the reason the client gave up on the server (its `failed` state). */
export function describeSignalingFailure(reason: string | undefined): string {
  switch (reason) {
    case 'SESSION_REPLACED':
      return 'You opened Parley in another tab with the same session; this one was disconnected.';
    case 'UNAUTHORIZED':
      return 'The server refused your access. Ask for a new invitation link.';
    case 'TOO_MANY_CONNECTIONS':
      return 'Too many connections from your network to this server. Close other Parley tabs and retry.';
    default:
      return 'The connection to the server was lost and could not be restored.';
  }
}
