/**
 * An incoming call rings on whatever screen is on (the home screen, mostly): the modal with
 * Accept and Decline. It lives apart from call-controller.ts, which is loaded on demand (with the
 * call screen), so the ring shows at once; answering loads the call screen.
 *
 * The controller layer: may import app/, components/, screens/, media/ and ui/.
 */
import type { Call } from '@parley/client';
import { describeMissedCall } from '../app/call-session.ts';
import { openIncomingCall } from '../components/incoming-call.ts';
import { toast } from '../ui/announce.ts';

/** Rings for an incoming `call` (a modal with Accept and Decline); `accept` answers it. */
export function ringIncoming(call: Call, accept: () => void): void {
  openIncomingCall(call, {
    accept,
    decline: () => void call.decline(),
    missed: (reason) => toast(describeMissedCall(reason, call.remote), 'info'),
  });
}
