/**
 * Leaving a call or a room is deliberate: while one is on, the browser asks before the tab is
 * closed or reloaded (`beforeunload`), and the app asks (an accessible dialog) before an in-app
 * link, the logo or the browser's Back button takes the person away. Back is caught with a guard
 * history entry (same URL) pushed when the conversation starts: going back pops it, and the
 * person is asked; "Stay" puts it back.
 *
 * The controller layer: may import ui/.
 */
import { openDialog } from '../ui/common.ts';
import { h } from '../ui/dom.ts';

let deliberate = false;

/** The next route change is a deliberate leave (the screen's own Leave button): no question. */
export function markDeliberateLeave(): void {
  deliberate = true;
}

/** Whether the route change under way was marked deliberate (and forgets the mark). */
export function takeDeliberateLeave(): boolean {
  const was = deliberate;
  deliberate = false;
  return was;
}

/** What the guard needs from the app. */
export interface LeaveGuardHost {
  /** What is on now: a call with someone, a room, or nothing. */
  current(): { kind: 'call' | 'room'; label: string } | null;
  /** The person confirmed: leave, then go to `href` (a hash) or back in history (`null`). */
  leave(href: string | null): void;
}

/** Asks whether to leave; resolves true for "Leave". */
export function confirmLeave(what: { kind: 'call' | 'room'; label: string }): Promise<boolean> {
  return new Promise((resolve) => {
    let leave = false;
    const noun = what.kind === 'call' ? `the call with ${what.label}` : `the room ${what.label}`;
    const stay = h(
      'button',
      { class: 'button primary', type: 'button', onclick: () => dialog.close() },
      'Stay',
    );
    const dialog = openDialog({
      label: what.kind === 'call' ? 'Leave the call?' : 'Leave the room?',
      className: 'leave-dialog',
      onClose: () => resolve(leave),
      body: [
        h('h2', null, what.kind === 'call' ? 'Leave the call?' : 'Leave the room?'),
        h('p', { class: 'muted' }, `You are in ${noun}. Leaving ends it for you.`),
        h(
          'div',
          { class: 'dialog-actions' },
          stay,
          h(
            'button',
            {
              class: 'button danger',
              type: 'button',
              onclick: () => {
                leave = true;
                dialog.close();
              },
            },
            'Leave',
          ),
        ),
      ],
    });
    stay.focus();
  });
}

/** Installs the guard; returns what marks a new conversation (pushes the guard entry). */
export function installLeaveGuard(host: LeaveGuardHost): { started(): void; ask(href: string | null): void } {
  let asking = false;
  window.addEventListener('beforeunload', (e) => {
    if (!host.current()) return;
    e.preventDefault();
    // Older browsers need returnValue set to show their prompt.
    e.returnValue = '';
  });
  const ask = (href: string | null, onStay: () => void) => {
    const what = host.current();
    if (!what || asking) return;
    asking = true;
    void confirmLeave(what).then((leave) => {
      asking = false;
      if (leave && host.current()) host.leave(href);
      else onStay();
    });
  };
  // In-app links (the logo among them), caught before the browser follows them.
  document.addEventListener(
    'click',
    (e) => {
      if (!host.current() || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey)
        return;
      const link = (e.target as Element | null)?.closest?.('a[href^="#"]');
      if (!link) return;
      e.preventDefault();
      ask(link.getAttribute('href'), () => undefined);
    },
    true,
  );
  // Back (or Forward) off the guard entry.
  window.addEventListener('popstate', (e) => {
    if (!host.current() || (e.state as { parleyGuard?: number } | null)?.parleyGuard) return;
    const here = location.href;
    ask(null, () => history.pushState({ parleyGuard: 1 }, '', here));
  });
  return {
    ask: (href) => ask(href, () => undefined),
    started() {
      if ((history.state as { parleyGuard?: number } | null)?.parleyGuard) return;
      history.pushState({ parleyGuard: 1 }, '', location.href);
    },
  };
}
