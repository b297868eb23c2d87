/**
 * The web app's end-to-end encryption: the SDK's `@parley/client/e2ee` with the worker Vite
 * builds as a file of the app's own origin (`?worker`), as the Content-Security-Policy wants
 * (scripts from 'self' only, no blob: workers). Loaded on demand, only for encrypted rooms.
 * Also the words the room screen shows about it.
 *
 * Imports the SDK's E2EE entry and its worker; no DOM.
 */
import { type E2eeSetup, e2ee, e2eeUnsupportedReason } from '@parley/client/e2ee';
import E2eeWorker from '@parley/client/e2ee-worker?worker';

/** The join option for an encrypted room, or why this browser cannot join it. */
export function prepareE2ee(secret: string): { ok: true; setup: E2eeSetup } | { ok: false; message: string } {
  const why = e2eeUnsupportedReason();
  if (why)
    return {
      ok: false,
      message: `This room is end-to-end encrypted, and this browser cannot do that: ${why}. Try a current Firefox, Chrome or Safari.`,
    };
  return { ok: true, setup: e2ee({ secret, worker: () => new E2eeWorker({ name: 'parley-e2ee' }) }) };
}

/**
 * The `e2ee` option of an encrypted 1:1 call (keys agreed in the call: the SDK's
 * `e2ee({ agree: true })`), or why this browser cannot place or answer one.
 */
export function prepareCallE2ee(): { ok: true; setup: E2eeSetup } | { ok: false; why: string } {
  const why = e2eeUnsupportedReason();
  if (why) return { ok: false, why };
  return { ok: true, setup: e2ee({ agree: true, worker: () => new E2eeWorker({ name: 'parley-e2ee' }) }) };
}

/** The call chip's tooltip once the keys are agreed. */
export function callSafetyCodeText(remote: string, code: string): string {
  return `End-to-end encrypted: the server cannot see or hear this call. Safety code: “${code}” — read it aloud with ${remote}; if their words differ, someone is in the middle: hang up.`;
}

/** What the call screen says when the other side's media is not encrypted. */
export function callCannotDecryptText(remote: string): string {
  return `${remote}’s video and sound are not end-to-end encrypted (their app or browser cannot do it), so they are not shown, and yours are not sent. Hang up and call without encryption if you trust the server.`;
}

/** What the room screen says when a member's media cannot be decrypted. */
export function cannotDecryptText(name: string): string {
  return `Cannot decrypt ${name}’s video and sound: they joined with a different link (another secret, or none). Ask them to open the same encrypted link.`;
}

/** The encryption chip's tooltip: what it means and the safety code to compare aloud. */
export function safetyCodeText(code: string): string {
  return `End-to-end encrypted: the server cannot see or hear this room. Safety code: “${code}” — read it aloud; everyone should see the same words.`;
}
