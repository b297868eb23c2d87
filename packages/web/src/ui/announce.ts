/**
 * Live regions and toasts. Screen readers hear status through `#status` (polite) and failures
 * through `#alert` (assertive); sighted people see a toast for the same text.
 *
 * Toasts collapse: one is shown at a time (the newest), with a "+N" button when others are
 * still current (it dismisses the shown one and brings up the next). On the call screen the
 * toast area is docked into the stage's layout below the tiles ({@link dockToasts}), so a toast
 * takes its own room instead of covering anyone's video; elsewhere it floats above the page.
 */
import { h } from './dom.ts';
import { type IconName, icon } from './icons.ts';

let clearTimer: ReturnType<typeof setTimeout> | undefined;

function region(id: 'status' | 'alert'): HTMLElement | null {
  return document.getElementById(id);
}

/** Says `text` to screen readers (polite by default). */
export function announce(text: string, urgency: 'polite' | 'assertive' = 'polite'): void {
  const el = region(urgency === 'assertive' ? 'alert' : 'status');
  if (!el) return;
  // Clearing first makes readers repeat an identical message.
  el.textContent = '';
  requestAnimationFrame(() => {
    el.textContent = text;
  });
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => {
    el.textContent = '';
  }, 8000);
}

/** How a toast looks. */
export type ToastKind = 'info' | 'success' | 'warning' | 'error';

const KIND_ICON: Record<ToastKind, IconName> = {
  info: 'info',
  success: 'check',
  warning: 'alert',
  error: 'alert',
};

/** A shown toast, to take it away before its time (e.g. once what it asked for is done). */
export interface ToastHandle {
  dismiss(): void;
}

interface LiveToast {
  text: string;
  kind: ToastKind;
  timer: ReturnType<typeof setTimeout>;
}

/** Current toasts, oldest first; only the last is shown. */
const live: LiveToast[] = [];
/** Most toasts kept current; older ones are dropped first. */
const MAX_LIVE = 10;
let hostEl: HTMLElement | null = null;

/** The toast area (`#toasts`), back on the page if a screen change took it along. */
function toastHost(): HTMLElement | null {
  hostEl ??= document.getElementById('toasts');
  if (hostEl && !hostEl.isConnected) {
    hostEl.classList.remove('docked');
    document.body.append(hostEl);
  }
  return hostEl;
}

/**
 * Puts the toast area into `into` (the call screen's stage, below the tiles), or back to float
 * above the page with null.
 */
export function dockToasts(into: HTMLElement | null): void {
  const host = toastHost();
  if (!host) return;
  if (into) into.append(host);
  else if (host.parentElement !== document.body) document.body.append(host);
  host.classList.toggle('docked', into !== null);
}

function remove(entry: LiveToast): void {
  const i = live.indexOf(entry);
  if (i < 0) return;
  clearTimeout(entry.timer);
  live.splice(i, 1);
  render();
}

/** The toast on screen, kept while it stays the newest so that focus on its buttons survives. */
let shown: { entry: LiveToast; more: HTMLButtonElement } | null = null;

function render(): void {
  const host = toastHost();
  if (!host) return;
  const top = live[live.length - 1];
  if (!top) {
    shown = null;
    host.replaceChildren();
    return;
  }
  if (shown?.entry !== top) {
    const close = h(
      'button',
      { class: 'icon-button small', type: 'button', 'aria-label': 'Dismiss', onclick: () => remove(top) },
      icon('cross'),
    );
    const more = h('button', { class: 'toast-more', type: 'button', onclick: () => remove(top) });
    shown = { entry: top, more };
    host.replaceChildren(
      h(
        'div',
        { class: `toast toast-${top.kind}` },
        icon(KIND_ICON[top.kind]),
        h('span', null, top.text),
        more,
        close,
      ),
    );
  }
  const n = live.length - 1;
  shown.more.hidden = n === 0;
  shown.more.textContent = `+${n}`;
  shown.more.setAttribute(
    'aria-label',
    `${n} more ${n === 1 ? 'notification' : 'notifications'}: show the next`,
  );
}

/**
 * Shows a short message and announces it. One toast shows at a time (the newest); the handle
 * takes this one away early.
 */
export function toast(text: string, kind: ToastKind = 'info', timeoutMs = 5000): ToastHandle {
  announce(text, kind === 'error' ? 'assertive' : 'polite');
  const entry: LiveToast = { text, kind, timer: setTimeout(() => remove(entry), timeoutMs) };
  // The same words again (a repeated failure) replace the earlier toast instead of piling up.
  const same = live.find((t) => t.text === text && t.kind === kind);
  if (same) {
    clearTimeout(same.timer);
    live.splice(live.indexOf(same), 1);
  }
  live.push(entry);
  while (live.length > MAX_LIVE) {
    const oldest = live.shift();
    if (oldest) clearTimeout(oldest.timer);
  }
  render();
  return { dismiss: () => remove(entry) };
}
