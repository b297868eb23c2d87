/**
 * `@parley/client/e2ee`: end-to-end encryption of media frames, a separate entry point so the
 * main SDK stays small for apps that do not use it.
 *
 * @example
 * ```ts
 * import { connect } from '@parley/client';
 * import { e2ee } from '@parley/client/e2ee';
 * const secret = new URLSearchParams(location.hash.slice(1)).get('e2ee')!;
 * const room = await client.join('standup', { e2ee: e2ee({ secret, worker: '/sdk/parley-e2ee-worker.js' }) });
 * room.e2ee?.on('key', (epoch, code) => showSafetyCode(code));
 * room.e2ee?.on('member-state', (name, state) => state === 'failing' && showCannotDecrypt(name));
 * ```
 *
 * May import features/e2ee/.
 */
export {
  type E2eeEvents,
  type E2eeOptions,
  E2eeSession,
  type E2eeSetup,
  type E2eeWorkerSource,
  e2ee,
  e2eeUnsupportedReason,
  type MemberKeyState,
} from './features/e2ee/e2ee-session.ts';
export { newSecret as newE2eeSecret, safetyCode } from './features/e2ee/key-schedule.ts';
