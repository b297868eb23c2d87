/**
 * An incoming call rings on whatever screen is on (the home screen, mostly): the modal with
 * Accept and Decline. It lives apart from call-controller.ts, which is loaded on demand (with the
 * call screen), so the ring shows at once; answering loads the call screen.
 *
 * In a hidden tab (issue 19) the ring also raises a system notification naming the caller, if the
 * person allowed notifications (the home screen's "Ring me in the background"): clicking it
 * brings the tab forward, where the modal is (a ring that starts in a visible tab notifies when
 * the tab is hidden while it still rings); it closes when the call is answered, declined or
 * over. Accept and Decline buttons on the notification itself would need a service worker
 * (`showNotification` actions), which Parley does not ship. The tab title flashes meanwhile
 * (components/incoming-call.ts).
 *
 * The controller layer: may import app/, components/, screens/, media/ and ui/.
 */
import type { Call } from '@parley/client';
import { shouldNotify } from '../app/attention.ts';
import { describeMissedCall } from '../app/call-session.ts';
import { openIncomingCall } from '../components/incoming-call.ts';
import { notifyPermission } from '../components/missed-calls-panel.ts';
import { toast } from '../ui/announce.ts';

/** Ids of calls that rang here (and were told of by a toast when missed); bounded. */
const rang = new Set<string>();
const RANG_KEPT = 50;

/** Whether `callId` rang in this tab (its miss was already told by the ring's toast). */
export function rangHere(callId: string): boolean {
  return rang.has(callId);
}

/** Rings for an incoming `call` (a modal with Accept and Decline); `accept` answers it. */
export function ringIncoming(call: Call, accept: () => void): void {
  rang.add(call.id);
  if (rang.size > RANG_KEPT) rang.delete(rang.values().next().value as string);
  // Raised now if the tab is hidden, or when it is hidden while the call still rings.
  let closer: (() => void) | null = notifyIncoming(call);
  const onVisibility = () => {
    if (document.hidden && !closer) closer = notifyIncoming(call);
  };
  document.addEventListener('visibilitychange', onVisibility);
  const closeNotice = () => {
    document.removeEventListener('visibilitychange', onVisibility);
    closer?.();
  };
  const offEnded = call.on('ended', () => {
    offEnded();
    closeNotice();
  });
  openIncomingCall(call, {
    accept: () => {
      closeNotice();
      accept();
    },
    decline: () => {
      closeNotice();
      void call.decline();
    },
    missed: (reason) => toast(describeMissedCall(reason, call.remote), 'info'),
  });
}

/** A system notification for `call` if the tab is hidden and allowed; returns its closer. */
function notifyIncoming(call: Call): (() => void) | null {
  if (!shouldNotify(notifyPermission(), document.hidden)) return null;
  let notice: Notification;
  try {
    notice = new Notification(`${call.remote} is calling`, {
      body: 'Incoming video call on Parley. Click to answer.',
      tag: `parley-call-${call.id}`,
      requireInteraction: true,
    });
  } catch {
    // Some browsers (Chrome on Android) allow notifications only through a service worker.
    return () => undefined;
  }
  notice.onclick = () => {
    window.focus();
    notice.close();
  };
  return () => notice.close();
}
